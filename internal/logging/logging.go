// Package logging builds the bridge's slog logger: text to stderr and, when a
// file is named, also to that file, rotated.
package logging

import (
	"io"
	"log/slog"
	"os"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"
)

// Options configures New.
type Options struct {
	// Level is the lowest level written.
	Level slog.Level
	// Stderr receives text logs; nil means os.Stderr. Set Discard to skip it.
	Stderr io.Writer
	// Discard drops the stderr output (the Windows no-console build).
	Discard bool
	// File, when set, also receives the logs; rotated at 10 MB, 3 kept.
	File string
}

// New returns the logger and a closer for the log file (a no-op without one).
func New(opts Options) (*slog.Logger, io.Closer, error) {
	hopts := &slog.HandlerOptions{Level: opts.Level}
	var handlers []slog.Handler
	if !opts.Discard {
		w := opts.Stderr
		if w == nil {
			w = os.Stderr
		}
		handlers = append(handlers, slog.NewTextHandler(w, hopts))
	}
	var closer io.Closer = nopCloser{}
	if opts.File != "" {
		if err := os.MkdirAll(filepath.Dir(opts.File), 0o700); err != nil {
			return nil, nil, err
		}
		lj := &lumberjack.Logger{Filename: opts.File, MaxSize: 10, MaxBackups: 3}
		handlers = append(handlers, slog.NewTextHandler(lj, hopts))
		closer = lj
	}
	if len(handlers) == 0 {
		return slog.New(slog.DiscardHandler), closer, nil
	}
	if len(handlers) == 1 {
		return slog.New(handlers[0]), closer, nil
	}
	return slog.New(slog.NewMultiHandler(handlers...)), closer, nil
}

type nopCloser struct{}

func (nopCloser) Close() error { return nil }

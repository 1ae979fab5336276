package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"

	"github.com/picarto-bridge/picarto-bridge/internal/demo"
)

// runDemo plays the built-in demo: fake Streamer.bot and Picarto in-process,
// the real bridge between them.
func runDemo(ctx context.Context, stdout, stderr io.Writer) int {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if err := demo.Run(ctx, demo.Options{Out: stdout, Log: log}); err != nil {
		fmt.Fprintln(stderr, "picarto-bridge:", err)
		return exitFatal
	}
	return exitOK
}

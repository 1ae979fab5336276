// Package capture keeps raw frames the bridge saw from Picarto's
// undocumented channels (the alert-box socket, chat frames it could not fully
// decode) in capped JSONL files in the data directory. Picarto documents
// neither shape, so these samples, sent in with `picarto-bridge report`, are
// how the project learns the real ones.
package capture

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync/atomic"
	"time"
)

// Record is one line of a capture file.
type Record struct {
	// At is when the bridge received the frame.
	At time.Time `json:"at"`
	// Source names where it came from: "alerts" or "chat".
	Source string `json:"source"`
	// Decoded reports whether the bridge understood the frame fully.
	Decoded bool `json:"decoded"`
	// Frame is the frame as received, with tokens already scrubbed.
	Frame string `json:"frame"`
}

// Writer appends records to <dir>/<source>.jsonl from one goroutine (Run),
// keeping the newest Keep lines. Add never blocks: when the queue is full the
// record is dropped and counted.
type Writer struct {
	dir  string
	keep int
	log  *slog.Logger
	in   chan Record

	dropped atomic.Int64
	written atomic.Int64
}

// DefaultKeep is how many records each file keeps.
const DefaultKeep = 1000

// NewWriter returns a writer for dir (created on first write).
func NewWriter(dir string, keep int, log *slog.Logger) *Writer {
	if keep <= 0 {
		keep = DefaultKeep
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Writer{dir: dir, keep: keep, log: log, in: make(chan Record, 256)}
}

// Dir is the directory the files are written in.
func (w *Writer) Dir() string { return w.dir }

// Add queues a record; it never blocks.
func (w *Writer) Add(source string, frame []byte, decoded bool) {
	r := Record{At: time.Now().UTC(), Source: source, Decoded: decoded, Frame: string(frame)}
	select {
	case w.in <- r:
	default:
		w.dropped.Add(1)
	}
}

// Written and Dropped count records since start.
func (w *Writer) Written() int64 { return w.written.Load() }

// Dropped counts records dropped because the queue was full.
func (w *Writer) Dropped() int64 { return w.dropped.Load() }

// Run writes queued records until ctx ends, then writes what is left.
func (w *Writer) Run(ctx context.Context) error {
	lines := map[string]int{}
	for {
		select {
		case r := <-w.in:
			w.write(r, lines)
		case <-ctx.Done():
			for {
				select {
				case r := <-w.in:
					w.write(r, lines)
				default:
					return nil
				}
			}
		}
	}
}

func (w *Writer) write(r Record, lines map[string]int) {
	path := filepath.Join(w.dir, r.Source+".jsonl")
	if _, ok := lines[path]; !ok {
		lines[path] = countLines(path)
	}
	b, err := json.Marshal(r)
	if err != nil {
		return
	}
	if err := os.MkdirAll(w.dir, 0o700); err != nil {
		w.log.Warn("capture directory", "err", err)
		return
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o600)
	if err != nil {
		w.log.Warn("capture file", "err", err)
		return
	}
	_, err = f.Write(append(b, '\n'))
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		w.log.Warn("capture write", "err", err)
		return
	}
	w.written.Add(1)
	lines[path]++
	if lines[path] > w.keep+w.keep/5 {
		if n, err := trim(path, w.keep); err == nil {
			lines[path] = n
		} else {
			w.log.Warn("capture trim", "err", err)
		}
	}
}

func countLines(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte{'\n'})
}

// trim keeps the newest keep lines of path, replacing it atomically.
func trim(path string, keep int) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	all := bytes.SplitAfter(b, []byte{'\n'})
	if n := len(all); n > 0 && len(all[n-1]) == 0 {
		all = all[:n-1]
	}
	if len(all) > keep {
		all = all[len(all)-keep:]
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, bytes.Join(all, nil), 0o600); err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, path); err != nil {
		return 0, fmt.Errorf("capture: replace %s: %w", path, err)
	}
	return len(all), nil
}

// Read returns the records of one capture file, oldest first; a missing file
// is no records.
func Read(path string) ([]Record, error) {
	f, err := os.Open(path)
	if os.IsNotExist(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Record
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		var r Record
		if json.Unmarshal(sc.Bytes(), &r) == nil {
			out = append(out, r)
		}
	}
	return out, sc.Err()
}

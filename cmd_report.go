package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/picarto-bridge/picarto-bridge/bridge"
)

// runReport writes the bug-report zip (--out FILE, default
// picarto-bridge-report-<time>.zip in the working directory).
func runReport(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", "", "write the report to this file (default picarto-bridge-report-<time>.zip)")
	if err := fs.Parse(args); err != nil {
		return exitConfig
	}
	cfg, ok := loadConfig(stderr)
	if !ok {
		return exitConfig
	}
	if *out == "" {
		*out = "picarto-bridge-report-" + time.Now().Format("20060102-150405") + ".zip"
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	fmt.Fprintln(stdout, "collecting the report (a few seconds when Streamer.bot or Picarto does not answer)...")
	if err := writeReport(ctx, *out, func(w io.Writer) error {
		return bridge.Report(ctx, cfg, w, bridge.ReportOptions{Version: version})
	}); err != nil {
		fmt.Fprintln(stderr, "picarto-bridge: report:", err)
		return exitFatal
	}
	abs, _ := filepath.Abs(*out)
	fmt.Fprintf(stdout, "wrote %s: attach it to your bug report (it holds no token or password)\n", abs)
	return exitOK
}

// writeReport writes to a temporary file next to path and renames it, so a
// failed report leaves no half-written zip.
func writeReport(ctx context.Context, path string, fill func(io.Writer) error) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, ".picarto-bridge-report-*.zip")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // no-op after the rename
	if err := fill(f); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

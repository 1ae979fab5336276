package main

import (
	"context"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/picarto-bridge/picarto-bridge/bridge"
)

// runDoctor checks the setup, one line per check, and exits 0 when every
// check passed, 1 otherwise (2 for a configuration error).
func runDoctor(ctx context.Context, stdout, stderr io.Writer) int {
	cfg, ok := loadConfig(stderr)
	if !ok {
		return exitConfig
	}
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if !bridge.Doctor(ctx, cfg, stdout, bridge.DoctorOptions{}) {
		return exitFatal
	}
	return exitOK
}

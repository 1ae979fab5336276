// Command picarto-bridge brings Picarto.tv into Streamer.bot: it connects to
// Streamer.bot's WebSocket server, reads its settings from Streamer.bot
// globals, and turns Picarto follows, subscriptions, go-lives and chat into
// Streamer.bot actions. See README.md and the contract in shared/contract.md.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"

	"github.com/picarto-bridge/picarto-bridge/bridge"
	"github.com/picarto-bridge/picarto-bridge/internal/config"
	"github.com/picarto-bridge/picarto-bridge/internal/logging"
)

// version is stamped at build time: -ldflags "-X main.version=v1.2.3".
var version = "dev"

// Exit codes (contract section 1).
const (
	exitOK     = 0
	exitFatal  = 1
	exitConfig = 2
)

func main() {
	os.Exit(Main(context.Background(), os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `picarto-bridge connects Picarto.tv to Streamer.bot.

Usage:
  picarto-bridge [run]     run until stopped (the default)
  picarto-bridge doctor    check the setup and say how to fix what is wrong
  picarto-bridge report [--out FILE]
                           write a zip for a bug report (no tokens or passwords inside)
  picarto-bridge import [--out FILE]
                           print the Streamer.bot import string for the Picarto actions
  picarto-bridge demo      run against built-in fake Streamer.bot and Picarto
  picarto-bridge version   print the version

Settings come from Streamer.bot globals (picartoBearer, picartoChannelName, ...)
and from the environment or a .env file (see .env.example). While it runs, the
status page (http://127.0.0.1:9005/ by default) shows its state and signs you in
with Picarto.
`

// Main runs the command line and returns the exit code.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cmd := "run"
	if len(args) > 0 {
		cmd, args = args[0], args[1:]
	}
	switch cmd {
	case "run":
		return runBridge(ctx, stderr)
	case "version", "--version", "-version":
		fmt.Fprintln(stdout, "picarto-bridge", version)
		return exitOK
	case "help", "--help", "-help", "-h":
		fmt.Fprint(stdout, usage)
		return exitOK
	case "import":
		return runImport(args, stdout, stderr)
	case "demo":
		return runDemo(ctx, stdout, stderr)
	case "doctor":
		return runDoctor(ctx, stdout, stderr)
	case "report":
		return runReport(ctx, args, stdout, stderr)
	default:
		fmt.Fprintf(stderr, "picarto-bridge: unknown command %q\n\n%s", cmd, usage)
		return exitConfig
	}
}

// loadConfig reads the environment and .env; on error it prints every
// problem and returns ok=false.
func loadConfig(stderr io.Writer) (config.Config, bool) {
	cfg, err := config.Load(".env")
	if err != nil {
		var ce *config.Error
		if errors.As(err, &ce) {
			fmt.Fprintln(stderr, "picarto-bridge: configuration problems:")
			for _, p := range ce.Problems {
				fmt.Fprintln(stderr, "  -", p)
			}
		} else {
			fmt.Fprintln(stderr, "picarto-bridge:", err)
		}
		return cfg, false
	}
	return cfg, true
}

func runBridge(ctx context.Context, stderr io.Writer) int {
	cfg, ok := loadConfig(stderr)
	if !ok {
		return exitConfig
	}
	if noConsole && cfg.LogFile == "" {
		cfg.LogFile = filepath.Join(cfg.DataDir, "logs", "picarto-bridge.log")
	}
	log, closer, err := logging.New(logging.Options{Level: cfg.LogLevel, Stderr: stderr, File: cfg.LogFile, Discard: noConsole})
	if err != nil {
		fmt.Fprintln(stderr, "picarto-bridge: BRIDGE_LOG_FILE:", err)
		return exitConfig
	}
	defer closer.Close()
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	err = bridge.Run(ctx, bridge.Options{Config: cfg, Logger: log, Version: version})
	switch {
	case err == nil:
		return exitOK
	case errors.Is(err, bridge.ErrAuth):
		fmt.Fprintln(stderr, "picarto-bridge: Streamer.bot rejected the WebSocket password: set SB_WS_PASSWORD to the password of Streamer.bot's WebSocket server")
		return exitConfig
	default:
		log.Error("fatal", "err", err)
		fmt.Fprintln(stderr, "picarto-bridge:", err)
		return exitFatal
	}
}

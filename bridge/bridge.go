// Package bridge is the only place that knows both Streamer.bot and Picarto:
// it reads settings from Streamer.bot globals, polls Picarto and receives its
// webhooks and chat, puts every event in the durable outbox and delivers it as
// a DoAction, keeps the picarto* globals right, and obeys control commands
// (contract sections 3 to 8).
package bridge

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/internal/capture"
	"github.com/picarto-bridge/picarto-bridge/internal/config"
	"github.com/picarto-bridge/picarto-bridge/internal/instance"
	"github.com/picarto-bridge/picarto-bridge/internal/outbox"
	"github.com/picarto-bridge/picarto-bridge/internal/ratelimit"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

// ErrAuth is returned by Run when Streamer.bot rejected SB_WS_PASSWORD; main
// exits 2 on it (contract section 1).
var ErrAuth = errors.New("bridge: Streamer.bot rejected the password: check SB_WS_PASSWORD")

// Options configure Run.
type Options struct {
	// Config is the environment configuration (contract section 2).
	Config config.Config
	// Logger receives every log line; nil discards.
	Logger *slog.Logger
	// Version is printed in logs and the status page.
	Version string
	// HTTPClient is used for Picarto; nil means a client with a 15 s timeout.
	HTTPClient *http.Client
}

// Bridge is one running picarto-bridge. It lives as long as Run; Streamer.bot
// connections, Picarto clients and components live in sessions within it, so
// the restart command can start them afresh in the same process.
type Bridge struct {
	cfg        config.Config
	log        *slog.Logger
	version    string
	httpClient *http.Client

	store         *outbox.Store
	webhookSecret string
	limiter       *ratelimit.Window // the one Picarto request budget (contract section 8)
	chatLimiter   *ratelimit.Window // 20 chat sends in any 30 s, across reconnects

	captures *capture.Writer // raw frames of undocumented shapes, for reports
	globals  *globalWriter
	status   *statusBoard
	missing  *missingReporter
	triggers *triggerSet
	counts   atomic.Pointer[channelCounts]
	httpAddr atomic.Value // string: the address the HTTP server listens on

	channelID atomic.Int64
	hookMu    sync.Mutex // one webhook (un)registration at a time

	csrf    string
	session atomic.Pointer[session] // current session, nil between sessions
	oauth   oauthFlow               // browser sign-in and token renewal (oauth.go)
}

// Run runs the bridge until ctx ends, a stop command arrives or another
// instance takes over (all nil), or a fatal error: ErrAuth for a rejected
// Streamer.bot password, instance.ErrHeld when another bridge would not stop.
func Run(ctx context.Context, opts Options) error {
	b, err := open(ctx, opts)
	if err != nil {
		return err
	}
	defer b.close()
	return b.run(ctx)
}

func open(ctx context.Context, opts Options) (*Bridge, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg := opts.Config
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 15 * time.Second}
	}
	b := &Bridge{
		cfg: cfg, log: log, version: opts.Version, httpClient: hc,
		limiter:     ratelimit.New(max(cfg.RateLimit, 1), time.Minute),
		chatLimiter: ratelimit.New(20, 30*time.Second),
		globals:     newGlobalWriter(log.With("component", "globals")),
		status:      newStatusBoard(),
		missing:     &missingReporter{log: log.With("component", "delivery")},
		triggers:    newTriggerSet(),
		csrf:        randomHex(16),
		captures:    capture.NewWriter(filepath.Join(cfg.DataDir, "captures"), capture.DefaultKeep, log.With("component", "capture")),
	}
	b.httpAddr.Store("")
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("bridge: create data directory (BRIDGE_DATA_DIR): %w", err)
	}
	return b, nil
}

func (b *Bridge) close() {
	if b.store != nil {
		if err := b.store.Close(); err != nil {
			b.log.Warn("outbox close", "err", err)
		}
	}
}

func (b *Bridge) run(ctx context.Context) error {
	lock, err := instance.Acquire(ctx, b.cfg.DataDir, instance.Options{Logger: b.log.With("component", "instance"), TakeoverTimeout: 10 * time.Second})
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("bridge: %w", err)
	}
	defer func() {
		if err := lock.Release(); err != nil {
			b.log.Warn("instance lock release", "err", err)
		}
	}()
	store, err := outbox.Open(filepath.Join(b.cfg.DataDir, "bridge.db"), outbox.Options{Logger: b.log.With("component", "outbox")})
	if err != nil {
		return fmt.Errorf("bridge: open event queue: %w", err)
	}
	b.store = store
	if err := b.loadWebhookSecret(); err != nil {
		return err
	}
	b.keepBudgetAcrossRestarts()
	b.log.Info("picarto-bridge started", "version", b.version, "data_dir", b.cfg.DataDir, "queued", store.Len())
	captureCtx, stopCaptures := context.WithCancel(context.WithoutCancel(ctx))
	var wg conc.WaitGroup
	wg.Go(func() { _ = b.captures.Run(captureCtx) })
	defer wg.Wait()
	defer stopCaptures()
	for {
		outcome, err := b.runSession(ctx, lock.StopRequested())
		switch {
		case err != nil:
			return err
		case outcome == outcomeRestart:
			b.log.Info("restarting: dropping all connections and re-reading globals")
			continue
		default:
			b.log.Info("picarto-bridge stopped", "queued", b.store.Len())
			return nil
		}
	}
}

// loadWebhookSecret reads or creates the random 128-bit webhook path secret
// (contract section 6), kept in the data directory.
func (b *Bridge) loadWebhookSecret() error {
	raw, err := b.store.GetState("webhookSecret")
	if err != nil {
		return fmt.Errorf("bridge: read state: %w", err)
	}
	if len(raw) == 32 {
		b.webhookSecret = string(raw)
		return nil
	}
	b.webhookSecret = randomHex(16)
	if err := b.store.PutState("webhookSecret", []byte(b.webhookSecret)); err != nil {
		return fmt.Errorf("bridge: save webhook secret: %w", err)
	}
	return nil
}

// budgetKey holds the Picarto request times of the last minute.
const budgetKey = "picartoRequestTimes"

// keepBudgetAcrossRestarts makes the Picarto request budget (contract
// section 8: at most PICARTO_RATE_LIMIT in any 60 s) hold across processes:
// the times of the last minute's requests are stored with every request and
// counted again at start, so a restart, takeover or crash does not begin
// with a full budget while the previous process's requests are still inside
// the window.
func (b *Bridge) keepBudgetAcrossRestarts() {
	if raw, err := b.store.GetState(budgetKey); err == nil && raw != nil {
		var nanos []int64
		if json.Unmarshal(raw, &nanos) == nil {
			times := make([]time.Time, len(nanos))
			for i, n := range nanos {
				times[i] = time.Unix(0, n)
			}
			b.limiter.Restore(times)
		}
	}
	b.limiter.OnAdmit(func() {
		times := b.limiter.Times()
		nanos := make([]int64, len(times))
		for i, t := range times {
			nanos[i] = t.UnixNano()
		}
		raw, _ := json.Marshal(nanos)
		if err := b.store.PutState(budgetKey, raw); err != nil {
			b.log.Warn("request budget not saved", "err", err)
		}
	})
}

func randomHex(n int) string {
	buf := make([]byte, n)
	_, _ = rand.Read(buf)
	return hex.EncodeToString(buf)
}

func (b *Bridge) setChannelID(id int64) {
	if id != 0 {
		b.channelID.Store(id)
	}
}

// sbRunner returns the current session's Streamer.bot client, or a stand-in
// that is never connected between sessions.
func (b *Bridge) sbRunner() sbConn {
	if s := b.session.Load(); s != nil {
		return s.sb
	}
	return disconnected{}
}

// sbConn is what components need of the Streamer.bot client.
type sbConn interface {
	actionRunner
	deliveryClient
}

type disconnected struct{}

func (disconnected) DoAction(context.Context, sbclient.ActionRef, map[string]any) error {
	return sbclient.ErrNotConnected
}
func (disconnected) Pipeline(_ context.Context, calls []sbclient.Call) []error {
	errs := make([]error, len(calls))
	for i := range errs {
		errs[i] = sbclient.ErrNotConnected
	}
	return errs
}
func (disconnected) Connected() bool { return false }

func (b *Bridge) currentStream() *streamMachine {
	if s := b.session.Load(); s != nil {
		return s.stream()
	}
	return nil
}

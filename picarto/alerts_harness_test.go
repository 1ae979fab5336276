package picarto_test

import (
	"github.com/picarto-bridge/picarto-bridge/internal/testlog"

	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

const (
	alertTestChannelID = 4242
	alertTestChannel   = "MyChannel"
	alertTestWait      = 10 * time.Second // only reached when a test fails
)

type alertFrame struct {
	raw     []byte
	decoded bool
}

// alertHarness is a fake alert route plus the hooks of one Alerts client.
type alertHarness struct {
	t        *testing.T
	srv      *picartotest.AlertsServer
	logs     *testlog.Buffer
	connects chan struct{}
	downs    chan error
	frames   chan alertFrame
	errs     []string // error texts seen, checked for tokens
}

func newAlertHarness(t *testing.T, opts picartotest.AlertsOptions) *alertHarness {
	t.Helper()
	srv, err := picartotest.NewAlertsServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.AddChannel(alertTestChannelID, alertTestChannel)
	return &alertHarness{t: t, srv: srv, logs: &testlog.Buffer{}, connects: make(chan struct{}, 64),
		downs: make(chan error, 256), frames: make(chan alertFrame, 256)}
}

// config returns a client config against the fake with test-sized timings.
func (h *alertHarness) config() picarto.AlertsConfig {
	return picarto.AlertsConfig{
		InternalURL: h.srv.GraphQLURL(), AlertsURL: h.srv.WidgetURL(),
		ChannelName: alertTestChannel, ChannelID: alertTestChannelID,
		Logger:         slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
		BackoffInitial: 10 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		PingInterval: 100 * time.Millisecond, PongTimeout: 5 * time.Second, // generous: CI machines stall
		OnConnect: func() { h.connects <- struct{}{} },
		OnDisconnect: func(err error) {
			select {
			case h.downs <- err:
			default:
			}
		},
		OnFrame: func(raw []byte, decoded bool) {
			select {
			case h.frames <- alertFrame{raw, decoded}:
			default:
			}
		},
	}
}

// alertRun is one a.Run in progress; the test owns its goroutine and
// always collects its result (wait or stop).
type alertRun struct {
	t      *testing.T
	cancel context.CancelFunc
	ch     chan error
	done   bool
	err    error
}

func (h *alertHarness) run(a *picarto.Alerts) *alertRun {
	ctx, cancel := context.WithCancel(context.Background())
	r := &alertRun{t: h.t, cancel: cancel, ch: make(chan error, 1)}
	go func() { r.ch <- a.Run(ctx) }()
	return r
}

// wait returns Run's result, waiting for it to end by itself.
func (r *alertRun) wait() error {
	r.t.Helper()
	if !r.done {
		select {
		case r.err = <-r.ch:
			r.done = true
		case <-time.After(alertTestWait):
			r.t.Fatal("Run did not return")
		}
	}
	return r.err
}

// stop cancels Run and returns its result.
func (r *alertRun) stop() error {
	r.t.Helper()
	r.cancel()
	return r.wait()
}

func (h *alertHarness) waitConnect() {
	h.t.Helper()
	select {
	case <-h.connects:
	case <-time.After(alertTestWait):
		h.t.Fatalf("no connect; logs:\n%s", h.logs)
	}
}

// waitServer waits until cond holds at the fake (checked at each change).
func (h *alertHarness) waitServer(what string, cond func() bool) {
	h.t.Helper()
	deadline := time.After(alertTestWait)
	for {
		changed := h.srv.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-deadline:
			h.t.Fatalf("fake never reached: %s; logs:\n%s", what, h.logs)
		}
	}
}

func (h *alertHarness) nextEvent(a *picarto.Alerts) picarto.AlertEvent {
	h.t.Helper()
	select {
	case ev := <-a.Events():
		return ev
	case <-time.After(alertTestWait):
		h.t.Fatalf("no event; logs:\n%s", h.logs)
		return nil
	}
}

// checkNoTokens fails if any key or token the fake issued appears in a log
// line, an error seen, or a captured frame.
func (h *alertHarness) checkNoTokens(frames ...[]byte) {
	h.t.Helper()
	logs := h.logs.String()
	text := strings.Join(h.errs, "\n")
	for len(h.downs) > 0 {
		if err := <-h.downs; err != nil {
			text += "\n" + err.Error()
		}
	}
	for _, f := range frames {
		text += "\n" + string(f)
	}
	toks := h.srv.IssuedTokens()
	if len(toks) == 0 {
		h.t.Fatalf("the fake issued no tokens")
	}
	for _, tok := range toks {
		if strings.Contains(logs, tok) {
			h.t.Errorf("a token leaked into the logs:\n%s", logs)
		}
		if strings.Contains(text, tok) {
			h.t.Errorf("a token leaked into an error or frame:\n%s", text)
		}
		// The JWT's signature alone is secret enough to matter.
		if sig := tok[strings.LastIndex(tok, ".")+1:]; strings.Contains(logs, sig) || strings.Contains(text, sig) {
			h.t.Errorf("a token signature leaked")
		}
	}
}

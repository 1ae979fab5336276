package sbclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newServer(t testing.TB, opts sbtest.Options) *sbtest.Server {
	t.Helper()
	if opts.Logger == nil {
		opts.Logger = testLogger(t)
	}
	s, err := sbtest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func testLogger(t testing.TB) *slog.Logger {
	if tt, ok := t.(*testing.T); ok {
		return slog.New(slog.NewTextHandler(tt.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// harness runs a Client against a server and exposes its callbacks as channels.
type harness struct {
	c          *sbclient.Client
	connects   chan sbclient.Info
	disconnect chan error
	runErr     chan error
	cancel     context.CancelFunc
}

// fastConfig shrinks every interval so failure paths run in milliseconds.
func fastConfig(t testing.TB, url string) sbclient.Config {
	return sbclient.Config{
		URL: url, Logger: testLogger(t),
		RequestTimeout: 5 * time.Second, HelloTimeout: 300 * time.Millisecond,
		PingInterval: time.Second, PongWait: 3 * time.Second,
		BackoffInitial: 50 * time.Millisecond, BackoffMax: 200 * time.Millisecond,
	}
}

func start(t testing.TB, cfg sbclient.Config) *harness {
	t.Helper()
	h := &harness{connects: make(chan sbclient.Info, 16), disconnect: make(chan error, 16), runErr: make(chan error, 1)}
	userConnect, userDisconnect := cfg.OnConnect, cfg.OnDisconnect
	cfg.OnConnect = func(i sbclient.Info) {
		if userConnect != nil {
			userConnect(i)
		}
		h.connects <- i
	}
	cfg.OnDisconnect = func(err error) {
		if userDisconnect != nil {
			userDisconnect(err)
		}
		h.disconnect <- err
	}
	h.c = sbclient.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	go func() { h.runErr <- h.c.Run(ctx) }()
	t.Cleanup(func() { h.stop(t) })
	return h
}

// stop cancels Run and waits for it (idempotent).
func (h *harness) stop(t testing.TB) error {
	t.Helper()
	h.cancel()
	select {
	case err, ok := <-h.runErr:
		if ok {
			close(h.runErr)
			return err
		}
		return nil
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after cancel")
		return nil
	}
}

func (h *harness) waitConnect(t testing.TB) sbclient.Info {
	t.Helper()
	select {
	case i := <-h.connects:
		return i
	case err := <-h.runErr:
		t.Fatalf("Run returned %v before connecting", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no OnConnect within 10s")
	}
	return sbclient.Info{}
}

func (h *harness) waitDisconnect(t testing.TB, within time.Duration) error {
	t.Helper()
	select {
	case err := <-h.disconnect:
		return err
	case <-time.After(within):
		t.Fatalf("no OnDisconnect within %v", within)
	}
	return nil
}

func waitFor(t testing.TB, s *sbtest.Server, what string, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := s.WaitFor(ctx, cond); err != nil {
		t.Fatalf("waiting for %s: %v", what, err)
	}
}

// requestsOn returns the request names seen on one connection.
func requestsOn(s *sbtest.Server, conn int) []string {
	var out []string
	for _, r := range s.Requests() {
		if r.Conn == conn {
			out = append(out, r.Request)
		}
	}
	return out
}

func TestAuthenticationVector(t *testing.T) {
	// Computed with Node's crypto as the official client does (spec §1.3).
	got := sbclient.Authentication("hunter2", "c2FsdA==", "Y2hhbGxlbmdl")
	if want := "HbemcTRAK8GnBZpkRzKZdmk94xa5VYtjm6/uKbA1epI="; got != want {
		t.Fatalf("Authentication = %q, want %q", got, want)
	}
}

func TestAuthMatrix(t *testing.T) {
	cases := []struct {
		name                string
		server              sbtest.Options
		password            string
		wantAuthErr         bool
		wantFirst, wantNone string // first request on the connection; a request that must not appear
	}{
		{name: "right password", server: sbtest.Options{Password: "pw"}, password: "pw", wantFirst: "Authenticate", wantNone: "GetInfo"},
		{name: "right password enforced", server: sbtest.Options{Password: "pw", Enforce: true}, password: "pw", wantFirst: "Authenticate"},
		{name: "wrong password", server: sbtest.Options{Password: "pw"}, password: "nope", wantAuthErr: true},
		{name: "wrong password, close only", server: sbtest.Options{Password: "pw", BadAuthCloseOnly: true}, password: "nope", wantAuthErr: true},
		{name: "no auth anywhere", server: sbtest.Options{}, wantNone: "Authenticate"},
		{name: "password but server has auth off", server: sbtest.Options{}, password: "pw", wantNone: "Authenticate"},
		{name: "auth on, not enforced, no password", server: sbtest.Options{Password: "pw"}, wantFirst: "GetInfo", wantNone: "Authenticate"},
		{name: "enforced, no password", server: sbtest.Options{Password: "pw", Enforce: true}, wantAuthErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, tc.server)
			cfg := fastConfig(t, srv.URL())
			cfg.Password = secret.Secret(tc.password)
			cfg.Subscriptions = map[string][]string{"General": {"Custom"}}
			h := start(t, cfg)
			if tc.wantAuthErr {
				select {
				case err := <-h.runErr:
					close(h.runErr)
					if !errors.Is(err, sbclient.ErrAuth) {
						t.Fatalf("Run = %v, want ErrAuth", err)
					}
					if tc.password != "" && strings.Contains(err.Error(), tc.password) {
						t.Fatalf("error leaks the password: %v", err)
					}
				case <-h.connects:
					t.Fatal("connected with a bad password")
				case <-time.After(5 * time.Second):
					t.Fatal("Run did not fail")
				}
				var dials int
				for _, r := range srv.Requests() {
					if r.Request == "Authenticate" || r.Request == "GetInfo" {
						dials++
					}
				}
				if dials != 1 {
					t.Fatalf("%d auth attempts, want exactly 1 (no retry)", dials)
				}
				return
			}
			info := h.waitConnect(t)
			if info.InstanceID != srv.InstanceID() || info.Version != srv.Version() {
				t.Fatalf("info = %+v", info)
			}
			reqs := requestsOn(srv, 1)
			if tc.wantFirst != "" && (len(reqs) == 0 || reqs[0] != tc.wantFirst) {
				t.Fatalf("requests %v, want %s first", reqs, tc.wantFirst)
			}
			for _, r := range reqs {
				if r == tc.wantNone {
					t.Fatalf("requests %v contain %s", reqs, tc.wantNone)
				}
			}
			if reqs[len(reqs)-1] != "Subscribe" {
				t.Fatalf("requests %v, want Subscribe last", reqs)
			}
		})
	}
}

func TestNotConnected(t *testing.T) {
	c := sbclient.New(sbclient.Config{URL: "ws://127.0.0.1:1/"})
	if _, err := c.GetInfo(context.Background()); !errors.Is(err, sbclient.ErrNotConnected) {
		t.Fatalf("GetInfo = %v, want ErrNotConnected", err)
	}
	if err := c.DoAction(context.Background(), sbclient.ActionRef{}, nil); err == nil {
		t.Fatal("DoAction without id or name succeeded")
	}
	// Subscribe while disconnected records the set and succeeds.
	if err := c.Subscribe(context.Background(), map[string][]string{"General": {"Custom"}}); err != nil {
		t.Fatal(err)
	}
	if got := c.Subscriptions(); len(got["General"]) != 1 {
		t.Fatalf("Subscriptions = %v", got)
	}
}

func TestTypedRequests(t *testing.T) {
	srv := newServer(t, sbtest.Options{Password: "pw", Enforce: true})
	id := srv.AddAction("Process Picarto Follow")
	srv.AddSetGlobalAction("Picarto Set Global")
	srv.AddCodeTrigger("Follow", "picartoFollow", "Picarto")
	srv.SetGlobal("picartoChannelName", "artist", true)
	srv.SetGlobal("picartoOnline", false, false)
	cfg := fastConfig(t, srv.URL())
	cfg.Password = "pw"
	cfg.Subscriptions = map[string][]string{"Misc": {"GlobalVariableCreated", "GlobalVariableUpdated"}}
	h := start(t, cfg)
	h.waitConnect(t)
	ctx := t.Context()
	c := h.c

	acts, err := c.GetActions(ctx)
	if err != nil || len(acts) != 2 || acts[0].ID != id || !acts[0].Enabled || acts[0].Name != "Process Picarto Follow" {
		t.Fatalf("GetActions = %+v, %v", acts, err)
	}
	if err := c.DoAction(ctx, sbclient.ActionRef{Name: "Process Picarto Follow"}, map[string]any{"user": "bob", "n": 3}); err != nil {
		t.Fatal(err)
	}
	if err := c.DoActionJSON(ctx, sbclient.ActionRef{ID: id}, json.RawMessage(`{"user":"al"}`)); err != nil {
		t.Fatal(err)
	}
	err = c.DoAction(ctx, sbclient.ActionRef{Name: "Nope"}, nil)
	var re *sbclient.RequestError
	if !errors.As(err, &re) || !errors.Is(err, sbclient.ErrActionNotFound) || re.Message == "" {
		t.Fatalf("DoAction unknown = %v", err)
	}
	runs := srv.ActionRuns()
	if len(runs) != 2 || runs[0].Args["user"] != "bob" || runs[0].Args["n"] != 3.0 || runs[1].Args["user"] != "al" {
		t.Fatalf("runs = %+v", runs)
	}

	// The set-global helper types values and emits an event to subscribers.
	err = c.DoAction(ctx, sbclient.ActionRef{Name: "Picarto Set Global"},
		map[string]any{"name": "picartoFollowerCount", "value": "42", "persisted": "true"})
	if err != nil {
		t.Fatal(err)
	}
	ev := nextEvent(t, c)
	if ev.Source != "Misc" || ev.Type != "GlobalVariableCreated" || ev.TimeStamp.IsZero() {
		t.Fatalf("event = %+v", ev)
	}
	var data struct {
		Name      string
		Value     any
		Persisted bool
	}
	if err := json.Unmarshal(ev.Data, &data); err != nil || data.Name != "picartoFollowerCount" || data.Value != 42.0 || !data.Persisted {
		t.Fatalf("event data %s (%v)", ev.Data, err)
	}
	srv.SetGlobal("picartoFollowerCount", 43, true)
	if ev := nextEvent(t, c); ev.Type != "GlobalVariableUpdated" {
		t.Fatalf("event = %+v", ev)
	}

	globals, err := c.GetGlobals(ctx, true)
	if err != nil || globals["picartoChannelName"].Value != "artist" || globals["picartoFollowerCount"].Value != 43.0 ||
		globals["picartoChannelName"].LastWrite.IsZero() {
		t.Fatalf("GetGlobals = %+v, %v", globals, err)
	}
	temp, err := c.GetGlobals(ctx, false)
	if err != nil || len(temp) != 1 || temp["picartoOnline"].Value != false {
		t.Fatalf("GetGlobals(false) = %+v, %v", temp, err)
	}
	g, err := c.GetGlobal(ctx, "picartoChannelName", true)
	if err != nil || g.Value != "artist" || g.Name != "picartoChannelName" {
		t.Fatalf("GetGlobal = %+v, %v", g, err)
	}
	if _, err := c.GetGlobal(ctx, "missing", true); !errors.Is(err, sbclient.ErrGlobalNotFound) || !errors.As(err, &re) {
		t.Fatalf("GetGlobal missing = %v", err)
	}

	trig, err := c.GetCodeTriggers(ctx)
	if err != nil || len(trig) != 1 || trig[0] != (sbclient.CodeTrigger{Name: "Follow", EventName: "picartoFollow", Category: "Picarto"}) {
		t.Fatalf("GetCodeTriggers = %+v, %v", trig, err)
	}
	if err := c.ExecuteCodeTrigger(ctx, "picartoFollow", map[string]any{"user": "cy"}); err != nil {
		t.Fatal(err)
	}
	if tr := srv.TriggerRuns(); len(tr) != 1 || tr[0].Args["user"] != "cy" {
		t.Fatalf("trigger runs %+v", tr)
	}
	if err := c.ExecuteCodeTrigger(ctx, "nope", nil); !errors.As(err, &re) {
		t.Fatalf("ExecuteCodeTrigger unknown = %v", err)
	}

	raw, err := c.Do(ctx, "GetEvents", nil)
	if err != nil || !json.Valid(raw) {
		t.Fatalf("Do GetEvents = %s, %v", raw, err)
	}
	if _, err := c.Do(ctx, "NoSuchRequest", map[string]any{"x": 1}); !errors.As(err, &re) {
		t.Fatalf("unknown request = %v", err)
	}

	// UnSubscribe: no more Misc events.
	if err := c.UnSubscribe(ctx, map[string][]string{"Misc": {"GlobalVariableCreated", "GlobalVariableUpdated"}}); err != nil {
		t.Fatal(err)
	}
	srv.SetGlobal("x", 1, true)
	srv.Broadcast(map[string]any{"ping": 1})
	if _, err := c.GetInfo(ctx); err != nil { // a round trip after the events
		t.Fatal(err)
	}
	select {
	case ev := <-c.Events():
		t.Fatalf("unsubscribed event delivered: %+v", ev)
	default:
	}
}

func nextEvent(t testing.TB, c *sbclient.Client) sbclient.Event {
	t.Helper()
	select {
	case ev := <-c.Events():
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no event within 5s")
	}
	return sbclient.Event{}
}

package sbclient_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/picarto-bridge/picarto-bridge/sbclient"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

func TestConcurrentRequestsOutOfOrder(t *testing.T) {
	const n = 50
	srv := newServer(t, sbtest.Options{Password: "pw"})
	for i := range n {
		srv.SetGlobal(fmt.Sprintf("g%02d", i), i, true)
	}
	cfg := fastConfig(t, srv.URL())
	cfg.Password = "pw"
	h := start(t, cfg)
	h.waitConnect(t)

	srv.HoldReplies(n) // the fake answers all 50 at once, last first
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("g%02d", i)
			g, err := h.c.GetGlobal(t.Context(), name, true)
			switch {
			case err != nil:
				errs <- err
			case g.Name != name || g.Value != float64(i):
				errs <- fmt.Errorf("GetGlobal(%s) = %+v", name, g)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestRequestTimeout(t *testing.T) {
	srv := newServer(t, sbtest.Options{})
	cfg := fastConfig(t, srv.URL())
	cfg.RequestTimeout = 300 * time.Millisecond
	h := start(t, cfg)
	h.waitConnect(t)

	srv.HoldReplies(2) // the first reply is held until a second request comes
	begin := time.Now()
	_, err := h.c.GetInfo(t.Context())
	if !errors.Is(err, sbclient.ErrTimeout) {
		t.Fatalf("GetInfo = %v, want ErrTimeout", err)
	}
	if d := time.Since(begin); d < 250*time.Millisecond || d > 3*time.Second {
		t.Fatalf("timed out after %v, want about 300ms", d)
	}
	// The second request releases both replies (its own first, then the
	// stale one, which must be ignored).
	if info, err := h.c.GetInfo(t.Context()); err != nil || info.InstanceID != srv.InstanceID() {
		t.Fatalf("GetInfo after timeout = %+v, %v", info, err)
	}
	if _, err := h.c.GetInfo(t.Context()); err != nil {
		t.Fatalf("GetInfo after the stale reply = %v", err)
	}

	// The caller's deadline wins when shorter.
	srv.HoldReplies(1000)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := h.c.GetInfo(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("GetInfo with short ctx = %v", err)
	}
	srv.HoldReplies(0)
	if !h.c.Connected() {
		t.Fatal("a timeout must not drop the connection")
	}

	// A slow server (SetReplyDelay) beyond the timeout also times out.
	srv.SetReplyDelay(2 * time.Second)
	if _, err := h.c.GetInfo(t.Context()); !errors.Is(err, sbclient.ErrTimeout) {
		t.Fatalf("GetInfo from a slow server = %v", err)
	}
}

func TestDropMidRequest(t *testing.T) {
	srv := newServer(t, sbtest.Options{})
	srv.AddAction("a")
	h := start(t, fastConfig(t, srv.URL()))
	h.waitConnect(t)

	srv.HoldReplies(1000) // never answered
	errc := make(chan error, 1)
	go func() { errc <- h.c.DoAction(context.Background(), sbclient.ActionRef{Name: "a"}, nil) }()
	waitFor(t, srv, "DoAction received", func() bool {
		return slices.ContainsFunc(srv.Requests(), func(r sbtest.Request) bool { return r.Request == "DoAction" })
	})
	srv.HoldReplies(0)
	dropped := time.Now()
	srv.DropAll()
	select {
	case err := <-errc:
		if !errors.Is(err, sbclient.ErrDisconnected) {
			t.Fatalf("DoAction = %v, want ErrDisconnected", err)
		}
		if d := time.Since(dropped); d > 2*time.Second { // RequestTimeout is 5s
			t.Fatalf("ErrDisconnected after %v", d)
		}
	case <-time.After(3 * time.Second):
		t.Fatal("DoAction still blocked after the drop")
	}
	h.waitDisconnect(t, 3*time.Second)
	h.waitConnect(t) // and it comes back
}

func lastSubscribe(t testing.TB, s *sbtest.Server) (sbtest.Request, map[string][]string) {
	t.Helper()
	var last sbtest.Request
	for _, r := range s.Requests() {
		if r.Request == "Subscribe" {
			last = r
		}
	}
	var body struct{ Events map[string][]string }
	if last.Raw != nil {
		if err := json.Unmarshal(last.Raw, &body); err != nil {
			t.Fatal(err)
		}
	}
	return last, body.Events
}

func TestReconnectResubscribes(t *testing.T) {
	srv := newServer(t, sbtest.Options{Password: "pw", Enforce: true})
	cfg := fastConfig(t, srv.URL())
	cfg.Password = "pw"
	cfg.Subscriptions = map[string][]string{"General": {"Custom"}}
	cfg.BackoffInitial, cfg.BackoffMax = 0, 0 // the defaults: 500ms first, 10s cap
	h := start(t, cfg)
	h.waitConnect(t)
	if err := h.c.Subscribe(t.Context(), map[string][]string{"Misc": {"GlobalVariableUpdated", "GlobalVariableCreated"}}); err != nil {
		t.Fatal(err)
	}
	want := map[string][]string{"General": {"Custom"}, "Misc": {"GlobalVariableCreated", "GlobalVariableUpdated"}}
	first, got := lastSubscribe(t, srv)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("Subscribe sent %v, want the whole set %v", got, want)
	}

	restarted := time.Now()
	if err := srv.Restart(); err != nil {
		t.Fatal(err)
	}
	if err := h.waitDisconnect(t, 3*time.Second); err == nil {
		t.Fatal("OnDisconnect(nil) for a dropped connection")
	}
	h.waitConnect(t)
	// First retry after 500ms±25%; the bound leaves room for a loaded machine.
	if d := time.Since(restarted); d > 3*time.Second {
		t.Fatalf("reconnected after %v, want the first retry within 1s", d)
	}
	t.Logf("reconnected %v after the restart", time.Since(restarted).Round(time.Millisecond))
	waitFor(t, srv, "fresh Subscribe", func() bool {
		r, _ := lastSubscribe(t, srv)
		return r.Conn != first.Conn
	})
	again, got := lastSubscribe(t, srv)
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("after reconnect Subscribe %v, want %v", got, want)
	}
	if reqs := requestsOn(srv, again.Conn); reqs[0] != "Authenticate" {
		t.Fatalf("requests on the new connection %v, want Authenticate first", reqs)
	}
	srv.Broadcast(map[string]string{"picartoBridge": "restart"})
	if ev := nextEvent(t, h.c); ev.Source != "General" || ev.Type != "Custom" || string(ev.Data) != `{"picartoBridge":"restart"}` {
		t.Fatalf("event after reconnect = %+v", ev)
	}
}

func TestHalfOpenSocketDetected(t *testing.T) {
	srv := newServer(t, sbtest.Options{})
	cfg := fastConfig(t, srv.URL())
	cfg.PingInterval, cfg.PongWait = 50*time.Millisecond, 300*time.Millisecond
	h := start(t, cfg)
	h.waitConnect(t)

	frozen := time.Now()
	srv.SetUnresponsive(true)
	err := h.waitDisconnect(t, 5*time.Second)
	if d := time.Since(frozen); d > 3*time.Second {
		t.Fatalf("half-open socket noticed after %v (PongWait 300ms)", d)
	}
	t.Logf("detected after %v: %v", time.Since(frozen).Round(time.Millisecond), err)
	h.waitConnect(t) // a fresh socket is served normally
	if _, err := h.c.GetInfo(t.Context()); err != nil {
		t.Fatal(err)
	}
}

func TestSlowConsumerNeverStallsReplies(t *testing.T) {
	srv := newServer(t, sbtest.Options{})
	cfg := fastConfig(t, srv.URL())
	cfg.EventBuffer = 4
	cfg.Subscriptions = map[string][]string{"General": {"Custom"}}
	h := start(t, cfg)
	h.waitConnect(t)

	for i := range 500 {
		srv.Broadcast(map[string]int{"n": i})
	}
	// Nobody reads Events(); the reply still comes (it is queued after the
	// 500 events on the same socket, so they were all read by then).
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if _, err := h.c.GetInfo(ctx); err != nil {
		t.Fatalf("reply stalled behind events: %v", err)
	}
	if got := h.c.Dropped(); got != 496 {
		t.Fatalf("Dropped = %d, want 496", got)
	}
	for i := range 4 {
		ev := nextEvent(t, h.c)
		if string(ev.Data) != fmt.Sprintf(`{"n":%d}`, i) {
			t.Fatalf("kept event %d = %s, want the oldest ones", i, ev.Data)
		}
	}
}

func TestNoGoroutineLeftAfterRun(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	srv, err := sbtest.New(sbtest.Options{Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	srv.AddAction("a")
	cfg := fastConfig(t, srv.URL())
	cfg.Password = "pw"
	cfg.Subscriptions = map[string][]string{"General": {"Custom"}}
	connected := make(chan struct{}, 4)
	cfg.OnConnect = func(sbclient.Info) { connected <- struct{}{} }
	c := sbclient.New(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx) }()
	<-connected
	for range 20 {
		if err := c.DoAction(ctx, sbclient.ActionRef{Name: "a"}, map[string]any{"x": 1}); err != nil {
			t.Fatal(err)
		}
	}
	srv.DropAll() // one reconnect on the way
	<-connected
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run = %v, want nil on cancel", err)
	}
	if c.Connected() {
		t.Fatal("Connected after Run returned")
	}
	if err := srv.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestSubscribeUnionIsSent(t *testing.T) {
	srv := newServer(t, sbtest.Options{})
	h := start(t, fastConfig(t, srv.URL()))
	h.waitConnect(t)
	if _, events := lastSubscribe(t, srv); events != nil {
		t.Fatalf("empty desired set sent %v", events)
	}
	sets := []map[string][]string{{"General": {"Custom"}}, {"Misc": {"GlobalVariableUpdated"}}, {"General": {"Custom"}}}
	for _, s := range sets {
		if err := h.c.Subscribe(t.Context(), s); err != nil {
			t.Fatal(err)
		}
	}
	_, got := lastSubscribe(t, srv)
	want := map[string][]string{"General": {"Custom"}, "Misc": {"GlobalVariableUpdated"}}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Fatalf("Subscribe = %v, want %v", got, want)
	}
}

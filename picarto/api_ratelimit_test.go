package picarto_test

import (
	"context"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

// after a 429 with Retry-After: 2, nothing reaches the fake for 2 s, even
// with several callers (and a second client sharing the budget) waiting.
func TestRetryAfterPausesEveryRequest(t *testing.T) {
	lim := newLimiter(30, time.Minute)
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{Limiter: lim})
	other := picarto.NewClient(picarto.Config{BaseURL: e.fake.URL(), Token: apiToken, Limiter: lim,
		ClientID: apiClientID, ClientSecret: apiClientSecret})
	ctx := testCtx(t, 20*time.Second)
	e.fake.FailNextRateLimited(1, 2*time.Second)

	paused := e.log.on("rate limited (429)")
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	call := func(f func() error) {
		wg.Add(1)
		go func() { defer wg.Done(); errs <- f() }()
	}
	call(func() error { _, err := e.c.ChannelByName(ctx, "goat"); return err })
	select {
	case <-paused:
	case <-ctx.Done():
		t.Fatal("no 429 seen")
	}
	call(func() error { _, err := e.c.User(ctx); return err })
	call(func() error { _, err := e.c.Followers(ctx); return err })
	call(func() error { _, err := e.c.Notifications(ctx); return err })
	call(func() error { _, err := other.ChannelByID(ctx, apiChannelID); return err })
	call(func() error { _, err := other.ListWebhooks(ctx, 0); return err })
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("call failed: %v", err)
		}
	}
	reqs := e.fake.Requests()
	var at429 time.Time
	for _, r := range reqs {
		if r.Status == http.StatusTooManyRequests {
			at429 = r.At
		}
	}
	if at429.IsZero() {
		t.Fatal("the fake recorded no 429")
	}
	n := 0
	for _, r := range reqs {
		if r.At.After(at429) {
			n++
			if gap := r.At.Sub(at429); gap < 2*time.Second {
				t.Errorf("%s %s reached the fake %v after the 429", r.Method, r.Path, gap)
			}
		}
	}
	if n < 6 {
		t.Errorf("requests after the 429 = %d, want >= 6", n)
	}
}

// A 429 without Retry-After waits for the next window (here the limiter's
// short window; in production the next minute).
func TestRateLimitedWithoutRetryAfter(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{Limiter: newLimiter(30, 400*time.Millisecond)})
	e.fake.FailNextRateLimited(1, 0)
	if _, err := e.c.ChannelByName(testCtx(t, 10*time.Second), "goat"); err != nil {
		t.Fatal(err)
	}
	reqs := e.fake.Requests()
	if len(reqs) != 2 || reqs[0].Status != 429 {
		t.Fatalf("requests = %+v", reqs)
	}
	if gap := reqs[1].At.Sub(reqs[0].At); gap < 400*time.Millisecond {
		t.Errorf("retried after %v, want >= 400ms", gap)
	}
	e.fake.FailNextRateLimited(10, time.Second)
	c := picarto.NewClient(picarto.Config{BaseURL: e.fake.URL(), MaxRetries: -1})
	if _, err := c.ChannelByName(testCtx(t, 5*time.Second), "goat"); !errors.Is(err, picarto.ErrRateLimited) {
		t.Errorf("no retries: %v", err)
	}
}

// 100 calls from 10 goroutines never put more than the budget into any
// window at the fake, and the fake never has to refuse one.
func TestBudgetNeverExceeded(t *testing.T) {
	const n, fakeWin, ourWin = 10, 150 * time.Millisecond, 180 * time.Millisecond
	e := newAPIEnv(t, picartotest.APIOptions{RateLimit: n, RateWindow: fakeWin},
		picarto.Config{Limiter: newLimiter(n, ourWin)})
	ctx := testCtx(t, 30*time.Second)
	var wg sync.WaitGroup
	var failed atomic.Int32
	for g := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				var err error
				if (g+i)%2 == 0 {
					_, err = e.c.ChannelByName(ctx, "goat")
				} else {
					_, err = e.c.User(ctx)
				}
				if err != nil {
					failed.Add(1)
					t.Errorf("call: %v", err)
				}
			}
		}()
	}
	wg.Wait()
	if got := e.fake.MaxInWindow(fakeWin); got > n {
		t.Errorf("fake saw %d requests in one %v window, budget %d", got, fakeWin, n)
	}
	reqs := e.fake.Requests()
	for _, r := range reqs {
		if r.Status == 429 {
			t.Errorf("the fake refused a request at %v", r.At)
		}
	}
	if len(reqs) != 100 || failed.Load() != 0 {
		t.Errorf("requests = %d, failed = %d", len(reqs), failed.Load())
	}
}

// x-ratelimit-remaining: 0 holds the client back even when its own limiter
// would allow more (the budget is shared with someone else).
func TestRemainingZeroRespected(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{RateLimit: 5, RateWindow: 300 * time.Millisecond},
		picarto.Config{Limiter: newLimiter(100, 300*time.Millisecond)})
	ctx := testCtx(t, 20*time.Second)
	for range 15 {
		if _, err := e.c.ChannelByID(ctx, apiChannelID); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range e.fake.Requests() {
		if r.Status != 200 {
			t.Errorf("status %d at %v", r.Status, r.At)
		}
	}
}

func TestServerErrorsRetried(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{MaxRetries: 2})
	ctx := testCtx(t, 10*time.Second)
	e.fake.FailNext(502, 2)
	if _, err := e.c.ChannelByName(ctx, "goat"); err != nil {
		t.Fatalf("after two 502s: %v", err)
	}
	if n := len(e.fake.Requests()); n != 3 {
		t.Errorf("requests = %d, want 3", n)
	}
	e.fake.FailNext(524, 5)
	_, err := e.c.User(ctx)
	var ae *picarto.APIError
	if !errors.As(err, &ae) || ae.Status != 524 || ae.Message != "error code: 524" {
		t.Fatalf("err = %v", err)
	}
	if n := len(e.fake.Requests()); n != 6 {
		t.Errorf("requests = %d, want 6 (1 + 2 retries)", n)
	}
	e.fake.FailNext(0, 0)
}

// A POST whose request reached the server is not retried after a network
// error (the webhook may exist); a GET is.
func TestNetworkErrorRetryRules(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}))
	defer srv.Close()
	log := &apiLog{}
	c := picarto.NewClient(picarto.Config{BaseURL: srv.URL, Token: apiToken, MaxRetries: 2,
		RetryInitial: time.Millisecond, RetryMax: 2 * time.Millisecond, Logger: log.logger()})
	ctx := testCtx(t, 10*time.Second)
	if _, err := c.CreateWebhook(ctx, picarto.WebhookFollow, "https://example.com/hook"); err == nil {
		t.Fatal("POST against a dropping server succeeded")
	}
	if n := hits.Load(); n != 1 {
		t.Errorf("POST attempts = %d, want 1", n)
	}
	hits.Store(0)
	if _, err := c.User(ctx); err == nil {
		t.Fatal("GET against a dropping server succeeded")
	}
	if n := hits.Load(); n != 3 {
		t.Errorf("GET attempts = %d, want 3", n)
	}

	// connection refused: the POST never left, so it is retried.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	c = picarto.NewClient(picarto.Config{BaseURL: "http://" + addr + "/api/v1", Token: apiToken, MaxRetries: 2,
		RetryInitial: time.Millisecond, RetryMax: 2 * time.Millisecond, Logger: log.logger()})
	before := strings.Count(log.String(), "retrying")
	if _, err := c.CreateWebhook(ctx, picarto.WebhookFollow, "https://example.com/hook"); err == nil {
		t.Fatal("POST to a closed port succeeded")
	}
	if n := strings.Count(log.String(), "retrying") - before; n != 2 {
		t.Errorf("retries of an unsent POST = %d, want 2", n)
	}
	ctx2, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := c.User(ctx2); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled ctx: %v", err)
	}
}

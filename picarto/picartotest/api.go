// Package picartotest is a fake Picarto for tests and the in-process demo:
// the REST API, OAuth, webhook management and sender (NewAPI), and the bot
// chat server (NewChatServer). Each is as strict as the real service is
// known to be (../shared/specs/picarto-api.md section 11) and configurable
// where the real behaviour is unknown. Nothing here needs a *testing.T.
package picartotest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/conc"
)

// APIOptions configures the fake API. Zero values take the defaults.
type APIOptions struct {
	// Addr to listen on; default "127.0.0.1:0".
	Addr string
	// Logger; nil discards.
	Logger *slog.Logger
	// PageSize of the paged /user/* lists and search; default 5, so tests
	// exercise paging (Picarto's real size is undocumented).
	PageSize int
	// RateLimit and RateWindow: REST requests admitted in any sliding
	// window; default 30 per 60 s. Rejected requests get 429 with
	// retry-after and do not count.
	RateLimit  int
	RateWindow time.Duration
	// TokenLifetime is expires_in of tokens the OAuth endpoint issues;
	// default 360000 s (the one value ever seen).
	TokenLifetime time.Duration
	// KeepRefreshTokens keeps a refresh token valid after use; by default
	// every refresh issues a new one and retires the old (rotation is
	// unknown at Picarto, so the stricter behaviour is the default).
	KeepRefreshTokens bool
	// ProbeMethod is how POST/PUT /webhooks checks ownership of the URI:
	// "GET" (default) or "POST"; "none" skips the probe. Anything but a 2xx
	// answer is a 425.
	ProbeMethod string
	// ProbeTimeout bounds the probe and each FireWebhook delivery; default 5 s.
	ProbeTimeout time.Duration
}

// API is the fake Picarto REST API with OAuth under /oauth. It is safe for
// concurrent use.
type API struct {
	opts APIOptions
	log  *slog.Logger
	ln   net.Listener
	srv  *http.Server
	hc   *http.Client
	wg   conc.WaitGroup

	mu            sync.Mutex
	channels      map[int64]*apiChannel
	byName        map[string]int64 // lower-case name -> id
	tokens        map[string]*apiToken
	refresh       map[string]*apiToken
	codes         map[string]*apiCode
	apps          map[string]*apiApp
	appOrder      []string
	hooks         []*Webhook
	nextHook      int
	oauthUser     int64
	failStatus    int
	failN         int
	failRetry     time.Duration
	rateN         int
	rateWin       time.Duration
	admitted      []time.Time // admission times inside the window
	reqs          []RequestRecord
	notifySeq     int
	tokenLifetime time.Duration
}

// NewAPI starts the fake, already listening.
func NewAPI(opts APIOptions) (*API, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.PageSize <= 0 {
		opts.PageSize = 5
	}
	if opts.RateLimit <= 0 {
		opts.RateLimit = 30
	}
	if opts.RateWindow <= 0 {
		opts.RateWindow = time.Minute
	}
	if opts.TokenLifetime <= 0 {
		opts.TokenLifetime = 360000 * time.Second
	}
	opts.ProbeMethod = strings.ToUpper(strings.TrimSpace(opts.ProbeMethod))
	if opts.ProbeMethod == "" {
		opts.ProbeMethod = http.MethodGet
	}
	if opts.ProbeTimeout <= 0 {
		opts.ProbeTimeout = 5 * time.Second
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("picartotest: listen: %w", err)
	}
	a := &API{
		opts: opts, log: opts.Logger.With("component", "picartotest.api"), ln: ln,
		hc:       &http.Client{Timeout: opts.ProbeTimeout},
		channels: map[int64]*apiChannel{}, byName: map[string]int64{},
		tokens: map[string]*apiToken{}, refresh: map[string]*apiToken{},
		codes: map[string]*apiCode{}, apps: map[string]*apiApp{},
		nextHook: 1001, rateN: opts.RateLimit, rateWin: opts.RateWindow,
		tokenLifetime: opts.TokenLifetime,
	}
	rest := a.restMux()
	mux := http.NewServeMux()
	mux.Handle("/api/v1/", a.restMiddleware("/api/v1", rest))
	mux.Handle("/v1/", a.restMiddleware("/v1", rest))
	mux.Handle("/oauth/", a.oauthMux())
	a.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	a.wg.Go(func() {
		if err := a.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			a.log.Error("picartotest: serve", "err", err)
		}
	})
	return a, nil
}

// URL returns the REST base, "http://127.0.0.1:<port>/api/v1".
func (a *API) URL() string { return "http://" + a.ln.Addr().String() + "/api/v1" }

// LegacyURL returns the 2017-style REST base, "http://127.0.0.1:<port>/v1".
func (a *API) LegacyURL() string { return "http://" + a.ln.Addr().String() + "/v1" }

// OAuthURL returns the OAuth base, "http://127.0.0.1:<port>/oauth".
func (a *API) OAuthURL() string { return "http://" + a.ln.Addr().String() + "/oauth" }

// Close stops the server, drops every connection and waits for it.
func (a *API) Close() {
	_ = a.srv.Close()
	a.wg.Wait()
	a.hc.CloseIdleConnections()
}

// FailNext makes the next n REST requests answer status without reaching
// the API (a 502/524 from the edge, say). A 429 carries "retry-after: 1";
// use FailNextRateLimited for another value.
func (a *API) FailNext(status, n int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failStatus, a.failN, a.failRetry = status, n, time.Second
}

// FailNextRateLimited makes the next n REST requests answer 429 with
// retry-after set to retryAfter in whole seconds, or without the header
// when retryAfter is 0.
func (a *API) FailNextRateLimited(n int, retryAfter time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.failStatus, a.failN, a.failRetry = http.StatusTooManyRequests, n, retryAfter
}

// SetRateLimit changes the REST limit to n requests in any window.
func (a *API) SetRateLimit(n int, window time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.rateN, a.rateWin = max(n, 1), window
}

// Requests returns every request received so far, in arrival order.
func (a *API) Requests() []RequestRecord {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]RequestRecord(nil), a.reqs...)
}

// MaxInWindow returns the largest number of REST requests (answered or
// rejected) that arrived within any interval of length window.
func (a *API) MaxInWindow(window time.Duration) int {
	a.mu.Lock()
	var ts []time.Time
	for _, r := range a.reqs {
		if r.Area == "rest" {
			ts = append(ts, r.At)
		}
	}
	a.mu.Unlock()
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= window {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

// statusWriter records the status written.
type statusWriter struct {
	http.ResponseWriter
	status int
}

// WriteHeader records the first status.
func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

// Write records an implicit 200.
func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

// record appends a request and returns a func that fills its status.
func (a *API) record(area string, r *http.Request, path string) func(int) {
	a.mu.Lock()
	i := len(a.reqs)
	a.reqs = append(a.reqs, RequestRecord{
		Area: area, Method: r.Method, Path: path, Query: r.URL.RawQuery, At: time.Now(),
	})
	a.mu.Unlock()
	return func(status int) {
		a.mu.Lock()
		a.reqs[i].Status = status
		a.mu.Unlock()
	}
}

// restMiddleware strips prefix, logs, injects failures and enforces the
// sliding-window rate limit with Laravel's x-ratelimit-* headers.
func (a *API) restMiddleware(prefix string, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path := strings.TrimPrefix(r.URL.Path, prefix)
		done := a.record("rest", r, path)
		sw := &statusWriter{ResponseWriter: w}
		defer func() { done(sw.status) }()

		a.mu.Lock()
		if a.failN > 0 {
			a.failN--
			status, retry := a.failStatus, a.failRetry
			a.mu.Unlock()
			if status == http.StatusTooManyRequests {
				if retry > 0 {
					sw.Header().Set("Retry-After", apiItoa(int64((retry+time.Second-1)/time.Second)))
				}
				apiJSON(sw, status, map[string]any{"message": "Too Many Attempts."})
				return
			}
			sw.Header().Set("Content-Type", "text/plain; charset=UTF-8")
			sw.WriteHeader(status)
			fmt.Fprintf(sw, "error code: %d", status)
			return
		}
		now := time.Now()
		kept := a.admitted[:0]
		for _, t := range a.admitted {
			if now.Sub(t) < a.rateWin {
				kept = append(kept, t)
			}
		}
		a.admitted = kept
		limit := a.rateN
		if len(a.admitted) >= limit {
			wait := a.admitted[len(a.admitted)-limit].Add(a.rateWin).Sub(now)
			a.mu.Unlock()
			secs := max(int64((wait+time.Second-1)/time.Second), 1)
			sw.Header().Set("X-Ratelimit-Limit", apiItoa(int64(limit)))
			sw.Header().Set("X-Ratelimit-Remaining", "0")
			sw.Header().Set("Retry-After", apiItoa(secs))
			apiJSON(sw, http.StatusTooManyRequests, map[string]any{"message": "Too Many Attempts."})
			return
		}
		a.admitted = append(a.admitted, now)
		remaining := limit - len(a.admitted)
		a.mu.Unlock()
		sw.Header().Set("X-Ratelimit-Limit", apiItoa(int64(limit)))
		sw.Header().Set("X-Ratelimit-Remaining", apiItoa(int64(remaining)))
		r2 := r.Clone(r.Context())
		r2.URL.Path = path
		r2.URL.RawPath = ""
		next.ServeHTTP(sw, r2)
	})
}

// apiJSON writes v as JSON with status.
func apiJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"message":"Server Error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// apiMessage writes Picarto's Laravel-style {"message": text}.
func apiMessage(w http.ResponseWriter, status int, text string) {
	apiJSON(w, status, map[string]any{"message": text})
}

// ctxOrBackground keeps a nil ctx from panicking in FireWebhook.
func ctxOrBackground(ctx context.Context) context.Context {
	if ctx == nil {
		return context.Background()
	}
	return ctx
}

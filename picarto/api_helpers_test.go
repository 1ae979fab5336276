package picarto_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/ratelimit"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

// Secrets used across the REST tests; apiSecretsTest checks that none of
// them ever shows up in an error or a log line.
const (
	apiToken        = "tok-streamer-5f2a9c"
	apiLowToken     = "tok-lowscope-77aa1"
	apiClientID     = "app-client-1"
	apiClientSecret = "app-secret-9d8c7b6a"
	apiRedirect     = "http://localhost:9005/oauth/callback"
	apiChannelID    = 15623
)

// apiLog captures log output and signals records whose message contains a
// watched text.
type apiLog struct {
	mu    sync.Mutex
	buf   bytes.Buffer
	watch map[string]chan struct{}
}

func (l *apiLog) Enabled(context.Context, slog.Level) bool { return true }
func (l *apiLog) WithAttrs([]slog.Attr) slog.Handler       { return &apiLogAttrs{l: l} }
func (l *apiLog) WithGroup(string) slog.Handler            { return &apiLogAttrs{l: l} }
func (l *apiLog) Handle(ctx context.Context, r slog.Record) error {
	return l.handle(r, nil)
}

func (l *apiLog) handle(r slog.Record, extra []slog.Attr) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	h := slog.NewTextHandler(&l.buf, &slog.HandlerOptions{Level: slog.LevelDebug})
	_ = h.WithAttrs(extra).Handle(context.Background(), r)
	for text, ch := range l.watch {
		if strings.Contains(r.Message, text) {
			close(ch)
			delete(l.watch, text)
		}
	}
	return nil
}

// apiLogAttrs keeps the attrs a logger was built With.
type apiLogAttrs struct {
	l     *apiLog
	attrs []slog.Attr
}

func (a *apiLogAttrs) Enabled(context.Context, slog.Level) bool { return true }
func (a *apiLogAttrs) WithAttrs(as []slog.Attr) slog.Handler {
	return &apiLogAttrs{l: a.l, attrs: append(append([]slog.Attr(nil), a.attrs...), as...)}
}
func (a *apiLogAttrs) WithGroup(string) slog.Handler { return a }
func (a *apiLogAttrs) Handle(_ context.Context, r slog.Record) error {
	return a.l.handle(r, a.attrs)
}

// on returns a channel closed at the next record whose message has text.
func (l *apiLog) on(text string) <-chan struct{} {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.watch == nil {
		l.watch = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	l.watch[text] = ch
	return ch
}

func (l *apiLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *apiLog) logger() *slog.Logger { return slog.New(l) }

// apiEnv is a fake Picarto with one streamer channel, its token and an app,
// and a client for it.
type apiEnv struct {
	t    *testing.T
	fake *picartotest.API
	c    *picarto.Client
	log  *apiLog
}

// newAPIEnv starts the fake with opts and a client with the test secrets;
// cfg fields that are set override the defaults.
func newAPIEnv(t *testing.T, opts picartotest.APIOptions, cfg picarto.Config) *apiEnv {
	t.Helper()
	fake, err := picartotest.NewAPI(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	fake.AddChannel(picartotest.Channel{
		ID: apiChannelID, Name: "Goat", Title: "A goat adventures into art!", Adult: true,
		Category: []string{"Furry"}, ViewersTotal: 202921,
		LastLive: time.Date(2022, 4, 20, 21, 10, 13, 0, time.UTC),
	})
	fake.AddToken(apiToken, apiChannelID)
	fake.AddToken(apiLowToken, apiChannelID, "readpub")
	fake.AddApp(apiClientID, apiClientSecret, apiRedirect)
	log := &apiLog{}
	if cfg.BaseURL == "" {
		cfg.BaseURL = fake.URL()
	}
	if cfg.Token == "" {
		cfg.Token = apiToken
	}
	if cfg.ClientID == "" {
		cfg.ClientID, cfg.ClientSecret = apiClientID, apiClientSecret
	}
	if cfg.Logger == nil {
		cfg.Logger = log.logger()
	}
	if cfg.RetryInitial == 0 {
		cfg.RetryInitial, cfg.RetryMax = 5*time.Millisecond, 20*time.Millisecond
	}
	return &apiEnv{t: t, fake: fake, c: picarto.NewClient(cfg), log: log}
}

// newLimiter is a helper for tests that share or shape the budget.
func newLimiter(n int, per time.Duration) *ratelimit.Window { return ratelimit.New(n, per) }

// testCtx returns a context that ends with the test (or after d).
func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}

// allSecrets are the values that must never be printed.
var allSecrets = []string{apiToken, apiLowToken, apiClientSecret}

// assertNoSecret fails when text contains any of the secrets.
func assertNoSecret(t *testing.T, what, text string, extra ...string) {
	t.Helper()
	for _, s := range append(append([]string(nil), allSecrets...), extra...) {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("%s contains a secret %q: %s", what, s, text)
		}
	}
}

func picartoSecret(s string) secret.Secret { return secret.Secret(s) }

package picarto

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/picarto-bridge/picarto-bridge/internal/backoff"
	"github.com/picarto-bridge/picarto-bridge/internal/ratelimit"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// Defaults for AlertsConfig (contract §2).
const (
	DefaultAlertsInternalURL = "https://ptvintern.picarto.tv/ptvapi"
	DefaultAlertsURL         = "wss://chat.picarto.tv/widget/"
	alertsUserAgent          = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"
)

// ErrAlertsRejected means the widget socket refused a freshly issued token
// (HTTP 401 on the upgrade, close code 1008, or a
// {"success":false,"code":"JWT_TOKEN"} frame) soon after connecting. Run
// returns it instead of retrying: every attempt fetches a new token from the
// same channel name, so a retry would be refused the same way.
var ErrAlertsRejected = errors.New("picarto: alerts: widget token rejected")

// AlertsConfig configures Alerts. Zero values take the defaults given.
type AlertsConfig struct {
	InternalURL string // GraphQL endpoint, default DefaultAlertsInternalURL
	AlertsURL   string // widget socket base, default DefaultAlertsURL
	ChannelName string // the streamer's channel (trimmed)
	ChannelID   int64  // its id; when 0 it is looked up by name once
	// Key is an optional step-A key supplied by the user (skips step A);
	// WidgetToken an optional widget token (skips both steps, spec §3.4).
	Key, WidgetToken secret.Secret
	HTTPClient       *http.Client      // default: own transport, 10 s timeout
	Limiter          *ratelimit.Window // the shared Picarto request budget (contract §8); default 30 per minute
	Dialer           *websocket.Dialer // default: 15 s handshake timeout, proxy from the environment
	Logger           *slog.Logger      // nil: discard
	Origin           string            // sent on every request, default "https://picarto.tv"
	UserAgent        string            // default a browser's
	EventBuffer      int               // Events() capacity, default 256; full: drop, count, warn
	PingInterval     time.Duration     // WebSocket ping period, default 30 s
	PongTimeout      time.Duration     // no pong this long after a ping: link dead, default 15 s
	BackoffInitial   time.Duration     // first reconnect delay, default 2 s (doubling, ±25 % jitter)
	BackoffMax       time.Duration     // reconnect delay cap (jitter included), default 5 min
	// StableAfter is how long a session must last to reset the backoff, and
	// for a later token rejection to count as an expiry (reconnect) rather
	// than a refusal (Run returns ErrAlertsRejected). Default 30 s.
	StableAfter time.Duration
	// RefreshBefore: when the widget token is a JWT with exp, reconnect with
	// a fresh one this long before it expires. Default 60 s.
	RefreshBefore time.Duration
	// OnFrame, when set, gets every received frame verbatim (a scrubbed copy
	// the callee may keep) and whether it decoded fully (no unknown part,
	// no missing field). It runs on the reader goroutine: it must not block.
	OnFrame func(raw []byte, decoded bool)
	// OnConnect runs after each successful upgrade, OnDisconnect after each
	// session or failed attempt ends (err says why). Neither may block.
	OnConnect    func()
	OnDisconnect func(err error)
}

// AlertsStats counts what the alert socket saw, for doctor and report.
type AlertsStats struct {
	Frames      int64 // text frames received
	Decoded     int64 // frames fully decoded
	Unknown     int64 // frames with an unknown part or a missing field (incl. Malformed)
	Malformed   int64 // frames that were not JSON
	Events      int64 // events handed to Events()
	Dropped     int64 // events dropped because Events() was full
	Connections int64 // successful upgrades
	GraphQL     int64 // GraphQL requests made
	Tokens      int64 // token pairs obtained
	Failures    int64 // token-flow failures in a row (0 after a success)
	LastError   string
}

// Alerts reads Picarto's alert-box socket (spec picarto-alerts.md): token
// flow, one widget socket with one reader and one writer, pings, reconnects.
type Alerts struct {
	cfg     AlertsConfig
	log     *slog.Logger
	http    *http.Client
	ownHTTP bool
	limiter *ratelimit.Window
	dialer  *websocket.Dialer
	events  chan AlertEvent

	channelID atomic.Int64
	connected atomic.Bool
	running   atomic.Bool
	stats     struct{ frames, decoded, unknown, malformed, events, dropped, conns, graphql, tokens, failures atomic.Int64 }
	mu        sync.Mutex
	lastErr   string
	warned    int // unknown frames logged at info
}

// NewAlerts builds an Alerts from cfg, filling defaults. It does no I/O.
func NewAlerts(cfg AlertsConfig) *Alerts {
	cfg.ChannelName = strings.TrimSpace(cfg.ChannelName)
	cfg.InternalURL = alertDefault(cfg.InternalURL, DefaultAlertsInternalURL)
	cfg.AlertsURL = alertDefault(cfg.AlertsURL, DefaultAlertsURL)
	cfg.Origin = alertDefault(cfg.Origin, "https://picarto.tv")
	cfg.UserAgent = alertDefault(cfg.UserAgent, alertsUserAgent)
	alertDur(&cfg.PingInterval, 30*time.Second)
	alertDur(&cfg.PongTimeout, 15*time.Second)
	alertDur(&cfg.BackoffInitial, 2*time.Second)
	alertDur(&cfg.BackoffMax, 5*time.Minute)
	alertDur(&cfg.StableAfter, 30*time.Second)
	alertDur(&cfg.RefreshBefore, time.Minute)
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 256
	}
	a := &Alerts{cfg: cfg, http: cfg.HTTPClient, limiter: cfg.Limiter, dialer: cfg.Dialer, log: cfg.Logger}
	if a.log == nil {
		a.log = slog.New(slog.DiscardHandler)
	}
	a.log = a.log.With("component", "picarto.alerts")
	if a.http == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		a.http, a.ownHTTP = &http.Client{Transport: tr, Timeout: 10 * time.Second}, true
	}
	if a.limiter == nil {
		a.limiter = ratelimit.New(30, time.Minute)
	}
	if a.dialer == nil {
		a.dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 15 * time.Second}
	}
	a.events = make(chan AlertEvent, cfg.EventBuffer)
	a.channelID.Store(cfg.ChannelID)
	return a
}

func alertDefault(s, d string) string {
	if s = strings.TrimSpace(s); s == "" {
		return d
	}
	return s
}

func alertDur(d *time.Duration, def time.Duration) {
	if *d <= 0 {
		*d = def
	}
}

// Events returns the decoded alerts, AlertUnknown included. The channel is
// never closed; it outlives Run, which may be called again.
func (a *Alerts) Events() <-chan AlertEvent { return a.events }

// Connected reports whether the widget socket is open.
func (a *Alerts) Connected() bool { return a.connected.Load() }

// Stats returns the counters so far.
func (a *Alerts) Stats() AlertsStats {
	a.mu.Lock()
	last := a.lastErr
	a.mu.Unlock()
	s := &a.stats
	return AlertsStats{Frames: s.frames.Load(), Decoded: s.decoded.Load(), Unknown: s.unknown.Load(),
		Malformed: s.malformed.Load(), Events: s.events.Load(), Dropped: s.dropped.Load(),
		Connections: s.conns.Load(), GraphQL: s.graphql.Load(), Tokens: s.tokens.Load(),
		Failures: s.failures.Load(), LastError: last}
}

// Run fetches tokens and keeps the widget socket open until ctx ends, then
// returns nil. Every attempt gets a fresh token pair (spec §3.5); failures
// back off from BackoffInitial to BackoffMax and are retried forever, except
// the permanent ones: ErrAlertsUnknownChannel, and ErrAlertsRejected (see
// its comment). There is no silence watchdog: only missing pongs end a
// quiet session.
func (a *Alerts) Run(ctx context.Context) error {
	if !a.running.CompareAndSwap(false, true) {
		return errors.New("picarto: alerts: Run is already running")
	}
	defer a.running.Store(false)
	if a.ownHTTP {
		defer a.http.CloseIdleConnections()
	}
	b := backoff.Backoff{Initial: a.cfg.BackoffInitial, Max: a.cfg.BackoffMax}
	wait := time.Duration(0)
	for {
		if wait > 0 {
			a.log.Debug("picarto alerts: reconnecting", "in", wait.Round(time.Millisecond))
		}
		if backoff.Sleep(ctx, wait) != nil {
			return nil
		}
		wait = min(b.Next(), a.cfg.BackoffMax) // jitter never passes the cap
		tok, err := a.FetchToken(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			a.setErr(err)
			if errors.Is(err, ErrAlertsUnknownChannel) {
				a.log.Error("picarto alerts: unknown channel, alerts are off", "channel", a.cfg.ChannelName, "err", err)
				return err
			}
			if n := a.stats.failures.Add(1); n == 3 {
				a.log.Error("picarto alerts: Picarto token service unavailable, still retrying", "err", err)
			} else {
				a.log.Warn("picarto alerts: token flow failed", "err", err, "failures", n)
			}
			a.notifyDown(err)
			continue
		}
		a.stats.failures.Store(0)
		a.stats.tokens.Add(1)
		start := time.Now()
		err = a.session(ctx, tok)
		lasted := time.Since(start)
		if ctx.Err() != nil {
			return nil
		}
		a.setErr(err)
		stable := lasted >= a.cfg.StableAfter
		switch {
		case errors.Is(err, errAlertsRefresh):
			b.Reset()
			wait = 0
			a.log.Info("picarto alerts: widget token about to expire, reconnecting with a fresh one")
		case errors.Is(err, ErrAlertsRejected) && !stable:
			a.log.Error("picarto alerts: the widget socket refused a fresh token; alerts are off until restarted", "err", err)
			return err
		case stable:
			b.Reset()
			wait = min(b.Next(), a.cfg.BackoffMax)
			a.log.Info("picarto alerts: disconnected", "err", err, "after", lasted.Round(time.Second))
		default:
			a.log.Warn("picarto alerts: session failed", "err", err, "after", lasted.Round(time.Millisecond))
		}
	}
}

var errAlertsRefresh = errors.New("picarto: alerts: widget token expires soon")

func (a *Alerts) setErr(err error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.lastErr = ""
	if err != nil {
		a.lastErr = err.Error()
	}
}

func (a *Alerts) notifyDown(err error) {
	if a.cfg.OnDisconnect != nil {
		a.cfg.OnDisconnect(err)
	}
}

// widgetURL puts the token into the path (spec §4): as is when it is made of
// URL-safe characters, else percent-encoded as one path segment.
func (a *Alerts) widgetURL(tok string) string {
	base := strings.TrimSuffix(a.cfg.AlertsURL, "token=")
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	if !alertTokenRe.MatchString(tok) {
		tok = alertPathEscape(tok)
	}
	return base + "token=" + tok
}

// scrub removes every token of tok from text.
func (a *Alerts) scrub(text string, tok AlertsToken) string {
	return secret.Scrub(text, tok.Key.Reveal(), tok.Widget.Reveal(), alertPathEscape(tok.Widget.Reveal()))
}

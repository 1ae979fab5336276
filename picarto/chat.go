package picarto

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/picarto-bridge/picarto-bridge/internal/backoff"
	"github.com/picarto-bridge/picarto-bridge/internal/ratelimit"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

var (
	// ErrChatAuth is wrapped by Run's error when Picarto rejects the bot
	// token (`{"t":"authentication","success":false}`, or a `success:false`
	// reply such as JWT_TOKEN before authentication). It is permanent: Run
	// returns instead of reconnecting.
	ErrChatAuth = errors.New("picarto chat: bot token rejected")
	// ErrChatNotConnected is wrapped by Send's error when no authenticated
	// connection is up, or it dropped before the message was written.
	ErrChatNotConnected = errors.New("picarto chat: not connected")
)

// DefaultChatURL is Picarto's bot chat endpoint (API spec §6.1).
const DefaultChatURL = "wss://chat.picarto.tv/bot/"

// Timing defaults. A live server sends a `stream` frame every 25–60 s and
// answers each protocol ping, so ReadTimeout (no frame at all) must be well
// above both PingInterval and 60 s; the spec calls 150–180 s of silence dead.
const (
	defaultChatPingInterval = 50 * time.Second  // site client's __ping__ period
	defaultChatReadTimeout  = 180 * time.Second // silence that means a dead socket
	defaultChatWriteTimeout = 10 * time.Second  // per frame
	defaultChatAuthTimeout  = 15 * time.Second  // dial to authentication frame
	defaultChatHealthyAfter = 30 * time.Second  // session length that resets backoff
	defaultChatEventBuffer  = 1024
	chatReadLimit           = 1 << 20
	chatDropWarnEvery       = 10 * time.Second
)

// ChatConfig configures a Chat. Zero values take the defaults shown.
type ChatConfig struct {
	// URL is the bot endpoint; default DefaultChatURL. The credentials are
	// appended in the path: <URL>username=<login>&password=<token>.
	URL string
	// Username is the bot account's login name (not the channel name).
	Username string
	// Token is the bot token from https://oauth.picarto.tv/chat/bot.
	Token secret.Secret
	// Logger receives connection logs; nil discards them.
	Logger *slog.Logger
	// SendLimiter paces Send; default ratelimit.New(20, 30*time.Second).
	// Share it with anything else that sends to this bot account.
	SendLimiter *ratelimit.Window
	// Dialer dials the websocket; default a Dialer with a 15 s handshake
	// timeout and the environment's proxy.
	Dialer *websocket.Dialer
	// PingInterval is the protocol ping (`__ping__`) period; default 50 s.
	PingInterval time.Duration
	// EventBuffer is the capacity of Events(); default 1024. When it is
	// full, events are dropped (counted by Dropped) rather than stalling
	// the reader.
	EventBuffer int

	// ReadTimeout is how long a connection may stay completely silent
	// before it counts as dead; default 180 s.
	ReadTimeout time.Duration
	// WriteTimeout bounds each frame write; default 10 s.
	WriteTimeout time.Duration
	// AuthTimeout bounds dial-to-authentication-frame; default 15 s.
	AuthTimeout time.Duration
	// BackoffInitial and BackoffMax shape the reconnect delays; default
	// 1 s doubling to 30 s, with jitter.
	BackoffInitial, BackoffMax time.Duration
	// HealthyAfter is how long an authenticated session must last for the
	// backoff to start over; default 30 s.
	HealthyAfter time.Duration
	// OnConnect is called after every successful authentication, and
	// OnDisconnect after every authenticated session ends; both run on
	// Run's goroutine and must not block.
	OnConnect    func()
	OnDisconnect func(err error)
}

// Chat is a client for Picarto's bot chat websocket. Run owns the
// connection; Events delivers what chat says; Send posts to the bot's
// channel. It is safe for concurrent use.
//
// Where the spec is silent, Chat decides as follows and stays tolerant:
//   - Authentication: the documented `{"t":"authentication",...}` frame is
//     awaited for AuthTimeout; `success:false`, or any typeless
//     `success:false` reply before it (site-chat JWT_TOKEN style), is a
//     permanent ErrChatAuth. Frames arriving before the verdict are emitted.
//     After authentication only JWT_TOKEN or a new failed authentication
//     frame count as rejection; other refusals (INVALID_USER ...) are logged.
//   - Lockout (20 per 30 s exceeded): how Picarto shows it is undocumented.
//     Send's limiter makes it unreachable; should it happen anyway, a closed
//     socket or refused dials (an HTTP error status on the upgrade, which
//     is logged) are retried with the capped backoff, never in a loop.
//   - Keepalive: the site's `__ping__` every PingInterval, websocket pings
//     answered, and any frame (or ping/pong) renews the read deadline.
type Chat struct {
	cfg     ChatConfig
	log     *slog.Logger
	limiter *ratelimit.Window
	dialer  *websocket.Dialer
	events  chan ChatEvent

	running  atomic.Bool
	mu       sync.Mutex
	user     string
	token    secret.Secret
	secrets  []string     // every token ever configured, for scrubbing
	session  *chatSession // nil while down or unauthenticated
	dropped  atomic.Uint64
	lastWarn atomic.Int64 // unix nanos of the last drop warning
}

// NewChat returns a Chat with cfg's defaults filled in. Nothing connects
// until Run.
func NewChat(cfg ChatConfig) *Chat {
	if cfg.URL == "" {
		cfg.URL = DefaultChatURL
	}
	setDur := func(d *time.Duration, def time.Duration) {
		if *d <= 0 {
			*d = def
		}
	}
	setDur(&cfg.PingInterval, defaultChatPingInterval)
	setDur(&cfg.ReadTimeout, defaultChatReadTimeout)
	setDur(&cfg.WriteTimeout, defaultChatWriteTimeout)
	setDur(&cfg.AuthTimeout, defaultChatAuthTimeout)
	setDur(&cfg.BackoffInitial, time.Second)
	setDur(&cfg.BackoffMax, 30*time.Second)
	setDur(&cfg.HealthyAfter, defaultChatHealthyAfter)
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = defaultChatEventBuffer
	}
	c := &Chat{cfg: cfg, log: cfg.Logger, limiter: cfg.SendLimiter, dialer: cfg.Dialer,
		events: make(chan ChatEvent, cfg.EventBuffer), user: cfg.Username, token: cfg.Token,
		secrets: []string{cfg.Token.Reveal()}}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.limiter == nil {
		c.limiter = ratelimit.New(20, 30*time.Second)
	}
	if c.dialer == nil {
		c.dialer = &websocket.Dialer{Proxy: http.ProxyFromEnvironment, HandshakeTimeout: 15 * time.Second}
	}
	return c
}

// Events returns the channel of decoded chat events (never ChatStatus). It
// is never closed; consumers stop on their own ctx.
func (c *Chat) Events() <-chan ChatEvent { return c.events }

// Connected reports whether an authenticated connection is up.
func (c *Chat) Connected() bool { return c.current() != nil }

// Dropped reports how many events were dropped because Events() was full.
func (c *Chat) Dropped() uint64 { return c.dropped.Load() }

// Run connects, authenticates and keeps the connection up until ctx ends,
// reconnecting with jittered backoff (1 s doubling to 30 s by default, reset
// after a healthy session). It returns nil when ctx ends, an error wrapping
// ErrChatAuth when the token is rejected (permanent: no retry), or an error
// for a config that can never work (bad URL, missing username or token).
func (c *Chat) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("picarto: chat: Run is already running")
	}
	defer c.running.Store(false)
	if err := c.validate(); err != nil {
		return err
	}
	bo := backoff.Backoff{Initial: c.cfg.BackoffInitial, Max: c.cfg.BackoffMax}
	for {
		start := time.Now()
		authed, err := c.runOnce(ctx)
		if authed && c.cfg.OnDisconnect != nil {
			c.cfg.OnDisconnect(err)
		}
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrChatAuth) {
			c.log.Error("picarto chat token rejected; not retrying until the token changes",
				"user", c.username(), "err", err)
			return err
		}
		if authed && time.Since(start) >= c.cfg.HealthyAfter {
			bo.Reset()
		}
		d := bo.Next()
		c.log.Warn("picarto chat disconnected; reconnecting", "err", err, "in", d.Round(time.Millisecond))
		if backoff.Sleep(ctx, d) != nil {
			return nil
		}
	}
}

func (c *Chat) validate() error {
	user, tok := c.creds()
	u, err := url.Parse(c.cfg.URL)
	switch {
	case err != nil:
		return fmt.Errorf("picarto: chat: bad URL: %w", c.scrub(err))
	case u.Scheme != "ws" && u.Scheme != "wss":
		return fmt.Errorf("picarto: chat: URL %q: scheme must be ws or wss", c.scrubText(c.cfg.URL))
	case user == "":
		return errors.New("picarto: chat: no bot username configured")
	case tok.IsZero():
		return errors.New("picarto: chat: no bot token configured")
	}
	return nil
}

// dialURL is <URL>username=<login>&password=<token>: in the path, no '?'
// (API spec §6.1), each value escaped like encodeURIComponent.
func (c *Chat) dialURL(user, token string) string {
	base := c.cfg.URL
	if !strings.HasSuffix(base, "/") {
		base += "/"
	}
	return base + "username=" + chatEscape(user) + "&password=" + chatEscape(token)
}

func chatEscape(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }

// Send posts text to the bot's channel as `{"type":"chat","message":text}`.
// It first waits on the SendLimiter (so Picarto's 20 messages per 30 s is
// never exceeded, whatever the callers do), then hands the frame to the
// connection's writer and waits until it is written. It fails with
// ErrChatNotConnected when chat is down, and is never retried: a message is
// sent at most once, because a retry after an unknown write outcome could
// post twice and spends budget the lockout punishes. A slot taken from the
// limiter is not given back.
func (c *Chat) Send(ctx context.Context, text string) error {
	if strings.TrimSpace(text) == "" {
		return errors.New("picarto: chat send: empty message")
	}
	if c.current() == nil {
		return fmt.Errorf("picarto: chat send: %w", ErrChatNotConnected)
	}
	if err := c.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("picarto: chat send: waiting for the rate limit: %w", err)
	}
	data, err := json.Marshal(chatCommand{Type: "chat", Message: text})
	if err != nil {
		return fmt.Errorf("picarto: chat send: %w", err)
	}
	s := c.current()
	if s == nil {
		return fmt.Errorf("picarto: chat send: %w", ErrChatNotConnected)
	}
	f := chatOutFrame{data: data, errc: make(chan error, 1)}
	select {
	case s.out <- f:
	case <-s.done:
		return fmt.Errorf("picarto: chat send: %w", ErrChatNotConnected)
	case <-ctx.Done():
		return fmt.Errorf("picarto: chat send: %w", ctx.Err())
	}
	select {
	case err := <-f.errc: // the writer always answers, within WriteTimeout
		if err != nil {
			return fmt.Errorf("picarto: chat send: %w (%w)", ErrChatNotConnected, c.scrub(err))
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("picarto: chat send: outcome unknown: %w", ctx.Err())
	}
}

// chatCommand is a client-to-server frame (API spec §6.5, long key names).
type chatCommand struct {
	Type    string `json:"type"`
	Message string `json:"message,omitempty"`
}

// SetCredentials replaces the bot login and token. They are used from the
// next dial on; a connection that is up is dropped so that Run redials with
// them at once. After Run returned ErrChatAuth, call Run again once the
// token has changed.
func (c *Chat) SetCredentials(username string, token secret.Secret) {
	c.mu.Lock()
	changed := username != c.user || token != c.token
	c.user, c.token = username, token
	if !slices.Contains(c.secrets, token.Reveal()) {
		c.secrets = append(c.secrets, token.Reveal())
	}
	s := c.session
	c.mu.Unlock()
	if changed && s != nil {
		c.log.Info("picarto chat credentials changed; reconnecting")
		s.conn.Close()
	}
}

func (c *Chat) creds() (string, secret.Secret) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.user, c.token
}

func (c *Chat) username() string {
	u, _ := c.creds()
	return u
}

func (c *Chat) current() *chatSession {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.session
}

func (c *Chat) setSession(s *chatSession) {
	c.mu.Lock()
	c.session = s
	c.mu.Unlock()
}

// emit hands ev to Events() without ever blocking the reader: when the
// buffer is full the event is dropped, counted, and a warning is logged at
// most every 10 s.
func (c *Chat) emit(ev ChatEvent) {
	select {
	case c.events <- ev:
		return
	default:
	}
	n := c.dropped.Add(1)
	now := time.Now().UnixNano()
	last := c.lastWarn.Load()
	if now-last >= int64(chatDropWarnEvery) && c.lastWarn.CompareAndSwap(last, now) {
		c.log.Warn("picarto chat consumer too slow; dropping events", "dropped_total", n)
	}
}

// scrubText removes every token this Chat ever had (raw and escaped) from
// text.
func (c *Chat) scrubText(text string) string {
	c.mu.Lock()
	toks := c.secrets
	c.mu.Unlock()
	for _, tok := range toks {
		text = secret.Scrub(text, tok, chatEscape(tok), url.PathEscape(tok))
	}
	return text
}

// scrub returns err unchanged when its text holds no token, else an error
// with the scrubbed text that unwraps to nothing (the original would leak).
func (c *Chat) scrub(err error) error {
	if err == nil {
		return nil
	}
	if s := c.scrubText(err.Error()); s != err.Error() {
		return errors.New(s)
	}
	return err
}

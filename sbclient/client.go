// Package sbclient is a client of Streamer.bot's WebSocket server: it
// connects, authenticates, keeps the connection alive and reconnects, and
// offers typed requests (DoAction, GetGlobals, ...) correlated by id, plus a
// bounded channel of pushed events. It knows nothing about Picarto.
//
// Protocol notes: shared/specs/streamerbot-ws.md.
package sbclient

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/picarto-bridge/picarto-bridge/internal/backoff"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// Config configures a Client. Zero values take the defaults named below.
type Config struct {
	// URL of the WebSocket server; default "ws://127.0.0.1:8080/".
	URL string
	// Password for Streamer.bot's WebSocket authentication; empty: none.
	// With a password, Authenticate is the first request on every connection.
	Password secret.Secret
	// Logger receives connection state and warnings; nil discards.
	Logger *slog.Logger
	// RequestTimeout bounds each request; default 10s.
	RequestTimeout time.Duration
	// EventBuffer is the capacity of Events(); default 1024. When it is full
	// new events are dropped (counted by Dropped, logged at most every 10s).
	EventBuffer int
	// Subscriptions is the initial desired event set, e.g.
	// {"General":{"Custom"},"Misc":{"GlobalVariableUpdated"}}. It is sent
	// (with everything added by Subscribe) after every handshake.
	Subscriptions map[string][]string
	// OnConnect is called from Run's goroutine after every successful
	// handshake and subscribe. It must not block.
	OnConnect func(info Info)
	// OnDisconnect is called from Run's goroutine after every session that
	// OnConnect announced has ended. It must not block.
	OnDisconnect func(err error)

	// Dialer dials the socket; default: a dialer offering permessage-deflate
	// with a 10s handshake timeout and no proxy (Streamer.bot is local).
	Dialer *websocket.Dialer
	// DialTimeout bounds dial plus WebSocket upgrade; default 10s.
	DialTimeout time.Duration
	// HelloTimeout is how long to wait for Streamer.bot's Hello before
	// assuming a pre-0.2.5 server and asking GetInfo instead; default 2s.
	HelloTimeout time.Duration
	// PingInterval is the period of WebSocket pings; default 10s.
	PingInterval time.Duration
	// PongWait is how long the connection may stay silent (no pong, no
	// frame) before it is considered dead; default 25s. It must exceed
	// PingInterval (else 2.5×PingInterval is used). A half-open socket is
	// detected within PongWait after the last frame.
	PongWait time.Duration
	// WriteTimeout is the deadline of each frame write; default 10s.
	WriteTimeout time.Duration
	// BackoffInitial is the first reconnect delay (±25% jitter); default 500ms.
	BackoffInitial time.Duration
	// BackoffMax caps reconnect delays; default 10s.
	BackoffMax time.Duration
	// HealthyAfter: a session that stayed up this long resets the backoff;
	// default 10s.
	HealthyAfter time.Duration
	// ReadLimit is the largest accepted frame in bytes; default 32 MiB.
	ReadLimit int64
}

func (cfg *Config) setDefaults() {
	if cfg.URL == "" {
		cfg.URL = "ws://127.0.0.1:8080/"
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&cfg.RequestTimeout, 10*time.Second)
	def(&cfg.DialTimeout, 10*time.Second)
	def(&cfg.HelloTimeout, 2*time.Second)
	def(&cfg.PingInterval, 10*time.Second)
	def(&cfg.PongWait, 25*time.Second)
	if cfg.PongWait <= cfg.PingInterval {
		cfg.PongWait = cfg.PingInterval * 5 / 2
	}
	def(&cfg.WriteTimeout, 10*time.Second)
	def(&cfg.BackoffInitial, 500*time.Millisecond)
	def(&cfg.BackoffMax, 10*time.Second)
	def(&cfg.HealthyAfter, 10*time.Second)
	if cfg.EventBuffer <= 0 {
		cfg.EventBuffer = 1024
	}
	if cfg.ReadLimit <= 0 {
		cfg.ReadLimit = 32 << 20
	}
	if cfg.Dialer == nil {
		cfg.Dialer = &websocket.Dialer{
			HandshakeTimeout:  10 * time.Second,
			EnableCompression: true,
		}
	}
}

// Client is a Streamer.bot WebSocket client. Create it with New, run Run in
// a goroutine; all methods are safe for concurrent use.
type Client struct {
	cfg    Config
	log    *slog.Logger
	events chan Event

	sess    atomic.Pointer[session] // nil while not connected
	running atomic.Bool

	subMu  sync.Mutex
	subs   eventSet
	subGen uint64 // bumped on every change of subs

	dropped     atomic.Uint64
	lastDropLog atomic.Int64
	probeSeq    atomic.Uint64
	noDeflate   atomic.Bool // the server's compression negotiation failed once
}

// New returns a Client; it does not connect (Run does).
func New(cfg Config) *Client {
	cfg.setDefaults()
	c := &Client{
		cfg:    cfg,
		log:    cfg.Logger.With("component", "sbclient"),
		events: make(chan Event, cfg.EventBuffer),
		subs:   eventSet{},
	}
	c.subs.add(cfg.Subscriptions)
	return c
}

// Events returns the channel of pushed events. It is never closed; events
// that do not fit are dropped (see Config.EventBuffer).
func (c *Client) Events() <-chan Event { return c.events }

// Connected reports whether a session is established (handshake done).
func (c *Client) Connected() bool { return c.sess.Load() != nil }

// Dropped returns how many events were dropped because Events() was full.
func (c *Client) Dropped() uint64 { return c.dropped.Load() }

// Run connects and stays connected, reconnecting with jittered backoff
// (first retry within BackoffInitial×1.25, capped near BackoffMax) until ctx
// ends; it then closes the connection and returns nil. It returns an error
// wrapping ErrAuth, without retrying, when the password is rejected or the
// server requires one that is not configured. Only one Run may be active.
func (c *Client) Run(ctx context.Context) error {
	if !c.running.CompareAndSwap(false, true) {
		return errors.New("sbclient: Run is already running")
	}
	defer c.running.Store(false)
	bo := backoff.Backoff{Initial: c.cfg.BackoffInitial, Max: c.cfg.BackoffMax}
	for {
		start := time.Now()
		connected, err := c.session(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if errors.Is(err, ErrAuth) {
			c.log.Error("streamer.bot rejected the connection; not retrying", "err", err)
			return err
		}
		if connected && time.Since(start) >= c.cfg.HealthyAfter {
			bo.Reset()
		}
		level := slog.LevelWarn // once per outage; the retries after it at debug
		if bo.Attempt() > 0 {
			level = slog.LevelDebug
		}
		d := bo.Next()
		c.log.Log(ctx, level, "streamer.bot connection failed; retrying", "err", err, "in", d.Round(time.Millisecond))
		if backoff.Sleep(ctx, d) != nil {
			return nil
		}
	}
}

// session runs one connection from dial to close. connected reports whether
// the handshake succeeded (and OnConnect was called).
func (c *Client) session(ctx context.Context) (connected bool, err error) {
	conn, err := c.dial(ctx)
	if err != nil {
		return false, err
	}
	s := newSession(c, conn)
	s.wg.Go(s.readLoop)
	s.wg.Go(s.writeLoop)
	defer func() {
		s.close(errSessionEnded)
		s.wg.Wait()
	}()

	info, err := c.handshake(ctx, s)
	if err != nil {
		if ctx.Err() != nil {
			s.closeGracefully()
		}
		return false, err
	}
	s.ready.Store(true)
	c.sess.Store(s)
	c.resubscribeIfChanged(ctx, s, info.gen)
	c.log.Info("connected to streamer.bot", "version", info.Version, "instance", info.InstanceID)
	if c.cfg.OnConnect != nil {
		c.cfg.OnConnect(info.Info)
	}

	select {
	case <-s.done:
		err = s.cause()
	case <-ctx.Done():
		err = fmt.Errorf("sbclient: stopped: %w", ctx.Err())
		s.closeGracefully()
	}
	c.sess.CompareAndSwap(s, nil)
	s.close(err)
	s.wg.Wait()
	c.log.Info("disconnected from streamer.bot", "err", err)
	if c.cfg.OnDisconnect != nil {
		c.cfg.OnDisconnect(err)
	}
	return true, err
}

// dial connects, offering permessage-deflate (spec §1.1). gorilla accepts
// only no-context-takeover compression; a server that answers the offer with
// other parameters fails the handshake, so the client then dials again, and
// from then on, without compression.
func (c *Client) dial(ctx context.Context) (*websocket.Conn, error) {
	d := c.cfg.Dialer
	if c.noDeflate.Load() && d.EnableCompression {
		plain := *d
		plain.EnableCompression = false
		d = &plain
	}
	dctx, cancel := context.WithTimeout(ctx, c.cfg.DialTimeout)
	conn, resp, err := d.DialContext(dctx, c.cfg.URL, nil)
	cancel()
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil && d.EnableCompression && strings.Contains(err.Error(), "invalid compression negotiation") {
		c.log.Warn("streamer.bot negotiated compression this client cannot use; connecting without it")
		c.noDeflate.Store(true)
		return c.dial(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("sbclient: dial %s: %w", c.cfg.URL, err)
	}
	return conn, nil
}

// deliver hands an event to Events() without ever blocking the reader.
func (c *Client) deliver(ev Event) {
	select {
	case c.events <- ev:
		return
	default:
	}
	n := c.dropped.Add(1)
	now := time.Now().UnixNano()
	last := c.lastDropLog.Load()
	if now-last >= int64(10*time.Second) && c.lastDropLog.CompareAndSwap(last, now) {
		c.log.Warn("event consumer too slow; dropping events", "dropped_total", n,
			"source", ev.Source, "type", ev.Type)
	}
}

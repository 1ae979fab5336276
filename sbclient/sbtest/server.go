// Package sbtest is a fake Streamer.bot WebSocket server, as strict as the
// real one (shared/specs/streamerbot-ws.md, sections 1.4 and 12): Hello,
// salt/challenge authentication, "enforce" mode, per-connection
// subscriptions, error replies for unknown requests and actions, a globals
// store with the real reply shapes, and a set-global helper action (the
// contract's C# helper, see AddSetGlobalAction). It records every request and run, and has hooks for faults (drop,
// stop/start on the same port, reply delay and reordering, a half-open
// socket). It is usable outside tests: nothing here needs a *testing.T.
package sbtest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"
)

// Options configures a Server.
type Options struct {
	// Password enables authentication (Hello carries salt/challenge).
	Password string
	// Enforce closes a connection whose first frame is not Authenticate, or
	// that has not authenticated within AuthTimeout (only with a Password).
	Enforce bool
	// Logger; nil discards.
	Logger *slog.Logger
	// Addr to listen on; default "127.0.0.1:0". The port is kept across
	// Stop/Start.
	Addr string
	// AuthTimeout in enforce mode; default 30s, as Streamer.bot.
	AuthTimeout time.Duration
	// Version reported in Hello/GetInfo; default "1.0.4".
	Version string

	// Test-only drift switches (to prove the conformance test catches them).

	// OmitGetGlobalVariables leaves "variables" out of GetGlobal replies
	// (the official client then fails).
	OmitGetGlobalVariables bool
	// BadAuthCloseOnly closes the socket on a wrong password without the
	// error reply first (the other behaviour the spec leaves possible).
	BadAuthCloseOnly bool
}

// Server is the fake Streamer.bot. All methods are safe for concurrent use.
type Server struct {
	opts       Options
	log        *slog.Logger
	instanceID string

	mu       sync.Mutex
	addr     string // fixed host:port after the first listen
	hs       *http.Server
	running  bool
	closed   bool
	serveWG  conc.WaitGroup
	connWG   sync.WaitGroup // handler goroutines (each serves one socket)
	conns    map[int]*conn
	nextConn int

	password   string
	enforce    bool
	replyDelay time.Duration
	holdN      int
	held       []heldReply

	state // actions, globals, triggers, records (state.go)
}

// New starts a Server listening on opts.Addr.
func New(opts Options) (*Server, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if opts.AuthTimeout <= 0 {
		opts.AuthTimeout = 30 * time.Second
	}
	if opts.Version == "" {
		opts.Version = "1.0.4"
	}
	s := &Server{
		opts: opts, log: opts.Logger.With("component", "sbtest"),
		instanceID: uuid.NewString(),
		addr:       opts.Addr,
		conns:      map[int]*conn{},
		password:   opts.Password, enforce: opts.Enforce,
	}
	s.state.init()
	if err := s.Start(); err != nil {
		return nil, err
	}
	return s, nil
}

// URL returns "ws://127.0.0.1:<port>/".
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return "ws://" + s.addr + "/"
}

// Addr returns the host:port the server listens on.
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.addr
}

// InstanceID returns the instanceId reported in Hello and GetInfo.
func (s *Server) InstanceID() string { return s.instanceID }

// Version returns the version reported in Hello and GetInfo.
func (s *Server) Version() string { return s.opts.Version }

// Start listens again on the same address after Stop.
func (s *Server) Start() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return errors.New("sbtest: server closed")
	}
	if s.running {
		return nil
	}
	ln, err := net.Listen("tcp", s.addr)
	if err != nil {
		return fmt.Errorf("sbtest: listen %s: %w", s.addr, err)
	}
	s.addr = ln.Addr().String()
	hs := &http.Server{Handler: http.HandlerFunc(s.serveHTTP), ReadHeaderTimeout: 5 * time.Second,
		ErrorLog: slog.NewLogLogger(s.log.Handler(), slog.LevelDebug)}
	s.hs, s.running = hs, true
	s.serveWG.Go(func() { _ = hs.Serve(ln) })
	return nil
}

// Stop stops listening and drops every connection (as if Streamer.bot
// quit); dials are refused until Start.
func (s *Server) Stop() error {
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		return nil
	}
	s.running = false
	hs := s.hs
	conns := s.connList()
	s.mu.Unlock()
	err := hs.Close()
	for _, c := range conns {
		c.kill()
	}
	s.serveWG.Wait()
	s.connWG.Wait()
	if err != nil {
		return fmt.Errorf("sbtest: stop: %w", err)
	}
	return nil
}

// Restart is Stop then Start on the same port.
func (s *Server) Restart() error {
	if err := s.Stop(); err != nil {
		return err
	}
	return s.Start()
}

// Close stops the server for good and waits for all its goroutines.
func (s *Server) Close() error {
	err := s.Stop()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
	return err
}

// DropAll abruptly closes every connection (no close frame); the server
// keeps listening.
func (s *Server) DropAll() {
	s.mu.Lock()
	conns := s.connList()
	s.mu.Unlock()
	for _, c := range conns {
		c.kill()
	}
}

// Conns returns the number of open connections.
func (s *Server) Conns() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// SetReplyDelay delays every later reply by d (0: none). Replies stay in
// order; the connection keeps reading meanwhile.
func (s *Server) SetReplyDelay(d time.Duration) {
	s.mu.Lock()
	s.replyDelay = d
	s.mu.Unlock()
}

// SetAuth changes the password ("" disables authentication) and enforce
// mode for connections made from now on.
func (s *Server) SetAuth(password string, enforce bool) {
	s.mu.Lock()
	s.password, s.enforce = password, enforce
	s.mu.Unlock()
}

// HoldReplies holds the next n replies (any connection, Authenticate
// excepted) and sends them all at once in reverse order when the n-th
// arrives: a deterministic out-of-order server.
func (s *Server) HoldReplies(n int) {
	s.mu.Lock()
	s.holdN, s.held = n, nil
	s.mu.Unlock()
}

// SetUnresponsive(true) freezes every currently open socket: the TCP
// connection stays up but the server answers nothing on it, no pongs,
// replies or events (a half-open socket, as the client sees it). Sockets
// opened later are served normally. false thaws the frozen ones (frames
// received meanwhile are lost).
func (s *Server) SetUnresponsive(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.frozen = on
	}
}

func (c *conn) isFrozen() bool {
	c.srv.mu.Lock()
	defer c.srv.mu.Unlock()
	return c.frozen
}

func (s *Server) connList() []*conn {
	out := make([]*conn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

var upgrader = websocket.Upgrader{
	EnableCompression: true,
	CheckOrigin:       func(*http.Request) bool { return true }, // browsers overlays connect too
}

func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/" {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		http.Error(w, "stopping", http.StatusServiceUnavailable)
		return
	}
	s.connWG.Add(1)
	s.mu.Unlock()
	defer s.connWG.Done()

	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade already answered
	}
	s.mu.Lock()
	if !s.running {
		s.mu.Unlock()
		ws.Close()
		return
	}
	s.nextConn++
	c := newConn(s, s.nextConn, ws)
	c.password, c.enforce = s.password, s.enforce && s.password != ""
	s.conns[c.id] = c
	s.noteChangeLocked()
	s.mu.Unlock()

	c.serve()

	s.mu.Lock()
	delete(s.conns, c.id)
	s.noteChangeLocked()
	s.mu.Unlock()
}

// WaitFor blocks until cond() holds, re-checking it at every recorded change
// (see Changed), or until ctx ends.
func (s *Server) WaitFor(ctx context.Context, cond func() bool) error {
	for {
		ch := s.Changed()
		if cond() {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("sbtest: wait: %w", ctx.Err())
		}
	}
}

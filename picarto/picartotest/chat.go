package picartotest

import (
	"crypto/subtle"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"
)

// ChatOptions configures a ChatServer (API spec §11.4). Zero values take
// Picarto's documented numbers (§6.2).
type ChatOptions struct {
	// Addr to listen on; default "127.0.0.1:0".
	Addr   string
	Logger *slog.Logger
	// Limit messages and commands per sliding Window; default 20 per 30 s.
	Limit  int
	Window time.Duration
	// WhisperPerSecond is the extra whisper limit; default 2 per second
	// (whispers also have their own Limit per Window).
	WhisperPerSecond int
	// Lockout is how long a bot that exceeded a limit is locked out;
	// default 30 min. While locked, its sockets are closed (close code
	// 1008) and new upgrades answer HTTP 429 (the real wire behaviour is
	// undocumented).
	Lockout time.Duration
	// PingInterval is the websocket ping period (default 30 s; negative:
	// never) and PongTimeout how long a socket may go without a pong before
	// it is closed (default 150 s).
	PingInterval, PongTimeout time.Duration
	// StreamInterval sends `stream` frames on a timer; 0: only on demand.
	StreamInterval time.Duration
	// RaidViewersKey, when set, adds the raid size under this key to raid
	// frames (the real key, if any, is unknown; by default the count is
	// only in the sentence).
	RaidViewersKey string
	// NoEcho stops echoing a bot's own chat back as a `c` line.
	NoEcho bool
	// InMemory serves over net.Pipe instead of TCP: no port is opened,
	// URL() names the host "chat.pipe", and clients must dial through
	// DialContext. Everything then runs inside a testing/synctest bubble.
	InMemory bool
}

// ChatFrame is one frame a client sent.
type ChatFrame struct {
	Conn int
	// User is the sender's login ("" for anonymous site chat).
	User string
	// Type is the frame's `type` ("" when it had none or was not JSON).
	Type string
	Raw  []byte
	At   time.Time
	// Dropped is true when the frame was refused (rate limit, lockout,
	// anonymous send).
	Dropped bool
}

// ChatServer is a fake chat.picarto.tv: the bot socket
// `/bot/username=<u>&password=<token>` and the site socket
// `/chat/token=<jwt>`, with authentication, the real abbreviated frames,
// the 20/30 s limit and its lockout, websocket pings and a kill switch. It
// is safe for concurrent use and usable outside tests.
type ChatServer struct {
	opts ChatOptions
	log  *slog.Logger
	ln   net.Listener
	srv  *http.Server
	stop chan struct{}
	bg   conc.WaitGroup // Serve and the stream timer
	hwg  sync.WaitGroup // connection handlers (hijacked, so untracked by http.Server)

	mu          sync.Mutex
	closed      bool
	bots        map[string]*chatUser // by lower-case login
	viewers     map[string]*chatUser // by site-chat token
	conns       map[int]*chatConn
	nextConn    int
	connections int
	sent        []string
	frames      []ChatFrame
	userAgents  []string
	lockedOut   bool
	pongs       int
	refused     int
	hang        bool
	streams     map[int64]chatStream
	changed     chan struct{}
}

type chatUser struct {
	login, token, display string
	userID, channelID     int64
	channelName           string
	msgs, whispers        []time.Time
	lockedUntil           time.Time
}

type chatStream struct {
	viewers int
	online  bool
}

type chatConn struct {
	id          int
	ws          *websocket.Conn
	wmu         sync.Mutex
	user        *chatUser // nil: anonymous
	channelID   int64
	channelName string
	silent      bool // refused site-chat token: gets nothing
}

var chatUpgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

// NewChatServer starts a listening fake chat server.
func NewChatServer(opts ChatOptions) (*ChatServer, error) {
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&opts.Window, 30*time.Second)
	def(&opts.Lockout, 30*time.Minute)
	def(&opts.PingInterval, 30*time.Second)
	def(&opts.PongTimeout, 150*time.Second)
	if opts.Limit <= 0 {
		opts.Limit = 20
	}
	if opts.WhisperPerSecond <= 0 {
		opts.WhisperPerSecond = 2
	}
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	var ln net.Listener = newChatPipeListener()
	if !opts.InMemory {
		var err error
		if ln, err = net.Listen("tcp", opts.Addr); err != nil {
			return nil, fmt.Errorf("picartotest: chat listen: %w", err)
		}
	}
	s := &ChatServer{opts: opts, log: opts.Logger, ln: ln, stop: make(chan struct{}),
		bots: map[string]*chatUser{}, viewers: map[string]*chatUser{}, conns: map[int]*chatConn{},
		streams: map[int64]chatStream{}, changed: make(chan struct{})}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/bot/", s.serveBot)
	mux.HandleFunc("/chat/", s.serveSite)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}
	s.bg.Go(func() { _ = s.srv.Serve(ln) })
	if opts.StreamInterval > 0 {
		s.bg.Go(s.streamTimer)
	}
	return s, nil
}

// URL returns the bot endpoint, "ws://127.0.0.1:<port>/bot/".
func (s *ChatServer) URL() string { return "ws://" + s.ln.Addr().String() + "/bot/" }

// SiteURL returns the site-chat endpoint, "ws://127.0.0.1:<port>/chat/".
func (s *ChatServer) SiteURL() string { return "ws://" + s.ln.Addr().String() + "/chat/" }

// AddBot registers a bot login and token joined to a channel. When the
// login is the channel's name, the bot is the streamer (user id =
// channelID, `s:true`); otherwise it gets its own user id and `z:true`.
func (s *ChatServer) AddBot(username, token string, channelID int64, channelName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	u := &chatUser{login: strings.ToLower(username), token: token, display: username,
		userID: channelID, channelID: channelID, channelName: channelName}
	if !strings.EqualFold(username, channelName) {
		u.userID = 900000 + int64(len(s.bots)+len(s.viewers))
	}
	s.bots[u.login] = u
}

// AddViewerToken registers a site-chat token (a JWT stand-in) for a
// channel; userName "" makes it anonymous (sends refused with INVALID_USER).
func (s *ChatServer) AddViewerToken(token string, channelID int64, channelName, userName string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.viewers[token] = &chatUser{login: strings.ToLower(userName), display: userName, token: token,
		userID: 800000 + int64(len(s.bots)+len(s.viewers)), channelID: channelID, channelName: channelName}
}

// chatPathParams reads `a=1&b=2` from the path after the route prefix,
// also when the whole string is %-encoded.
func chatPathParams(rest string) map[string]string {
	if !strings.Contains(rest, "=") {
		if u, err := url.PathUnescape(rest); err == nil {
			rest = u
		}
	}
	out := map[string]string{}
	for kv := range strings.SplitSeq(rest, "&") {
		k, v, _ := strings.Cut(kv, "=")
		if uv, err := url.PathUnescape(v); err == nil {
			v = uv
		}
		out[k] = v
	}
	return out
}

func (s *ChatServer) serveBot(w http.ResponseWriter, r *http.Request) {
	p := chatPathParams(strings.TrimPrefix(r.URL.EscapedPath(), "/bot/"))
	s.mu.Lock()
	u := s.bots[strings.ToLower(p["username"])]
	if u != nil && time.Now().Before(u.lockedUntil) {
		s.refused++
		s.notify()
		s.mu.Unlock()
		http.Error(w, "locked out of chat for exceeding the message limit", http.StatusTooManyRequests)
		return
	}
	s.mu.Unlock()
	ok := u != nil && subtle.ConstantTimeCompare([]byte(p["password"]), []byte(u.token)) == 1
	c := s.accept(w, r)
	if c == nil {
		return
	}
	defer s.hwg.Done()
	if !ok {
		_ = c.write(map[string]any{"t": "authentication", "success": false})
		c.closeWith(websocket.ClosePolicyViolation, "authentication failed")
		return
	}
	s.serveConn(c, u, map[string]any{"t": "authentication", "success": true})
}

func (s *ChatServer) serveSite(w http.ResponseWriter, r *http.Request) {
	p := chatPathParams(strings.TrimPrefix(r.URL.EscapedPath(), "/chat/"))
	tok := p["token"]
	s.mu.Lock()
	u := s.viewers[tok]
	s.mu.Unlock()
	c := s.accept(w, r)
	if c == nil {
		return
	}
	defer s.hwg.Done()
	var hello any
	if u == nil && tok != "" {
		c.silent = true // stays open, goes silent (API spec §6.3)
		hello = map[string]any{"success": false, "code": "JWT_TOKEN"}
	}
	if u != nil {
		c.channelID, c.channelName = u.channelID, u.channelName
		if u.login == "" {
			u = nil
		}
	}
	s.serveConn(c, u, hello)
}

// accept upgrades, records the dial, and registers the handler with hwg
// (the caller must call s.hwg.Done). nil when closed or not a websocket.
func (s *ChatServer) accept(w http.ResponseWriter, r *http.Request) *chatConn {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		http.Error(w, "closed", http.StatusServiceUnavailable)
		return nil
	}
	s.hwg.Add(1)
	s.mu.Unlock()
	ws, err := chatUpgrader.Upgrade(w, r, nil)
	if err != nil {
		s.hwg.Done()
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.nextConn++
	s.connections++
	s.userAgents = append(s.userAgents, r.Header.Get("User-Agent"))
	s.notify()
	return &chatConn{id: s.nextConn, ws: ws}
}

// serveConn registers c (for broadcasts), then sends hello (unless nil),
// and reads c's frames until it closes; u is nil for anonymous site chat.
func (s *ChatServer) serveConn(c *chatConn, u *chatUser, hello any) {
	c.user = u
	if u != nil {
		c.channelID, c.channelName = u.channelID, u.channelName
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		c.ws.Close()
		return
	}
	s.conns[c.id] = c
	s.notify()
	s.mu.Unlock()
	if hello != nil {
		_ = c.write(hello)
	}
	var wg conc.WaitGroup
	done := make(chan struct{})
	if s.opts.PingInterval > 0 {
		_ = c.ws.SetReadDeadline(time.Now().Add(s.opts.PongTimeout))
		c.ws.SetPongHandler(func(string) error {
			s.mu.Lock()
			s.pongs++
			s.notify()
			s.mu.Unlock()
			return c.ws.SetReadDeadline(time.Now().Add(s.opts.PongTimeout))
		})
		wg.Go(func() { s.pinger(c, done) })
	}
	defer func() {
		close(done)
		c.ws.Close()
		wg.Wait()
		s.mu.Lock()
		delete(s.conns, c.id)
		s.notify()
		s.mu.Unlock()
	}()
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if !s.handleFrame(c, b) {
			return
		}
	}
}

// DropAll abruptly closes every connection (no close frame).
func (s *ChatServer) DropAll() {
	for _, c := range s.snapshot() {
		c.ws.Close()
	}
}

// Close stops listening, closes every connection and waits for all of the
// server's goroutines.
func (s *ChatServer) Close() {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return
	}
	s.closed = true
	close(s.stop)
	s.mu.Unlock()
	_ = s.srv.Close()
	s.DropAll()
	s.hwg.Wait()
	s.bg.Wait()
}

func (s *ChatServer) snapshot() []*chatConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*chatConn, 0, len(s.conns))
	for _, c := range s.conns {
		out = append(out, c)
	}
	return out
}

// notify wakes Changed() waiters; s.mu must be held.
func (s *ChatServer) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changed returns a channel closed at the next recorded change (a dial, a
// connection opening or closing, a frame received, a lockout); call it
// again after it fires.
func (s *ChatServer) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

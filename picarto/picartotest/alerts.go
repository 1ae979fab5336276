package picartotest

import (
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"
)

// AlertsRejectMode is how the fake widget socket refuses a token. What
// Picarto does is unknown (spec picarto-alerts.md §4, U4); the fake offers
// both guesses of spec §10.
type AlertsRejectMode int

const (
	// AlertsRejectMessage upgrades, sends {"success":false,"code":"JWT_TOKEN"}
	// and then stays silent (the chat server's way, spec §3.5).
	AlertsRejectMessage AlertsRejectMode = iota
	// AlertsRejectClose upgrades and closes with 1008 (policy violation).
	AlertsRejectClose
)

// AlertsOptions configures NewAlertsServer.
type AlertsOptions struct {
	Addr   string       // listen address, default "127.0.0.1:0"
	Logger *slog.Logger // nil: discard
	// RequireOrigin makes GraphQL and the socket answer 403 unless Origin is
	// https://picarto.tv. Picarto does not require it (spec §3.1); this is
	// for tests that the client sends it.
	RequireOrigin bool
	// RejectMode is how refused tokens are refused.
	RejectMode AlertsRejectMode
	// WidgetTokenTTL, when positive, gives widget tokens an exp claim.
	WidgetTokenTTL time.Duration
}

// AlertsGraphQLRequest records one request to the fake GraphQL endpoint.
type AlertsGraphQLRequest struct {
	Method, ContentType, Accept, Origin, UserAgent string
	OperationName                                  string
	Fields                                         []string       // root fields queried
	Variables                                      map[string]any // as sent
	Status                                         int            // HTTP status answered
	Errors                                         []string       // GraphQL error messages answered
	At                                             time.Time
}

// AlertsHandshake records one widget-socket upgrade request.
type AlertsHandshake struct {
	Token, Origin, UserAgent string
	Status                   int  // HTTP status when refused before the upgrade, 101 otherwise
	Accepted                 bool // upgraded with a valid token and not rejected
	At                       time.Time
}

// AlertsServer is a strict fake of Picarto's alert-box route (spec §10): the
// internal GraphQL endpoint that issues the tokens and the widget socket
// that carries alerts in both provisional dialects of spec §5.4. It is
// usable outside tests (the demo runs it). Safe for concurrent use.
type AlertsServer struct {
	opts AlertsOptions
	log  *slog.Logger
	ln   net.Listener
	srv  *http.Server
	key  []byte // HMAC key of the JWTs it issues
	wg   conc.WaitGroup

	mu         sync.Mutex
	closed     bool
	channels   map[int64]string
	conns      map[*alertConn]struct{}
	reject     bool
	mode       AlertsRejectMode
	failStatus int
	failN      int
	stall      bool
	replay     int
	history    [][]byte
	requests   []AlertsGraphQLRequest
	handshakes []AlertsHandshake
	issued     []string
	keys       int
	tokens     int
	upgrades   int
	accepted   int
	pings      int
	changed    chan struct{}
}

// NewAlertsServer starts the fake, already listening.
func NewAlertsServer(opts AlertsOptions) (*AlertsServer, error) {
	if opts.Addr == "" {
		opts.Addr = "127.0.0.1:0"
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return nil, fmt.Errorf("picartotest: alerts: listen: %w", err)
	}
	s := &AlertsServer{opts: opts, log: log.With("component", "picartotest.alerts"), ln: ln,
		key: make([]byte, 32), channels: map[int64]string{}, conns: map[*alertConn]struct{}{},
		mode: opts.RejectMode, changed: make(chan struct{})}
	_, _ = rand.Read(s.key)
	mux := http.NewServeMux()
	mux.HandleFunc("/ptvapi", s.handleGraphQL)
	mux.HandleFunc("/widget/", s.handleWidget)
	s.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	s.wg.Go(func() {
		if err := s.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("picartotest alerts: serve", "err", err)
		}
	})
	return s, nil
}

// GraphQLURL is the internal API endpoint, "http://127.0.0.1:<p>/ptvapi".
func (s *AlertsServer) GraphQLURL() string { return "http://" + s.ln.Addr().String() + "/ptvapi" }

// WidgetURL is the widget socket base, "ws://127.0.0.1:<p>/widget/".
func (s *AlertsServer) WidgetURL() string { return "ws://" + s.ln.Addr().String() + "/widget/" }

// Close stops the server, drops every socket and waits for its goroutines.
func (s *AlertsServer) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	conns := s.connList()
	s.mu.Unlock()
	err := s.srv.Close()
	for _, c := range conns {
		_ = c.ws.Close()
	}
	s.wg.Wait()
	return err
}

// AddChannel makes a channel known (names match case-insensitively).
func (s *AlertsServer) AddChannel(id int64, name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.channels[id] = name
}

// RejectTokens makes the widget socket refuse every token (per RejectMode)
// while on.
func (s *AlertsServer) RejectTokens(reject bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.reject = reject
}

// SetRejectMode changes how refused tokens are refused.
func (s *AlertsServer) SetRejectMode(m AlertsRejectMode) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mode = m
}

// FailGraphQL makes the next n GraphQL requests fail: status 0 answers 200
// with a GraphQL error, any other status answers that status (429 with
// Retry-After: 1).
func (s *AlertsServer) FailGraphQL(status, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failStatus, s.failN = status, n
}

// StallPings stops (or resumes) answering WebSocket pings.
func (s *AlertsServer) StallPings(stall bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.stall = stall
}

// SetReplay makes every new socket first receive the last n alert frames
// sent (whether Picarto replays is unknown, spec §8).
func (s *AlertsServer) SetReplay(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.replay = n
}

// Changed returns a channel closed at the next recorded change (request,
// handshake, connection opened or closed, ping). Call it again after it fires.
func (s *AlertsServer) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// notifyLocked wakes Changed waiters; s.mu must be held.
func (s *AlertsServer) notifyLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// GraphQLRequests returns every GraphQL request, in order.
func (s *AlertsServer) GraphQLRequests() []AlertsGraphQLRequest {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AlertsGraphQLRequest(nil), s.requests...)
}

// Handshakes returns every widget-socket upgrade request, in order.
func (s *AlertsServer) Handshakes() []AlertsHandshake {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]AlertsHandshake(nil), s.handshakes...)
}

// Connections counts widget-socket upgrades so far, refused tokens included.
func (s *AlertsServer) Connections() int { return s.count(func() int { return s.upgrades }) }

// Accepted counts upgrades with a valid token that was not refused.
func (s *AlertsServer) Accepted() int { return s.count(func() int { return s.accepted }) }

// Open counts the sockets open now (accepted or refused-but-silent).
func (s *AlertsServer) Open() int { return s.count(func() int { return len(s.conns) }) }

// KeysIssued counts step-A keys (generateJwtToken) issued.
func (s *AlertsServer) KeysIssued() int { return s.count(func() int { return s.keys }) }

// TokensIssued counts widget tokens issued by generateJwtTokenFromKey.
func (s *AlertsServer) TokensIssued() int { return s.count(func() int { return s.tokens }) }

// Pings counts WebSocket pings received.
func (s *AlertsServer) Pings() int { return s.count(func() int { return s.pings }) }

// IssuedTokens returns every key and widget token issued, for leak checks.
func (s *AlertsServer) IssuedTokens() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.issued...)
}

func (s *AlertsServer) count(f func() int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return f()
}

func (s *AlertsServer) channelByName(name string) (int64, string, bool) {
	for id, n := range s.channels {
		if strings.EqualFold(n, strings.TrimSpace(name)) {
			return id, n, true
		}
	}
	return 0, "", false
}

// upgrader accepts any origin; RequireOrigin is checked before it.
var alertUpgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

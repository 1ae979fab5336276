package bridge

import (
	"sync"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

// Component names on the status board, /healthz and the status page.
const (
	compStreamerbot = "streamerbot"
	compPicarto     = "picarto"
	compChat        = "chat"
	compWebhooks    = "webhooks"
	compAlerts      = "alerts"
	compHTTP        = "http"
)

// statusBoard holds what the streamer sees: each component's state, the last
// events, and delivery counts. Safe for concurrent use.
type statusBoard struct {
	mu       sync.Mutex
	states   map[string]string
	degraded map[string]string // component -> reason shown in picartoBridgeStatus
	recent   []recentEvent
	delivers uint64
	changed  signal
}

type recentEvent struct {
	At     time.Time    `json:"at"`
	Kind   actions.Kind `json:"kind"`
	User   string       `json:"user,omitempty"`
	IsTest bool         `json:"isTest,omitempty"`
}

func newStatusBoard() *statusBoard {
	return &statusBoard{states: map[string]string{}, degraded: map[string]string{}}
}

func (s *statusBoard) set(component, state string) {
	s.mu.Lock()
	old := s.states[component]
	s.states[component] = state
	s.mu.Unlock()
	if old != state {
		s.changed.Fire()
	}
}

// degrade marks a component degraded with a reason (empty reason clears it).
func (s *statusBoard) degrade(component, reason string) {
	s.mu.Lock()
	old := s.degraded[component]
	if reason == "" {
		delete(s.degraded, component)
	} else {
		s.degraded[component] = reason
	}
	s.mu.Unlock()
	if old != reason {
		s.changed.Fire()
	}
}

// bridgeStatus is the picartoBridgeStatus value: "connected" or
// "degraded: <reason>" (contract section 3).
func (s *statusBoard) bridgeStatus() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range []string{compPicarto, compWebhooks, compChat, compAlerts, compHTTP} {
		if r, ok := s.degraded[c]; ok {
			return "degraded: " + r
		}
	}
	return "connected"
}

func (s *statusBoard) snapshot() map[string]string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]string, len(s.states))
	for k, v := range s.states {
		out[k] = v
	}
	return out
}

func (s *statusBoard) recordEvent(e actions.Event) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.recent = append(s.recent, recentEvent{At: e.CreatedAt, Kind: e.Kind, User: userDisplay(e), IsTest: e.IsTest})
	if len(s.recent) > 20 {
		s.recent = s.recent[len(s.recent)-20:]
	}
}

func (s *statusBoard) recentEvents() []recentEvent {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]recentEvent, len(s.recent))
	copy(out, s.recent)
	return out
}

func (s *statusBoard) delivered() {
	s.mu.Lock()
	s.delivers++
	s.mu.Unlock()
}

// deliveredCount is how many events reached Streamer.bot since start.
func (s *statusBoard) deliveredCount() uint64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.delivers
}

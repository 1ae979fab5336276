package sbtest

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
)

// ActionRun is one accepted DoAction of an enabled action.
type ActionRun struct {
	ID, Name string
	Args     map[string]any
	Raw      json.RawMessage // the args object as received
	At       time.Time
}

// TriggerRun is one accepted ExecuteCodeTrigger.
type TriggerRun struct {
	TriggerName string
	Args        map[string]any
	At          time.Time
}

// Request is one request frame as received.
type Request struct {
	Conn        int
	Request, ID string
	Raw         json.RawMessage
	At          time.Time
}

type action struct {
	id, name, group string
	enabled         bool
	setGlobal       bool
}

type global struct {
	value     any // JSON-decoded: string, float64, bool, nil
	lastWrite time.Time
}

type codeTrigger struct{ name, eventName, category string }

// state is the Server's data, guarded by Server.mu.
type state struct {
	actions     []*action
	globals     [2]map[string]*global // [0] temporary, [1] persisted
	triggers    []codeTrigger
	actionRuns  []ActionRun
	triggerRuns []TriggerRun
	requests    []Request
	changed     chan struct{}
}

func (st *state) init() {
	st.globals = [2]map[string]*global{{}, {}}
	st.changed = make(chan struct{})
}

func idx(persisted bool) int {
	if persisted {
		return 1
	}
	return 0
}

// noteChangeLocked wakes Changed() waiters.
func (s *Server) noteChangeLocked() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// Changed returns a channel closed at the next recorded change (request,
// run, connection opened or closed, global written). Call it again after it
// fires.
func (s *Server) Changed() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.changed
}

// AddAction adds an enabled action (group "None") and returns its id.
// DoAction on it is recorded in ActionRuns.
func (s *Server) AddAction(name string) (id string) {
	return s.addAction(name, false)
}

// AddSetGlobalAction adds an action that behaves like the contract's
// `Picarto Set Global` C# helper: string args name, value, persisted
// ("true"/"false", default true). value "True"/"False" (any case, as .NET's
// bool.TryParse) becomes a bool, integer text (long.TryParse) a number,
// anything else stays a string; the global is set and
// Misc.GlobalVariableCreated/Updated is emitted.
func (s *Server) AddSetGlobalAction(name string) {
	s.addAction(name, true)
}

func (s *Server) addAction(name string, setGlobal bool) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.actions {
		if a.name == name {
			a.setGlobal = setGlobal
			return a.id
		}
	}
	a := &action{id: uuid.NewString(), name: name, group: "None", enabled: true, setGlobal: setGlobal}
	s.actions = append(s.actions, a)
	return a.id
}

// RemoveAction deletes an action by name.
func (s *Server) RemoveAction(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.actions = slices.DeleteFunc(s.actions, func(a *action) bool { return a.name == name })
}

// SetActionEnabled enables or disables an action. DoAction on a disabled
// action is answered "ok" but nothing runs (nothing is recorded).
func (s *Server) SetActionEnabled(name string, enabled bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range s.actions {
		if a.name == name {
			a.enabled = enabled
		}
	}
}

// AddCodeTrigger registers a custom code trigger (as
// CPH.RegisterCustomTrigger); ExecuteCodeTrigger takes its eventName.
func (s *Server) AddCodeTrigger(name, eventName, category string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.triggers = append(s.triggers, codeTrigger{name, eventName, category})
}

// normalize turns v into its JSON-decoded form (what a client would read).
func normalize(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if json.Unmarshal(b, &out) != nil {
		return nil
	}
	return out
}

// SetGlobal sets a global as if the user edited it in Streamer.bot and
// emits Misc.GlobalVariableCreated or Misc.GlobalVariableUpdated to
// subscribers. The value is stored JSON-normalised (numbers become float64).
func (s *Server) SetGlobal(name string, value any, persisted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.setGlobalLocked(name, normalize(value), persisted)
}

func (s *Server) setGlobalLocked(name string, value any, persisted bool) {
	now := time.Now()
	m := s.globals[idx(persisted)]
	old, existed := m[name]
	m[name] = &global{value: value, lastWrite: now}
	if existed {
		s.emitLocked("Misc", "GlobalVariableUpdated", map[string]any{
			"name": name, "oldValue": old.value, "newValue": value,
			"persisted": persisted, "lastWrite": netTime(now)})
	} else {
		s.emitLocked("Misc", "GlobalVariableCreated", map[string]any{
			"name": name, "value": value, "persisted": persisted, "lastWrite": netTime(now)})
	}
	s.noteChangeLocked()
}

// DeleteGlobal removes a global and emits Misc.GlobalVariableDeleted.
func (s *Server) DeleteGlobal(name string, persisted bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.globals[idx(persisted)]
	if _, ok := m[name]; !ok {
		return
	}
	delete(m, name)
	s.emitLocked("Misc", "GlobalVariableDeleted", map[string]any{"name": name, "persisted": persisted})
	s.noteChangeLocked()
}

// Global returns a global's JSON-decoded value (string, float64, bool, nil).
func (s *Server) Global(name string, persisted bool) (any, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	g, ok := s.globals[idx(persisted)][name]
	if !ok {
		return nil, false
	}
	return g.value, true
}

// Broadcast sends a General.Custom event with data to subscribers, as
// CPH.WebsocketBroadcastJson does.
func (s *Server) Broadcast(data any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emitLocked("General", "Custom", data)
}

// Emit sends any event to the connections subscribed to source.type.
func (s *Server) Emit(source, typ string, data any) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.emitLocked(source, typ, data)
}

func eventFrame(source, typ string, data any) []byte {
	b, err := json.Marshal(map[string]any{
		"timeStamp": netTime(time.Now()),
		"event":     map[string]string{"source": source, "type": typ},
		"data":      data,
	})
	if err != nil {
		return nil
	}
	return b
}

func (s *Server) emitLocked(source, typ string, data any) {
	var frame []byte
	for _, c := range s.conns {
		if c.frozen || !c.subscribedLocked(source, typ) {
			continue
		}
		if frame == nil {
			if frame = eventFrame(source, typ, data); frame == nil {
				return
			}
		}
		c.send(outFrame{data: frame})
	}
}

// subscribedLocked matches case-insensitively (old wiki examples suggest SB does).
func (c *conn) subscribedLocked(source, typ string) bool {
	ss := c.subs[strings.ToLower(source)]
	return ss != nil && ss.types[strings.ToLower(typ)] != ""
}

// ActionRuns returns every accepted DoAction (set-global included), in order.
func (s *Server) ActionRuns() []ActionRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.actionRuns)
}

// TriggerRuns returns every accepted ExecuteCodeTrigger, in order.
func (s *Server) TriggerRuns() []TriggerRun {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.triggerRuns)
}

// Requests returns every request frame received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.requests)
}

// netTime formats like .NET's ISO-8601 round-trip format.
func netTime(t time.Time) string { return t.Format("2006-01-02T15:04:05.0000000-07:00") }

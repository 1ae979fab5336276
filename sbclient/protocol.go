package sbclient

// Wire types of the Streamer.bot WebSocket protocol
// (https://docs.streamer.bot/api/websocket; project notes in
// shared/specs/streamerbot-ws.md, cited below as "spec §n").

import (
	"github.com/picarto-bridge/picarto-bridge/internal/jsonstr"

	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"time"
)

// ActionRef names an action for DoAction: by ID (GUID, survives renames), by
// Name, or both. Either may be empty, not both.
type ActionRef struct{ ID, Name string }

// Action is one entry of the GetActions reply (spec §3 GetActions).
type Action struct {
	ID, Name, Group string
	Enabled         bool
	SubactionCount  int
	TriggerCount    int
}

// Global is a Streamer.bot global variable. Value is JSON-decoded:
// string, float64, bool or nil.
type Global struct {
	Name      string
	Value     any
	LastWrite time.Time
}

// CodeTrigger is a custom code trigger registered with
// CPH.RegisterCustomTrigger; EventName is what ExecuteCodeTrigger takes.
type CodeTrigger struct{ Name, EventName, Category string }

// Info describes the Streamer.bot instance (Hello.info / GetInfo, spec §1.2).
type Info struct {
	InstanceID, Name, Version, OS, Mode, Source string
	// OSVersion is set by Streamer.bot 0.2.5 and later.
	OSVersion string
}

// Event is a pushed event (spec §2.3), e.g. Source "General", Type "Custom".
// Data is the raw "data" object; TimeStamp is zero when unparsable.
type Event struct {
	Source, Type string
	TimeStamp    time.Time
	Data         json.RawMessage
}

// envelope is what the reader decodes from every frame to classify it
// (spec §2.4): a reply has an id we are waiting for, an event has
// event.source/event.type, the handshake frame has request "Hello".
type envelope struct {
	ID        string          `json:"id"`
	Status    string          `json:"status"`
	Error     string          `json:"error"`
	Request   string          `json:"request"`
	Event     *eventKey       `json:"event"`
	TimeStamp string          `json:"timeStamp"`
	Data      json.RawMessage `json:"data"`
}

type eventKey struct {
	Source string `json:"source"`
	Type   string `json:"type"`
}

// hello is the first server frame since Streamer.bot 0.2.5 (spec §1.2).
type hello struct {
	Request        string    `json:"request"`
	Info           *infoWire `json:"info"`
	Authentication *struct {
		Salt      string `json:"salt"`
		Challenge string `json:"challenge"`
	} `json:"authentication"`
}

type infoWire struct {
	InstanceID string `json:"instanceId"`
	Name       string `json:"name"`
	Version    string `json:"version"`
	OS         string `json:"os"`
	OSVersion  string `json:"osVersion"`
	Mode       string `json:"mode"`
	Source     string `json:"source"`
}

func (w *infoWire) info() Info {
	if w == nil {
		return Info{}
	}
	return Info{InstanceID: w.InstanceID, Name: w.Name, Version: w.Version, OS: w.OS,
		OSVersion: w.OSVersion, Mode: w.Mode, Source: w.Source}
}

type actionWire struct {
	ID             string `json:"id"`
	Name           string `json:"name"`
	Group          string `json:"group"`
	Enabled        bool   `json:"enabled"`
	SubactionCount int    `json:"subaction_count"`
	TriggerCount   int    `json:"trigger_count"`
}

type globalWire struct {
	Name      string `json:"name"`
	Value     any    `json:"value"`
	LastWrite string `json:"lastWrite"`
}

func (g globalWire) global(name string) Global {
	if g.Name != "" {
		name = g.Name
	}
	return Global{Name: name, Value: g.Value, LastWrite: parseTime(g.LastWrite)}
}

type triggerWire struct {
	Name      string `json:"name"`
	EventName string `json:"eventName"`
	Category  string `json:"category"`
}

// parseTime reads .NET ISO-8601 timestamps ("2022-01-30T21:32:04.4588947-05:00").
func parseTime(s string) time.Time {
	if s == "" {
		return time.Time{}
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t
	}
	if t, err := time.Parse("2006-01-02T15:04:05.9999999", s); err == nil {
		return t
	}
	return time.Time{}
}

// decodeGlobals accepts "variables" as an object keyed by name (GetGlobals,
// spec §3) or as an array (user-global replies and older builds).
func decodeGlobals(raw json.RawMessage) (map[string]Global, error) {
	out := map[string]Global{}
	raw = trimJSON(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return out, nil
	}
	if raw[0] == '[' {
		var list []globalWire
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, fmt.Errorf("sbclient: decode variables: %w", err)
		}
		for _, g := range list {
			out[g.Name] = g.global(g.Name)
		}
		return out, nil
	}
	var m map[string]globalWire
	if err := json.Unmarshal(raw, &m); err != nil {
		return nil, fmt.Errorf("sbclient: decode variables: %w", err)
	}
	for k, g := range m {
		gl := g.global(k)
		out[gl.Name] = gl
	}
	return out, nil
}

func trimJSON(b json.RawMessage) json.RawMessage {
	return json.RawMessage(bytes.TrimSpace(b))
}

// eventSet is the desired subscription set: source -> type -> present.
type eventSet map[string]map[string]struct{}

func (s eventSet) add(events map[string][]string) {
	for src, types := range events {
		for _, t := range types {
			if src == "" || t == "" {
				continue
			}
			if s[src] == nil {
				s[src] = map[string]struct{}{}
			}
			s[src][t] = struct{}{}
		}
	}
}

func (s eventSet) remove(events map[string][]string) {
	for src, types := range events {
		for _, t := range types {
			delete(s[src], t)
		}
		if len(s[src]) == 0 {
			delete(s, src)
		}
	}
}

// wire returns the set as Streamer.bot's {"Source":["Type",...]} object,
// types sorted so the frame is deterministic.
func (s eventSet) wire() map[string][]string {
	out := make(map[string][]string, len(s))
	for src, types := range s {
		list := make([]string, 0, len(types))
		for t := range types {
			list = append(list, t)
		}
		sort.Strings(list)
		out[src] = list
	}
	return out
}

// appendField appends ,"key":<json of v>.
func appendField(b []byte, key string, v any) ([]byte, error) {
	b = append(b, ',')
	b = jsonstr.Append(b, key)
	b = append(b, ':')
	switch x := v.(type) {
	case string:
		return jsonstr.Append(b, x), nil
	case bool:
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		return append(b, x...), nil
	}
	js, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("sbclient: encode %q: %w", key, err)
	}
	return append(b, js...), nil
}

// appendActionRef appends ,"action":{"id":..,"name":..} leaving out empty parts.
func appendActionRef(b []byte, a ActionRef) []byte {
	b = append(b, `,"action":{`...)
	if a.ID != "" {
		b = append(b, `"id":`...)
		b = jsonstr.Append(b, a.ID)
	}
	if a.Name != "" {
		if a.ID != "" {
			b = append(b, ',')
		}
		b = append(b, `"name":`...)
		b = jsonstr.Append(b, a.Name)
	}
	return append(b, '}')
}

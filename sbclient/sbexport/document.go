package sbexport

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"

	"github.com/google/uuid"
)

// The document version fields of a Streamer.bot 1.0 export (spec 8.2).
const (
	Version1        = 23
	ExportedFrom1   = "1.0.0"
	MinimumVersion1 = "1.0.0"
)

// NoQueue is the queue id of an action in the default queue (1.0 exports).
const NoQueue = "00000000-0000-0000-0000-000000000000"

// Document is a Streamer.bot 1.0 export document (spec 8.2, 8.3).
type Document struct {
	Meta           Meta   `json:"meta"`
	Data           Data   `json:"data"`
	Version        int    `json:"version"`
	ExportedFrom   string `json:"exportedFrom"`
	MinimumVersion string `json:"minimumVersion"`
}

// NewDocument returns an empty 1.0 document (version 23, exported from
// 1.0.0) with the given meta.
func NewDocument(meta Meta) Document {
	return Document{
		Meta:           meta,
		Version:        Version1,
		ExportedFrom:   ExportedFrom1,
		MinimumVersion: MinimumVersion1,
	}
}

// Meta describes the export in the Import dialog.
type Meta struct {
	Name           string  `json:"name"`
	Author         string  `json:"author"`
	Version        string  `json:"version"`
	Description    string  `json:"description"`
	AutoRunAction  *string `json:"autoRunAction"`
	MinimumVersion *string `json:"minimumVersion"`
}

// Data holds what the export imports. Nil lists encode as [], as
// Streamer.bot writes them.
type Data struct {
	Actions          []Action          `json:"actions"`
	Queues           []Queue           `json:"queues"`
	Commands         []json.RawMessage `json:"commands"`
	WebsocketServers []json.RawMessage `json:"websocketServers"`
	WebsocketClients []json.RawMessage `json:"websocketClients"`
	Timers           []json.RawMessage `json:"timers"`
}

// MarshalJSON implements json.Marshaler, writing nil lists as [].
func (d Data) MarshalJSON() ([]byte, error) {
	type plain Data
	p := plain(d)
	p.Actions = nonNil(p.Actions)
	p.Queues = nonNil(p.Queues)
	p.Commands = nonNil(p.Commands)
	p.WebsocketServers = nonNil(p.WebsocketServers)
	p.WebsocketClients = nonNil(p.WebsocketClients)
	p.Timers = nonNil(p.Timers)
	return marshal(p)
}

// Queue is an action queue.
type Queue struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Blocking bool   `json:"blocking"`
}

// Action is one action of a 1.0 export.
type Action struct {
	ID                 string      `json:"id"`
	Queue              string      `json:"queue"`
	Enabled            bool        `json:"enabled"`
	ExcludeFromHistory bool        `json:"excludeFromHistory"`
	ExcludeFromPending bool        `json:"excludeFromPending"`
	Name               string      `json:"name"`
	Group              string      `json:"group"`
	AlwaysRun          bool        `json:"alwaysRun"`
	RandomAction       bool        `json:"randomAction"`
	Concurrent         bool        `json:"concurrent"`
	Triggers           []Trigger   `json:"triggers"`
	SubActions         []SubAction `json:"subActions"`
	CollapsedGroups    []string    `json:"collapsedGroups"`
}

// MarshalJSON implements json.Marshaler, writing nil lists as [].
func (a Action) MarshalJSON() ([]byte, error) {
	type plain Action
	p := plain(a)
	p.Triggers = nonNil(p.Triggers)
	p.SubActions = nonNil(p.SubActions)
	p.CollapsedGroups = nonNil(p.CollapsedGroups)
	return marshal(p)
}

// NewAction returns an enabled action in the default queue holding subs, with
// ids derived from group and name (see ID) and each sub-action's index and
// id set from its position. So the same input always gives the same action.
func NewAction(group, name string, subs ...SubAction) Action {
	id := ID("action", group, name)
	out := make([]SubAction, len(subs))
	for i, s := range subs {
		s.Index = i
		if s.ID == "" {
			s.ID = ID("subaction", id, s.typeKey(), strconv.Itoa(i))
		}
		out[i] = s
	}
	return Action{
		ID:         id,
		Queue:      NoQueue,
		Enabled:    true,
		Name:       name,
		Group:      group,
		SubActions: out,
	}
}

// Namespace is the UUID namespace of ID.
var Namespace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("urn:sbexport:streamer.bot-import"))

// ID returns a deterministic id (a version-5 UUID in Namespace) for the
// given name parts, so a generated export is the same on every run and a
// re-import updates the same actions instead of duplicating them.
func ID(parts ...string) string {
	return uuid.NewSHA1(Namespace, []byte(strings.Join(parts, "\x00"))).String()
}

// marshal is json.Marshal without HTML escaping, so "<&>" in a comment
// stays readable in the document.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

package sbexport

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strconv"
)

// Sub-action type numbers seen in real 1.0 exports (spec 8.4).
const (
	TypeRunProgram    = 6
	TypeComment       = 1009
	TypeExecuteCSharp = 99999
)

// DefaultReferences are the assemblies an Execute C# Code sub-action
// references when none are given: what Streamer.bot adds to a new one.
var DefaultReferences = []string{
	`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\mscorlib.dll`,
	`C:\Windows\Microsoft.NET\Framework64\v4.0.30319\System.dll`,
}

// SubAction is one sub-action of an action: the members every sub-action
// has, and Fields, the members of its Type, which JSON writes inline before
// the common ones (as Streamer.bot does). A common member in Fields is
// ignored.
type SubAction struct {
	ID       string
	Weight   float64
	Type     int
	ParentID *string
	Enabled  bool
	Index    int
	Fields   map[string]any
}

var subActionCommon = []string{"id", "weight", "type", "parentId", "enabled", "index"}

// MarshalJSON implements json.Marshaler.
func (s SubAction) MarshalJSON() ([]byte, error) {
	return marshalFlat(s.Fields, subActionCommon, s.ID, s.Weight, s.Type, s.ParentID, s.Enabled, s.Index)
}

// UnmarshalJSON implements json.Unmarshaler. Fields receives every member
// that is not common, as encoding/json decodes into any.
func (s *SubAction) UnmarshalJSON(b []byte) error {
	var out SubAction
	fields, err := unmarshalFlat(b, subActionCommon, map[string]any{
		"id": &out.ID, "weight": &out.Weight, "type": &out.Type,
		"parentId": &out.ParentID, "enabled": &out.Enabled, "index": &out.Index,
	})
	if err != nil {
		return fmt.Errorf("sbexport: sub-action: %w", err)
	}
	out.Fields = fields
	*s = out
	return nil
}

// String returns the string member key of Fields, or "".
func (s SubAction) String(key string) string {
	v, _ := s.Fields[key].(string)
	return v
}

// CSharpSource returns the C# source of an Execute C# Code sub-action (its
// byteCode member is the base64 of the source text).
func (s SubAction) CSharpSource() (string, error) {
	if s.Type != TypeExecuteCSharp {
		return "", fmt.Errorf("sbexport: sub-action type %d is not Execute C# Code", s.Type)
	}
	src, err := base64.StdEncoding.DecodeString(s.String("byteCode"))
	if err != nil {
		return "", fmt.Errorf("sbexport: byteCode: %w", err)
	}
	return string(src), nil
}

func (s SubAction) typeKey() string { return strconv.Itoa(s.Type) }

// Comment returns a Comment sub-action (type 1009): text shown in the action
// editor, never run. color is "#rrggbb" (or "" for none).
func Comment(value, color string) SubAction {
	var c any
	if color != "" {
		c = color
	}
	return SubAction{Type: TypeComment, Enabled: true, Fields: map[string]any{
		"value": value,
		"color": c,
	}}
}

// Program is what a Run a Program sub-action starts.
type Program struct {
	Command     string            // executable path
	Arguments   string            // may use %args%
	WorkingDir  string            // "" = the command's directory
	EnvVars     map[string]string // extra environment
	WaitForExit int               // seconds; 0 = do not wait
}

// RunProgram returns a Run a Program sub-action (type 6).
func RunProgram(p Program) SubAction {
	env := p.EnvVars
	if env == nil {
		env = map[string]string{}
	}
	return SubAction{Type: TypeRunProgram, Enabled: true, Fields: map[string]any{
		"command":     p.Command,
		"arguments":   p.Arguments,
		"workingDir":  p.WorkingDir,
		"envVars":     env,
		"waitForExit": p.WaitForExit,
	}}
}

// CSharp is the content of an Execute C# Code sub-action.
type CSharp struct {
	Name                 string
	Description          string
	References           []string // nil: DefaultReferences
	Source               string   // C# source text
	Precompile           bool
	DelayStart           bool
	SaveResultToVariable bool
	SaveToVariable       string
}

// ExecuteCSharp returns an Execute C# Code sub-action (type 99999) whose
// byteCode is the base64 of the source, as Streamer.bot stores it.
func ExecuteCSharp(c CSharp) SubAction {
	refs := c.References
	if refs == nil {
		refs = DefaultReferences
	}
	return SubAction{Type: TypeExecuteCSharp, Enabled: true, Fields: map[string]any{
		"name":                 c.Name,
		"description":          c.Description,
		"references":           slices.Clone(refs),
		"byteCode":             base64.StdEncoding.EncodeToString([]byte(c.Source)),
		"precompile":           c.Precompile,
		"delayStart":           c.DelayStart,
		"saveResultToVariable": c.SaveResultToVariable,
		"saveToVariable":       c.SaveToVariable,
	}}
}

// Trigger is one trigger of an action: the common members and Fields, the
// members of its Type (e.g. "commandId" for a command trigger, 401).
type Trigger struct {
	ID         string
	Type       int
	Enabled    bool
	Exclusions []string
	Fields     map[string]any
}

var triggerCommon = []string{"id", "type", "enabled", "exclusions"}

// MarshalJSON implements json.Marshaler.
func (t Trigger) MarshalJSON() ([]byte, error) {
	return marshalFlat(t.Fields, triggerCommon, t.ID, t.Type, t.Enabled, nonNil(t.Exclusions))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Trigger) UnmarshalJSON(b []byte) error {
	var out Trigger
	fields, err := unmarshalFlat(b, triggerCommon, map[string]any{
		"id": &out.ID, "type": &out.Type, "enabled": &out.Enabled, "exclusions": &out.Exclusions,
	})
	if err != nil {
		return fmt.Errorf("sbexport: trigger: %w", err)
	}
	out.Fields = fields
	*t = out
	return nil
}

// marshalFlat writes one JSON object: fields (sorted by key, common names
// skipped), then common[i] = values[i] in order.
func marshalFlat(fields map[string]any, common []string, values ...any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	buf.WriteByte('{')
	n := 0
	member := func(k string, v any) error {
		if n > 0 {
			buf.WriteByte(',')
		}
		n++
		if err := enc.Encode(k); err != nil {
			return err
		}
		buf.Truncate(buf.Len() - 1) // Encode's newline
		buf.WriteByte(':')
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("member %q: %w", k, err)
		}
		buf.Truncate(buf.Len() - 1)
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(fields)) {
		if slices.Contains(common, k) {
			continue
		}
		if err := member(k, fields[k]); err != nil {
			return nil, err
		}
	}
	for i, k := range common {
		if err := member(k, values[i]); err != nil {
			return nil, err
		}
	}
	buf.WriteByte('}')
	return buf.Bytes(), nil
}

// unmarshalFlat decodes object b: each common member into its pointer in
// dst, every other member into the returned map.
func unmarshalFlat(b []byte, common []string, dst map[string]any) (map[string]any, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(b, &members); err != nil {
		return nil, err
	}
	if members == nil {
		return nil, fmt.Errorf("null object")
	}
	fields := make(map[string]any, len(members))
	for k, raw := range members {
		if slices.Contains(common, k) {
			if err := json.Unmarshal(raw, dst[k]); err != nil {
				return nil, fmt.Errorf("member %q: %w", k, err)
			}
			continue
		}
		var v any
		if err := json.Unmarshal(raw, &v); err != nil {
			return nil, fmt.Errorf("member %q: %w", k, err)
		}
		fields[k] = v
	}
	return fields, nil
}

package sbclient

import (
	"github.com/picarto-bridge/picarto-bridge/internal/jsonstr"

	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/google/uuid"
)

// call encodes {"request":<request>,"id":<uuid>,<fields appended by build>}
// and runs it on session s (nil: the current session).
func (c *Client) call(ctx context.Context, s *session, request string, build func([]byte) ([]byte, error)) (json.RawMessage, error) {
	if s == nil {
		if s = c.sess.Load(); s == nil {
			return nil, fmt.Errorf("sbclient: %s: %w", request, ErrNotConnected)
		}
	}
	id := uuid.NewString()
	b := make([]byte, 0, 128)
	b = append(b, `{"request":`...)
	b = jsonstr.Append(b, request)
	b = append(b, `,"id":"`...)
	b = append(b, id...)
	b = append(b, '"')
	if build != nil {
		var err error
		if b, err = build(b); err != nil {
			return nil, err
		}
	}
	b = append(b, '}')
	return s.roundTrip(ctx, request, id, b)
}

// Do sends any request with extra top-level fields and returns the raw reply
// object when its status is "ok"; an error reply is a *RequestError.
func (c *Client) Do(ctx context.Context, request string, fields map[string]any) (json.RawMessage, error) {
	return c.call(ctx, nil, request, func(b []byte) ([]byte, error) {
		var err error
		for k, v := range fields {
			if k == "request" || k == "id" {
				continue
			}
			if b, err = appendField(b, k, v); err != nil {
				return nil, err
			}
		}
		return b, nil
	})
}

func decodeReply[T any](request string, raw json.RawMessage, err error) (T, error) {
	var v T
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("sbclient: %s: decode reply: %w", request, err)
	}
	return v, nil
}

// GetInfo asks for the instance's identity and version.
func (c *Client) GetInfo(ctx context.Context) (Info, error) { return c.getInfo(ctx, nil) }

func (c *Client) getInfo(ctx context.Context, s *session) (Info, error) {
	raw, err := c.call(ctx, s, "GetInfo", nil)
	r, err := decodeReply[struct {
		Info *infoWire `json:"info"`
	}]("GetInfo", raw, err)
	return r.Info.info(), err
}

// GetActions lists every action.
func (c *Client) GetActions(ctx context.Context) ([]Action, error) {
	raw, err := c.call(ctx, nil, "GetActions", nil)
	r, err := decodeReply[struct {
		Actions []actionWire `json:"actions"`
	}]("GetActions", raw, err)
	if err != nil {
		return nil, err
	}
	out := make([]Action, 0, len(r.Actions))
	for _, a := range r.Actions {
		out = append(out, Action{ID: a.ID, Name: a.Name, Group: a.Group, Enabled: a.Enabled,
			SubactionCount: a.SubactionCount, TriggerCount: a.TriggerCount})
	}
	return out, nil
}

// checkArgs accepts nil/empty or a JSON object.
func checkArgs(args json.RawMessage) error {
	if len(args) == 0 {
		return nil
	}
	t := trimJSON(args)
	if len(t) == 0 || t[0] != '{' || !json.Valid(t) {
		return errors.New("args must be a JSON object")
	}
	return nil
}

var errNoAction = errors.New("sbclient: DoAction: action id or name required")

// DoAction queues an action by id or name with arguments (nil: none). "ok"
// means queued, not finished. An unknown action is a *RequestError matching
// ErrActionNotFound.
func (c *Client) DoAction(ctx context.Context, action ActionRef, args map[string]any) error {
	var raw json.RawMessage
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return fmt.Errorf("sbclient: DoAction: encode args: %w", err)
		}
		raw = b
	}
	return c.DoActionJSON(ctx, action, raw)
}

// DoActionJSON is DoAction with args already encoded as a JSON object (nil or
// empty: none). It is the hot path: the frame is built without reflection.
func (c *Client) DoActionJSON(ctx context.Context, action ActionRef, args json.RawMessage) error {
	if action.ID == "" && action.Name == "" {
		return errNoAction
	}
	if err := checkArgs(args); err != nil {
		return fmt.Errorf("sbclient: DoAction: %w", err)
	}
	_, err := c.call(ctx, nil, "DoAction", func(b []byte) ([]byte, error) {
		b = appendActionRef(b, action)
		if len(args) > 0 {
			b = append(b, `,"args":`...)
			b = append(b, args...)
		}
		return b, nil
	})
	return err
}

// GetGlobals returns the persisted (true) or temporary (false) globals.
func (c *Client) GetGlobals(ctx context.Context, persisted bool) (map[string]Global, error) {
	raw, err := c.call(ctx, nil, "GetGlobals", func(b []byte) ([]byte, error) {
		return appendField(b, "persisted", persisted)
	})
	r, err := decodeReply[struct {
		Variables json.RawMessage `json:"variables"`
	}]("GetGlobals", raw, err)
	if err != nil {
		return nil, err
	}
	return decodeGlobals(r.Variables)
}

// GetGlobal returns one global. It accepts the reply shapes seen in the wild
// (spec §3 GetGlobal): "variable":{...}, "variables":{name:{...}} or
// "variables":[...]. A missing global is a *RequestError matching
// ErrGlobalNotFound.
func (c *Client) GetGlobal(ctx context.Context, name string, persisted bool) (Global, error) {
	raw, err := c.call(ctx, nil, "GetGlobal", func(b []byte) ([]byte, error) {
		b, _ = appendField(b, "variable", name)
		return appendField(b, "persisted", persisted)
	})
	r, err := decodeReply[struct {
		ID        string          `json:"id"`
		Variable  *globalWire     `json:"variable"`
		Variables json.RawMessage `json:"variables"`
	}]("GetGlobal", raw, err)
	if err != nil {
		return Global{}, err
	}
	if r.Variable != nil && (r.Variable.Name == "" || r.Variable.Name == name) {
		return r.Variable.global(name), nil
	}
	all, err := decodeGlobals(r.Variables)
	if err != nil {
		return Global{}, err
	}
	if g, ok := all[name]; ok {
		return g, nil
	}
	return Global{}, &RequestError{Request: "GetGlobal", ID: r.ID, Message: "variable " + name + " not in reply"}
}

// Subscribe merges events into the desired set and, when connected, sends
// the whole set (Streamer.bot merges, so this is idempotent). The set is
// re-sent after every reconnect. While disconnected (or when the socket drops
// mid-request) it only records the set and returns nil. An error reply is a
// *RequestError.
func (c *Client) Subscribe(ctx context.Context, events map[string][]string) error {
	c.subMu.Lock()
	c.subs.add(events)
	c.subGen++
	set := c.subs.wire()
	c.subMu.Unlock()
	s := c.sess.Load()
	if s == nil || len(set) == 0 {
		return nil
	}
	return replayed(c.sendSubscribe(ctx, s, set))
}

// replayed drops ErrDisconnected: the next session sends the whole desired
// set anyway, so a (un)subscription cut by a drop is not lost.
func replayed(err error) error {
	if errors.Is(err, ErrDisconnected) {
		return nil
	}
	return err
}

// UnSubscribe removes events from the desired set and, when connected, sends
// UnSubscribe for them. While disconnected it only updates the set.
func (c *Client) UnSubscribe(ctx context.Context, events map[string][]string) error {
	c.subMu.Lock()
	c.subs.remove(events)
	c.subGen++
	c.subMu.Unlock()
	s := c.sess.Load()
	if s == nil {
		return nil
	}
	_, err := c.call(ctx, s, "UnSubscribe", func(b []byte) ([]byte, error) {
		return appendField(b, "events", events)
	})
	return replayed(err)
}

// Subscriptions returns a copy of the desired event set.
func (c *Client) Subscriptions() map[string][]string {
	set, _ := c.subscriptionSnapshot()
	return set
}

// GetCodeTriggers lists the custom code triggers.
func (c *Client) GetCodeTriggers(ctx context.Context) ([]CodeTrigger, error) {
	raw, err := c.call(ctx, nil, "GetCodeTriggers", nil)
	r, err := decodeReply[struct {
		Triggers []triggerWire `json:"triggers"`
	}]("GetCodeTriggers", raw, err)
	if err != nil {
		return nil, err
	}
	out := make([]CodeTrigger, 0, len(r.Triggers))
	for _, t := range r.Triggers {
		out = append(out, CodeTrigger(t))
	}
	return out, nil
}

// ExecuteCodeTrigger fires a custom code trigger by its event name; every
// action with that trigger runs.
func (c *Client) ExecuteCodeTrigger(ctx context.Context, triggerName string, args map[string]any) error {
	var raw json.RawMessage
	if args != nil {
		b, err := json.Marshal(args)
		if err != nil {
			return fmt.Errorf("sbclient: ExecuteCodeTrigger: encode args: %w", err)
		}
		raw = b
	}
	return c.ExecuteCodeTriggerJSON(ctx, triggerName, raw)
}

// ExecuteCodeTriggerJSON is ExecuteCodeTrigger with pre-encoded args.
func (c *Client) ExecuteCodeTriggerJSON(ctx context.Context, triggerName string, args json.RawMessage) error {
	if err := checkArgs(args); err != nil {
		return fmt.Errorf("sbclient: ExecuteCodeTrigger: %w", err)
	}
	_, err := c.call(ctx, nil, "ExecuteCodeTrigger", func(b []byte) ([]byte, error) {
		b, _ = appendField(b, "triggerName", triggerName)
		if len(args) > 0 {
			b = append(b, `,"args":`...)
			b = append(b, args...)
		}
		return b, nil
	})
	return err
}

package sbtest

import (
	"crypto/subtle"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
	"time"
)

// eventCatalog is the GetEvents reply: PascalCase sources, as Streamer.bot
// 1.0 sends (a subset of the real list).
var eventCatalog = map[string][]string{
	"Application": {"ActionAdded", "ActionUpdated", "ActionDeleted"},
	"Custom":      {"Event", "CodeEvent"},
	"General":     {"Custom"},
	"Misc": {"TimedAction", "Test", "ProcessStarted", "ProcessStopped", "ChatWindowAction",
		"StreamerbotStarted", "StreamerbotExiting", "ToastActivation", "GlobalVariableUpdated",
		"UserGlobalVariableUpdated", "GlobalVariableCreated", "GlobalVariableDeleted", "ApplicationImport"},
	"Raw":    {"Action", "SubAction", "ActionCompleted"},
	"Twitch": {"Follow", "Cheer", "Sub", "ReSub", "GiftSub", "GiftBomb", "Raid", "ChatMessage", "StreamOnline", "StreamOffline"},
}

// rq is one request being answered.
type rq struct {
	c    *conn
	name string
	id   json.RawMessage // echoed as received
	raw  []byte
	at   time.Time
}

func (s *Server) replyLocked(r *rq, fields map[string]any, hold bool) {
	if fields == nil {
		fields = map[string]any{}
	}
	if _, ok := fields["status"]; !ok {
		fields["status"] = "ok"
	}
	if len(r.id) > 0 {
		fields["id"] = r.id
	}
	b, err := json.Marshal(fields)
	if err != nil {
		s.log.Error("encode reply", "err", err)
		return
	}
	if hold && s.holdN > 0 {
		s.held = append(s.held, heldReply{r.c, b})
		if len(s.held) >= s.holdN {
			for _, h := range slices.Backward(s.held) {
				h.c.send(outFrame{data: h.data})
			}
			s.holdN, s.held = 0, nil
		}
		return
	}
	r.c.send(outFrame{data: b, at: r.at.Add(s.replyDelay)})
}

func (s *Server) errorLocked(r *rq, msg string) {
	s.replyLocked(r, map[string]any{"status": "error", "error": msg}, true)
}

// handle answers one text frame; it runs on the connection's reader.
func (s *Server) handle(c *conn, data []byte) {
	now := time.Now()
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.frozen || c.dead {
		return
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		s.log.Debug("ignoring non-JSON frame", "conn", c.id)
		return
	}
	r := &rq{c: c, id: fields["id"], raw: data, at: now}
	_ = json.Unmarshal(fields["request"], &r.name)
	idText := string(r.id)
	_ = json.Unmarshal(r.id, &idText)
	s.requests = append(s.requests, Request{Conn: c.id, Request: r.name, ID: idText, Raw: data, At: now})
	s.noteChangeLocked()

	if c.enforce && !c.authed && r.name != "Authenticate" {
		s.log.Debug("enforce: first request is not Authenticate; closing", "conn", c.id, "request", r.name)
		c.dead = true
		c.send(outFrame{close: true})
		return
	}
	switch r.name {
	case "Authenticate":
		s.authenticateLocked(r, fields)
	case "GetInfo":
		s.replyLocked(r, map[string]any{"info": s.info()}, true)
	case "GetEvents":
		s.replyLocked(r, map[string]any{"events": eventCatalog}, true)
	case "Subscribe", "UnSubscribe":
		s.subscribeLocked(r, fields)
	case "GetActions":
		list := make([]map[string]any, 0, len(s.actions))
		for _, a := range s.actions {
			list = append(list, map[string]any{"id": a.id, "name": a.name, "group": a.group,
				"enabled": a.enabled, "subaction_count": 1, "trigger_count": 0})
		}
		s.replyLocked(r, map[string]any{"count": len(list), "actions": list}, true)
	case "DoAction":
		s.doActionLocked(r, fields)
	case "GetGlobals", "GetGlobal":
		s.globalsLocked(r, fields)
	case "GetCodeTriggers":
		list := make([]map[string]string, 0, len(s.triggers))
		for _, t := range s.triggers {
			list = append(list, map[string]string{"name": t.name, "eventName": t.eventName, "category": t.category})
		}
		s.replyLocked(r, map[string]any{"count": len(list), "triggers": list}, true)
	case "ExecuteCodeTrigger":
		s.executeTriggerLocked(r, fields)
	case "SendMessage":
		if !c.authed {
			s.errorLocked(r, "Authentication required")
			return
		}
		s.replyLocked(r, nil, true)
	case "":
		s.errorLocked(r, "Missing request")
	default:
		s.errorLocked(r, "Unknown request: "+r.name)
	}
}

func (s *Server) authenticateLocked(r *rq, fields map[string]json.RawMessage) {
	c := r.c
	if c.password == "" {
		c.authed = true
		s.replyLocked(r, nil, false)
		return
	}
	var got string
	_ = json.Unmarshal(fields["authentication"], &got)
	want := authentication(c.password, c.salt, c.challenge)
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) == 1 {
		c.authed = true
		_ = c.ws.SetReadDeadline(time.Time{}) // on the reader goroutine: safe
		s.replyLocked(r, nil, false)
		return
	}
	c.dead = true
	if s.opts.BadAuthCloseOnly {
		c.send(outFrame{close: true})
		return
	}
	b, _ := json.Marshal(map[string]any{"id": r.id, "status": "error", "error": "Authentication failed"})
	c.send(outFrame{data: b, at: r.at.Add(s.replyDelay), close: true})
}

func (s *Server) subscribeLocked(r *rq, fields map[string]json.RawMessage) {
	var events map[string][]string
	if err := json.Unmarshal(fields["events"], &events); err != nil || events == nil {
		s.errorLocked(r, "Invalid events")
		return
	}
	c := r.c
	for src, types := range events {
		key := strings.ToLower(src)
		ss := c.subs[key]
		if ss == nil && r.name == "Subscribe" {
			ss = &subSource{name: src, types: map[string]string{}}
			c.subs[key] = ss
		}
		if ss == nil {
			continue
		}
		for _, t := range types {
			if r.name == "Subscribe" {
				ss.types[strings.ToLower(t)] = t
			} else {
				delete(ss.types, strings.ToLower(t))
			}
		}
		if len(ss.types) == 0 {
			delete(c.subs, key)
		}
	}
	wire := map[string][]string{}
	for _, ss := range c.subs {
		wire[ss.name] = slices.Sorted(maps.Values(ss.types))
	}
	s.replyLocked(r, map[string]any{"events": wire}, true)
	if c.subscribedLocked("Custom", "Event") {
		for _, f := range c.heldEvents {
			c.send(outFrame{data: f})
		}
		c.heldEvents = nil
	}
}

// argsObject decodes an optional "args" object.
func argsObject(raw json.RawMessage) (map[string]any, bool) {
	if len(raw) == 0 || string(raw) == "null" {
		return map[string]any{}, true
	}
	var m map[string]any
	if json.Unmarshal(raw, &m) != nil || m == nil {
		return nil, false
	}
	return m, true
}

func (s *Server) doActionLocked(r *rq, fields map[string]json.RawMessage) {
	var ref struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	}
	if len(fields["action"]) == 0 || json.Unmarshal(fields["action"], &ref) != nil {
		s.errorLocked(r, "Missing action")
		return
	}
	var a *action
	for _, x := range s.actions {
		if ref.ID != "" && x.id == ref.ID {
			a = x
			break
		}
	}
	for _, x := range s.actions {
		if a == nil && ref.Name != "" && x.name == ref.Name {
			a = x
		}
	}
	if a == nil {
		s.errorLocked(r, "Action not found")
		return
	}
	args, ok := argsObject(fields["args"])
	if !ok {
		s.errorLocked(r, "Invalid args")
		return
	}
	s.replyLocked(r, nil, true)
	if !a.enabled {
		return
	}
	s.actionRuns = append(s.actionRuns, ActionRun{ID: a.id, Name: a.name, Args: args,
		Raw: json.RawMessage(fields["args"]), At: r.at})
	s.noteChangeLocked()
	if a.setGlobal {
		s.runSetGlobalLocked(args)
	}
	s.customResponseLocked(r.c, args, map[string]any{"actionId": a.id, "actionName": a.name})
}

// typedValue mirrors the shipped helper's C# (actions/csharp/SetGlobal.cs):
// "true"/"false" in any case become booleans; an integer written the usual
// way ("9005", "-3") becomes a number, but "007" or "+5" stay text, as the
// C# keeps them (so a user name like "007" is not stored as 7).
func typedValue(v any) any {
	str, ok := v.(string)
	if !ok {
		return v
	}
	t := strings.TrimSpace(str)
	switch {
	case strings.EqualFold(t, "true"):
		return true
	case strings.EqualFold(t, "false"):
		return false
	}
	if n, err := strconv.ParseInt(t, 10, 64); err == nil && strconv.FormatInt(n, 10) == t {
		return float64(n)
	}
	return str
}

func (s *Server) runSetGlobalLocked(args map[string]any) {
	name, _ := args["name"].(string)
	if name == "" {
		s.log.Warn("set-global action run without a name argument")
		return
	}
	persisted := true
	switch p := args["persisted"].(type) {
	case bool:
		persisted = p
	case string:
		persisted = !strings.EqualFold(strings.TrimSpace(p), "false")
	}
	s.setGlobalLocked(name, typedValue(args["value"]), persisted)
}

// customResponseLocked emits Custom.Event {eventName, args} when args carry
// sbClientResponse (the official client's request/response pattern, spec
// §9.6). The requesting socket, if not yet subscribed to Custom.Event, gets
// it once it subscribes (the real action runs a moment after its DoAction is
// queued, and the official client subscribes right after sending DoAction).
func (s *Server) customResponseLocked(from *conn, args, extra map[string]any) {
	id, _ := args["sbClientResponse"].(string)
	if id == "" {
		return
	}
	all := maps.Clone(args)
	maps.Copy(all, extra)
	frame := eventFrame("Custom", "Event", map[string]any{"eventName": id, "args": all})
	for _, c := range s.conns {
		switch {
		case c.frozen:
		case c.subscribedLocked("Custom", "Event"):
			c.send(outFrame{data: frame})
		case c == from && len(c.heldEvents) < 100:
			c.heldEvents = append(c.heldEvents, frame)
		}
	}
}

func (s *Server) globalsLocked(r *rq, fields map[string]json.RawMessage) {
	persisted := true
	if p, ok := fields["persisted"]; ok && string(p) != "null" {
		if json.Unmarshal(p, &persisted) != nil {
			s.errorLocked(r, "Invalid persisted")
			return
		}
	}
	m := s.globals[idx(persisted)]
	wire := func(name string, g *global) map[string]any {
		return map[string]any{"name": name, "value": g.value, "lastWrite": netTime(g.lastWrite)}
	}
	if r.name == "GetGlobals" {
		vars := make(map[string]any, len(m))
		for name, g := range m {
			vars[name] = wire(name, g)
		}
		s.replyLocked(r, map[string]any{"count": len(vars), "variables": vars}, true)
		return
	}
	var name string
	if json.Unmarshal(fields["variable"], &name) != nil || name == "" {
		s.errorLocked(r, "Missing variable")
		return
	}
	g, ok := m[name]
	if !ok {
		s.errorLocked(r, "Variable not found")
		return
	}
	out := map[string]any{"variable": wire(name, g)}
	if !s.opts.OmitGetGlobalVariables {
		out["variables"] = map[string]any{name: wire(name, g)}
	}
	s.replyLocked(r, out, true)
}

func (s *Server) executeTriggerLocked(r *rq, fields map[string]json.RawMessage) {
	var name string
	if json.Unmarshal(fields["triggerName"], &name) != nil || name == "" {
		s.errorLocked(r, "Missing triggerName")
		return
	}
	if !slices.ContainsFunc(s.triggers, func(t codeTrigger) bool { return t.eventName == name }) {
		s.errorLocked(r, "Trigger not found")
		return
	}
	args, ok := argsObject(fields["args"])
	if !ok {
		s.errorLocked(r, "Invalid args")
		return
	}
	s.replyLocked(r, nil, true)
	s.triggerRuns = append(s.triggerRuns, TriggerRun{TriggerName: name, Args: args, At: r.at})
	s.noteChangeLocked()
	s.customResponseLocked(r.c, args, map[string]any{"triggerName": name})
}

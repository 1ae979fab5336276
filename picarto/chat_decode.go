package picarto

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// ErrChatFrame is wrapped by DecodeChatFrame's error for a frame that is not
// JSON at all. It is the only error the decoder returns.
var ErrChatFrame = errors.New("chat frame is not JSON")

// DecodeChatFrame decodes one websocket text frame of Picarto's bot (or site)
// chat into typed events, following API spec §6.6–6.9 and §10.7–10.8:
//   - the envelope type is `t` or `type`, the payload `m` or `messages`;
//   - a frame with a truthy `paginated` or `p` is a history page: no events;
//   - `c`/`ct`/`system` batches give one event per line (ChatMessage,
//     ChatTip, ChatSystemNotice), a line's own `t` deciding over the batch's;
//   - `raid`, `ns`, `un`, `ur`, `rm`, `cm`, `stream` give their typed events;
//   - `authentication` and typeless `{success, code}` replies give ChatStatus;
//   - anything else (also valid JSON that is not an object) is ChatUnknown.
//
// A bad field is left empty rather than failing the frame; only a frame that
// is not JSON returns an error (wrapping ErrChatFrame). It never panics.
func DecodeChatFrame(b []byte) ([]ChatEvent, error) {
	if !json.Valid(b) {
		return nil, fmt.Errorf("picarto: decode chat frame (%d bytes): %w", len(b), ErrChatFrame)
	}
	top, ok := chatParseObj(b)
	if !ok {
		return []ChatEvent{chatUnknown("", b)}, nil
	}
	if top.truthy("paginated", "p") {
		return nil, nil
	}
	typ := top.str("t", "type")
	payload := top.raw("m", "messages")
	var evs []ChatEvent
	switch typ {
	case "authentication":
		evs = append(evs, ChatStatus{Type: typ, Success: top.truthy("success"), Code: top.str("code")})
	case "":
		if _, has := top["success"]; !has && top["code"] == nil {
			return []ChatEvent{chatUnknown("", b)}, nil
		}
		evs = append(evs, ChatStatus{Success: top.truthy("success"), Code: top.str("code")})
	case "c", "ct", "system":
		modOnly := typ == "system" && top.str("c") == "b"
		for _, line := range chatLines(payload) {
			evs = append(evs, chatDecodeLine(typ, line, modOnly))
		}
	case "raid":
		for _, o := range chatParseList(payload) {
			evs = append(evs, chatDecodeRaid(o))
		}
	case "ns":
		for _, o := range chatParseList(payload) {
			evs = append(evs, chatDecodeSub(o))
		}
	case "un", "ur":
		for _, o := range chatParseList(payload) {
			id, name := o.str("u", "id", "_id"), o.str("n", "name")
			if typ == "un" {
				evs = append(evs, ChatUserJoined{UserID: id, Name: name})
			} else {
				evs = append(evs, ChatUserLeft{UserID: id, Name: name})
			}
		}
	case "rm":
		for _, o := range chatParseList(payload) {
			evs = append(evs, ChatMessageRemoved{ID: o.str("id", "_id"), Replacement: o.str("m")})
		}
	case "cm":
		for _, o := range chatParseList(payload) {
			evs = append(evs, ChatUserCleared{UserID: o.str("u", "id")})
		}
	case "stream":
		for _, o := range chatParseList(payload) {
			if ev, ok := chatDecodeStream(o); ok {
				evs = append(evs, ev)
			}
		}
	}
	if len(evs) == 0 && typ != "c" && typ != "ct" && typ != "system" {
		// Unknown type, or a known one whose payload we could not read.
		return []ChatEvent{chatUnknown(typ, b)}, nil
	}
	return evs, nil
}

func chatUnknown(typ string, raw []byte) ChatUnknown {
	return ChatUnknown{Type: typ, Raw: bytes.Clone(raw)}
}

// chatLine is one decoded line of a batch with its raw bytes kept for
// ChatUnknown.
type chatLine struct {
	obj chatObj
	raw json.RawMessage
}

// chatLines reads a batch payload: an array of line objects (non-objects
// skipped) or a single object.
func chatLines(payload json.RawMessage) []chatLine {
	p := bytes.TrimSpace(payload)
	var items []json.RawMessage
	switch {
	case len(p) > 0 && p[0] == '{':
		items = []json.RawMessage{p}
	case len(p) > 0 && p[0] == '[':
		if json.Unmarshal(p, &items) != nil {
			return nil
		}
	}
	out := make([]chatLine, 0, len(items))
	for _, it := range items {
		if o, ok := chatParseObj(it); ok {
			out = append(out, chatLine{obj: o, raw: it})
		}
	}
	return out
}

func chatDecodeLine(batch string, l chatLine, modOnly bool) ChatEvent {
	o := l.obj
	lt := o.str("t")
	if lt == "" {
		lt = batch
	}
	switch {
	case lt == "system":
		return ChatSystemNotice{Text: chatSystemText(o), ModeratorOnly: modOnly}
	case lt == "ct" || o.truthy("v"):
		amount, _ := o.num("x")
		return ChatTip{ChatMessage: chatDecodeMessage(o), Amount: chatInt(amount)}
	case lt == "c":
		return chatDecodeMessage(o)
	}
	return chatUnknown(batch+"/"+lt, l.raw)
}

func chatDecodeMessage(o chatObj) ChatMessage {
	name := o.str("n")
	ts, tsOK := o.num("d")
	if !tsOK {
		ts, tsOK = o.num("a")
	}
	return ChatMessage{
		ID:          o.str("id", "_id"),
		ChannelID:   o.str("c"),
		ChannelName: o.str("rn"),
		UserID:      o.str("u"),
		DisplayName: name,
		UserName:    strings.ToLower(name),
		Avatar:      chatAvatar(o.str("i")),
		Text:        chatText(o["m"]),
		Color:       chatColor(o.str("k")),
		IsStreamer:  o.truthy("s"),
		IsBot:       o.truthy("z"),
		IsModerator: o.truthy("mod", "moderator") || chatHasModGroup(o["g"]),
		Time:        chatTime(ts, tsOK),
	}
}

// chatText reads message text verbatim (chatFlexString trims spaces).
func chatText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	return chatFlexString(raw)
}

// chatHasModGroup looks for a moderator entry in the `g` groups list
// (API-alerts spec §9: "list of strings (groups or permissions)").
func chatHasModGroup(raw json.RawMessage) bool {
	var groups []json.RawMessage
	if len(raw) == 0 || json.Unmarshal(raw, &groups) != nil {
		return false
	}
	for _, g := range groups {
		switch strings.ToLower(chatFlexString(g)) {
		case "mod", "mods", "moderator", "moderators":
			return true
		}
	}
	return false
}

var (
	chatLinkRe = regexp.MustCompile(`\{link\}`)
	chatIconRe = regexp.MustCompile(`\{icon\}`)
)

// chatSystemText fills `{link}` placeholders from `l` (the k-th takes
// l[2k+1].text, else l[0].text) and drops `{icon}` placeholders.
func chatSystemText(o chatObj) string {
	text := chatText(o["m"])
	links := chatParseList(o["l"])
	k := 0
	text = chatLinkRe.ReplaceAllStringFunc(text, func(string) string {
		i := 2*k + 1
		k++
		if i < len(links) {
			if s := links[i].str("text"); s != "" {
				return s
			}
		}
		if len(links) > 0 {
			return links[0].str("text")
		}
		return ""
	})
	return strings.TrimSpace(chatIconRe.ReplaceAllString(text, ""))
}

// chatRaidCountRe finds "12 viewers" (or raiders, people, users) in a
// raid sentence.
var chatRaidCountRe = regexp.MustCompile(`(?i)(\d[\d,]*)\s+(?:viewers?|raiders?|people|users?|watchers?)`)

func chatDecodeRaid(o chatObj) ChatRaid {
	r := ChatRaid{From: o.str("n"), To: o.str("rn"), Message: chatText(o["m"])}
	if n, ok := o.num("viewers", "viewerCount", "viewer_count", "count"); ok {
		r.Viewers = chatInt(n)
	} else if m := chatRaidCountRe.FindStringSubmatch(r.Message); m != nil {
		n, _ := chatFlexInt(json.RawMessage(`"` + m[1] + `"`))
		r.Viewers = chatInt(n)
	}
	return r
}

func chatDecodeSub(o chatObj) ChatSubscription {
	s := ChatSubscription{
		Name:      o.str("sn"),
		Recipient: o.str("gn"),
		Channel:   o.str("n"),
		Months:    1,
		Anonymous: o.truthy("ag"),
		Level:     o.str("slvl"),
	}
	if md, ok := o.num("md"); ok && md > 0 {
		s.Months = chatInt(md)
	}
	var sc []json.RawMessage
	if raw := o.raw("sc"); raw != nil && json.Unmarshal(raw, &sc) != nil {
		if n, ok := chatFlexInt(raw); ok { // a count instead of a list
			sc = make([]json.RawMessage, chatInt(min(n, 1000)))
		}
	}
	s.Gift = o.truthy("sg") || s.Anonymous || s.Recipient != "" || len(sc) > 0
	switch {
	case len(sc) > 0:
		s.GiftCount = len(sc)
	case s.Gift:
		s.GiftCount = 1
	}
	return s
}

func chatDecodeStream(o chatObj) (ChatViewerCount, bool) {
	v := ChatViewerCount{ChannelID: o.str("id", "channelId", "channel_id"), Name: o.str("name", "channelName")}
	n, ok := o.num("viewers")
	if !ok {
		for _, st := range chatParseList(o["streams"]) {
			if sv, sok := st.num("viewers"); sok {
				n, ok = n+sv, true
			}
		}
	}
	v.Viewers = chatInt(n)
	if raw := o.raw("online"); raw != nil {
		on := chatTruthy(raw)
		v.Online = &on
	}
	return v, ok || v.Online != nil
}

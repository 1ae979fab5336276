package picarto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Picarto does not document its webhook callback (spec 5.3), so the decoder
// guesses generously: a JSON object (or a one-element array of one), form
// fields (urlencoded, multipart, or the query string), with keys compared
// case-insensitively and without '_', '-', '.' and spaces ("user_id",
// "userId" and "UserID" are one key). Objects under "data", "payload" or
// "event" are searched too, and "user"/"channel" may be objects.

// Errors DecodeWebhook returns; the handler answers 400 with their text.
var (
	// ErrWebhookPayload: the body is neither a JSON object nor form fields.
	ErrWebhookPayload = errors.New("picarto: webhook body is neither a JSON object nor form fields")
	// ErrWebhookType: the body has no type (or event) naming one of the eight
	// webhook types.
	ErrWebhookType = errors.New("picarto: webhook body has no recognisable type (expected type or event: follow, unfollow, subscribe, unsubscribe, online, offline, event_start or event_end)")
)

// DecodeWebhook decodes a webhook callback body. contentType may be empty;
// JSON is recognised by its first byte as well. It never panics.
func DecodeWebhook(contentType string, body []byte) (WebhookEvent, error) {
	return decodeWebhook(contentType, body, nil)
}

// fieldMap holds a payload's fields under normalised keys. Values are
// string, json.Number, bool, nil, []any or fieldMap.
type fieldMap map[string]any

func decodeWebhook(contentType string, body []byte, query url.Values) (WebhookEvent, error) {
	fields, err := webhookFields(contentType, body)
	if err != nil {
		return WebhookEvent{}, err
	}
	fields.addForm(query) // lower precedence than the body
	if len(fields) == 0 && len(bytes.TrimSpace(body)) == 0 {
		return WebhookEvent{}, fmt.Errorf("%w: the body is empty", ErrWebhookPayload)
	}
	for _, k := range []string{"data", "payload", "event", "body", "webhook"} {
		if inner, ok := fields[k].(fieldMap); ok {
			fields.fillFrom(inner)
		}
	}
	ev := WebhookEvent{Raw: bytes.Clone(body)}
	var ok bool
	for _, k := range []string{"type", "event", "eventtype", "eventname", "webhooktype", "action", "topic"} {
		if ev.Type, ok = ParseWebhookType(fields.str(k)); ok {
			break
		}
	}
	if !ok {
		return WebhookEvent{}, ErrWebhookType
	}
	if ch, isMap := fields["channel"].(fieldMap); isMap {
		ev.Channel = ch.str("name", "channelname", "username", "login")
		ev.ChannelID = ch.int("userid", "channelid", "id")
	} else {
		ev.Channel = fields.str("channel", "channelname")
	}
	if ev.ChannelID == 0 {
		ev.ChannelID = fields.int("channelid", "broadcasterid")
	}
	u := fields
	if m, isMap := fields["user"].(fieldMap); isMap {
		ev.UserID = m.str("userid", "uid", "id") // inside the user object "id" is the user's
		u = fieldMap{}
		u.fillFrom(m)
		u.fillFrom(fields)
		delete(u, "user")
	}
	ev.User = u.str("user", "displayname", "username", "name", "login", "nickname")
	ev.UserName = strings.ToLower(u.str("login", "username", "user", "name", "displayname"))
	if ev.UserID == "" {
		ev.UserID = fields.str("userid", "uid")
	}
	ev.Avatar = AbsoluteImageURL(u.str("avatar", "useravatar", "avatarurl", "userimage", "profileimage"))
	ev.Timestamp = fields.time("timestamp", "time", "ts", "date", "datetime", "createdat", "eventtime", "sentat")
	ev.Test = strings.EqualFold(ev.User, "system") || ParseBool(fields.str("test", "istest"))
	ev.ID = fields.str("eventid", "uuid", "eventuuid", "notificationid", "messageid")
	if ev.ID == "" {
		// A plain "id" might be the registration's id, the same for every
		// call: it is qualified by type and time so events never collapse.
		ev.plainID = fields.str("id")
		ev.derivedID = true
		ev.ID = deriveWebhookID(ev, ev.Timestamp)
	}
	return ev, nil
}

// ParseWebhookType maps the spellings a callback may use ("follow",
// "FOLLOW", "stream_online", "stream.online", "channel.follow", "followed",
// "event-start") to a WebhookType.
func ParseWebhookType(s string) (WebhookType, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.NewReplacer(".", "_", "-", "_", " ", "_", ":", "_", "/", "_").Replace(s)
	for _, p := range []string{"picarto_", "webhook_", "channel_", "user_"} {
		s = strings.TrimPrefix(s, p)
	}
	switch s {
	case "follow", "followed", "follower", "new_follower", "new_follow":
		return WebhookFollow, true
	case "unfollow", "unfollowed", "un_follow":
		return WebhookUnfollow, true
	case "subscribe", "subscribed", "subscription", "subscriber", "new_subscriber", "sub":
		return WebhookSubscribe, true
	case "unsubscribe", "unsubscribed", "un_subscribe", "unsub", "subscription_end", "subscription_ended":
		return WebhookUnsubscribe, true
	case "online", "stream_online", "live", "stream_live", "go_live", "went_live", "stream_start", "stream_started":
		return WebhookOnline, true
	case "offline", "stream_offline", "stream_end", "stream_ended", "stream_stop", "stream_stopped":
		return WebhookOffline, true
	case "event_start", "eventstart", "event_started", "event_begin":
		return WebhookEventStart, true
	case "event_end", "eventend", "event_ended", "event_stop", "event_finish":
		return WebhookEventEnd, true
	}
	return "", false
}

// deriveWebhookID makes the id of an event whose body has no event id: the
// plain id qualified by type and time, else a hash of what identifies it.
func deriveWebhookID(ev WebhookEvent, at time.Time) string {
	if ev.plainID != "" {
		return "id:" + ev.plainID + ":" + string(ev.Type) + ":" + strconv.FormatInt(unixOrZero(at), 10)
	}
	h := sha256.New()
	for _, s := range []string{
		string(ev.Type), strconv.FormatInt(ev.ChannelID, 10), strings.ToLower(ev.Channel),
		ev.UserID, ev.UserName, strconv.FormatInt(unixOrZero(at), 10),
	} {
		io.WriteString(h, s)
		h.Write([]byte{0})
	}
	return "wh-" + hex.EncodeToString(h.Sum(nil)[:16])
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

// webhookFields parses body into fields by content type, trying JSON for
// any body that starts like one.
func webhookFields(contentType string, body []byte) (fieldMap, error) {
	mt, params, _ := mime.ParseMediaType(contentType)
	trimmed := bytes.TrimSpace(body)
	fields := fieldMap{}
	if len(trimmed) == 0 {
		return fields, nil
	}
	isJSON := strings.Contains(mt, "json")
	if isJSON || trimmed[0] == '{' || trimmed[0] == '[' {
		f, err := jsonFields(trimmed)
		if err == nil || isJSON {
			return f, err
		}
	}
	if mt == "multipart/form-data" {
		return multipartFields(body, params["boundary"])
	}
	vals, err := url.ParseQuery(string(trimmed))
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrWebhookPayload, err)
	}
	fields.addForm(vals)
	return fields, nil
}

func jsonFields(b []byte) (fieldMap, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("%w: invalid JSON", ErrWebhookPayload)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: data after the JSON value", ErrWebhookPayload)
	}
	if arr, ok := v.([]any); ok && len(arr) == 1 {
		v = arr[0]
	}
	obj, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%w: JSON but not an object", ErrWebhookPayload)
	}
	return normaliseMap(obj, 0), nil
}

func multipartFields(body []byte, boundary string) (fieldMap, error) {
	if boundary == "" {
		return nil, fmt.Errorf("%w: multipart without a boundary", ErrWebhookPayload)
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	vals := url.Values{}
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%w: bad multipart body", ErrWebhookPayload)
		}
		v, err := io.ReadAll(io.LimitReader(p, 1<<16))
		if err != nil {
			return nil, fmt.Errorf("%w: bad multipart body", ErrWebhookPayload)
		}
		if name := p.FormName(); name != "" {
			vals.Add(name, string(v))
		}
	}
	fields := fieldMap{}
	fields.addForm(vals)
	return fields, nil
}

// normKey folds a key: lower case without '_', '-', '.' and spaces.
func normKey(k string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '_', '-', '.', ' ':
			return -1
		}
		return r
	}, strings.ToLower(strings.TrimSpace(k)))
}

// normaliseMap converts a decoded JSON object, folding keys and nesting.
func normaliseMap(m map[string]any, depth int) fieldMap {
	out := fieldMap{}
	from := map[string]string{} // folded key -> the original that won
	for k, v := range m {
		if inner, ok := v.(map[string]any); ok {
			if depth >= 4 {
				continue
			}
			v = normaliseMap(inner, depth+1)
		}
		nk := normKey(k)
		if prev, dup := from[nk]; dup && prev < k {
			continue // "user_id" and "userId" both present: pick one, deterministically
		}
		from[nk] = k
		out[nk] = v
	}
	return out
}

// addForm adds form values for keys not present yet; PHP-style
// "user[name]" becomes a nested field.
func (f fieldMap) addForm(vals url.Values) {
	for k, vs := range vals {
		if len(vs) == 0 {
			continue
		}
		outer, inner, nested := strings.Cut(k, "[")
		if nested && strings.HasSuffix(inner, "]") {
			ok := normKey(outer)
			sub, isMap := f[ok].(fieldMap)
			if !isMap {
				if _, taken := f[ok]; taken {
					continue
				}
				sub = fieldMap{}
				f[ok] = sub
			}
			if ik := normKey(strings.TrimSuffix(inner, "]")); ik != "" {
				if _, taken := sub[ik]; !taken {
					sub[ik] = vs[0]
				}
			}
			continue
		}
		if nk := normKey(k); nk != "" {
			if _, taken := f[nk]; !taken {
				f[nk] = vs[0]
			}
		}
	}
}

// fillFrom copies src's fields that f lacks.
func (f fieldMap) fillFrom(src fieldMap) {
	for k, v := range src {
		if _, taken := f[k]; !taken {
			f[k] = v
		}
	}
}

// str returns the first non-empty scalar among keys, as text.
func (f fieldMap) str(keys ...string) string {
	for _, k := range keys {
		var s string
		switch v := f[k].(type) {
		case string:
			s = v
		case json.Number:
			s = numberText(v.String())
		case bool:
			s = strconv.FormatBool(v)
		}
		if s = strings.TrimSpace(s); s != "" {
			return s
		}
	}
	return ""
}

// int returns the first of keys that reads as a positive integer.
func (f fieldMap) int(keys ...string) int64 {
	for _, k := range keys {
		if n, ok := ParseInt(f.str(k)); ok && n > 0 {
			return n
		}
	}
	return 0
}

// time returns the first of keys that reads as a time.
func (f fieldMap) time(keys ...string) time.Time {
	for _, k := range keys {
		if t, ok := ParseTime(f.str(k)); ok {
			return t
		}
	}
	return time.Time{}
}

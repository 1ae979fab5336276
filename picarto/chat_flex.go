package picarto

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// chatObj is a JSON object whose fields are decoded one by one, so that a
// bad field never fails the frame (API spec §10.8).
type chatObj map[string]json.RawMessage

// chatParseObj decodes raw as an object; ok is false for anything else.
func chatParseObj(raw []byte) (chatObj, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var o chatObj
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, false
	}
	return o, true
}

// chatParseList decodes raw as a list of objects: an array (non-object
// elements skipped) or a single object.
func chatParseList(raw []byte) []chatObj {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	if raw[0] == '{' {
		if o, ok := chatParseObj(raw); ok {
			return []chatObj{o}
		}
		return nil
	}
	var items []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &items) != nil {
		return nil
	}
	out := make([]chatObj, 0, len(items))
	for _, it := range items {
		if o, ok := chatParseObj(it); ok {
			out = append(out, o)
		}
	}
	return out
}

// raw returns the first present, non-null field among keys.
func (o chatObj) raw(keys ...string) json.RawMessage {
	for _, k := range keys {
		if v, ok := o[k]; ok && !chatIsNull(v) {
			return v
		}
	}
	return nil
}

// str returns the first non-empty field among keys as text.
func (o chatObj) str(keys ...string) string {
	for _, k := range keys {
		if s := chatFlexString(o[k]); s != "" {
			return s
		}
	}
	return ""
}

// num returns the first field among keys that holds a number.
func (o chatObj) num(keys ...string) (int64, bool) {
	for _, k := range keys {
		if n, ok := chatFlexInt(o[k]); ok {
			return n, true
		}
	}
	return 0, false
}

// truthy reports whether any field among keys is truthy.
func (o chatObj) truthy(keys ...string) bool {
	for _, k := range keys {
		if chatTruthy(o[k]) {
			return true
		}
	}
	return false
}

func chatIsNull(raw json.RawMessage) bool {
	t := bytes.TrimSpace(raw)
	return len(t) == 0 || string(t) == "null"
}

// chatFlexString reads a JSON string or number as text (ids arrive as
// either); integral floats lose their ".0". Anything else is "".
func chatFlexString(raw json.RawMessage) string {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return ""
	}
	switch c := raw[0]; {
	case c == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case c == '-' || (c >= '0' && c <= '9'):
		if n, err := strconv.ParseInt(string(raw), 10, 64); err == nil {
			return strconv.FormatInt(n, 10)
		}
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return ""
		}
		if f == math.Trunc(f) && math.Abs(f) < 1e18 {
			return strconv.FormatInt(int64(f), 10)
		}
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return ""
}

// chatFlexInt reads a JSON number, or a string holding one, truncating
// fractions. Out-of-range values and anything else report false.
func chatFlexInt(raw json.RawMessage) (int64, bool) {
	s := chatFlexString(raw)
	if s == "" {
		return 0, false
	}
	s = strings.ReplaceAll(s, ",", "")
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || math.Abs(f) > 9e18 {
		return 0, false
	}
	return int64(f), true
}

// chatTruthy: true, a non-zero number, or "true"/"1"/"yes"/"y"/"t".
func chatTruthy(raw json.RawMessage) bool {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return false
	}
	switch string(raw) {
	case "true":
		return true
	case "false", "null":
		return false
	}
	if raw[0] == '"' {
		switch strings.ToLower(chatFlexString(raw)) {
		case "true", "1", "yes", "y", "t":
			return true
		}
		return false
	}
	n, ok := chatFlexInt(raw)
	return ok && n != 0
}

// chatInt clamps n into an int, negatives to 0.
func chatInt(n int64) int {
	if n < 0 {
		return 0
	}
	return int(min(n, math.MaxInt32))
}

// chatTime turns an epoch in milliseconds (or, below 1e11, seconds) into a
// time; 0 or less is the zero time.
func chatTime(n int64, ok bool) time.Time {
	switch {
	case !ok || n <= 0:
		return time.Time{}
	case n < 1e11:
		return time.Unix(n, 0)
	case n > 1e15: // nonsense; keep the zero time
		return time.Time{}
	}
	return time.UnixMilli(n)
}

// chatImageBase prefixes relative avatar paths (API spec §6.7 `i`).
const chatImageBase = "https://images.picarto.tv/"

func chatAvatar(p string) string {
	switch {
	case p == "":
		return ""
	case strings.HasPrefix(p, "https://"), strings.HasPrefix(p, "http://"), strings.HasPrefix(p, "data:"):
		return p
	case strings.HasPrefix(p, "//"):
		return "https:" + p
	}
	return chatImageBase + strings.TrimLeft(p, "/")
}

// chatColor normalises `k` ("ffc2dd", "#FFC2DD", "fcd") to "#rrggbb".
func chatColor(k string) string {
	k = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(k), "#"))
	for _, r := range k {
		if !strings.ContainsRune("0123456789abcdef", r) {
			return ""
		}
	}
	switch len(k) {
	case 6:
		return "#" + k
	case 3:
		return "#" + string([]byte{k[0], k[0], k[1], k[1], k[2], k[2]})
	}
	return ""
}

package picarto

// Lenient JSON helpers for Picarto's inconsistent wire types (spec section
// 10). Every type here accepts the spellings seen in real responses and
// never fails on a value it can reasonably read; an unreadable value decodes
// to the zero value, so one odd field never fails a whole object. They are
// exported so the chat and alert decoders can share them.

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// FlexInt64 is an int64 that decodes from a JSON number (also 12.0 or
// 1e3), a numeric string ("15623", " 42 "), a boolean (true is 1) or null.
// Picarto's REST sends ids as numbers, its chat sends them as strings.
type FlexInt64 int64

// UnmarshalJSON implements json.Unmarshaler. It never returns an error.
func (f *FlexInt64) UnmarshalJSON(b []byte) error {
	n, _ := parseFlexInt(b)
	*f = FlexInt64(n)
	return nil
}

// FlexInt is an int with FlexInt64's rules; it also reads false as 0, as in
// chat_settings.level (spec 3.1), and category total_views sent as a string.
type FlexInt int

// UnmarshalJSON implements json.Unmarshaler. It never returns an error.
func (f *FlexInt) UnmarshalJSON(b []byte) error {
	n, _ := parseFlexInt(b)
	*f = FlexInt(n)
	return nil
}

// FlexBool is a bool that decodes from true/false, "true"/"True"/"1"/"yes",
// a number (non-zero is true) or null (false). Stream.show_ads is an int or
// a bool (spec 3.6).
type FlexBool bool

// UnmarshalJSON implements json.Unmarshaler. It never returns an error.
func (f *FlexBool) UnmarshalJSON(b []byte) error {
	*f = FlexBool(parseFlexBool(b))
	return nil
}

// FlexString is a string that also decodes from a number (kept as its
// decimal text, 42.0 as "42") or a boolean; null is "". Webhook ids are
// typed string in one place and int64 in another (spec 5.1).
type FlexString string

// UnmarshalJSON implements json.Unmarshaler. Objects and arrays decode to "".
func (f *FlexString) UnmarshalJSON(b []byte) error {
	*f = FlexString(flexText(b))
	return nil
}

// StringList is a []string that decodes from an array of strings (numbers
// kept as text) or a single string: category is a string in the docs and an
// array in real responses (spec 3.1). "" and null decode to nil.
type StringList []string

// UnmarshalJSON implements json.Unmarshaler. It never returns an error.
func (l *StringList) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	*l = nil
	if len(b) > 0 && b[0] == '[' {
		var raw []json.RawMessage
		if json.Unmarshal(b, &raw) != nil {
			return nil
		}
		for _, r := range raw {
			if s := strings.TrimSpace(flexText(r)); s != "" {
				*l = append(*l, s)
			}
		}
		return nil
	}
	if s := strings.TrimSpace(flexText(b)); s != "" {
		*l = StringList{s}
	}
	return nil
}

// FlexTime is a time that decodes from every date format Picarto uses:
// RFC 3339 with or without fractional seconds, "2006-01-02 15:04:05",
// "2006-01-02", unix seconds or milliseconds (as a number or a numeric
// string). null, "", false and unreadable text decode to the zero time.
// Times without a zone are taken as UTC (Picarto does not say; see
// ParseTime).
type FlexTime struct{ time.Time }

// UnmarshalJSON implements json.Unmarshaler. It never returns an error.
func (f *FlexTime) UnmarshalJSON(b []byte) error {
	f.Time = time.Time{}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return nil
	}
	if b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) == nil {
			f.Time, _ = ParseTime(s)
		}
		return nil
	}
	if n, ok := parseFlexInt(b); ok && n > 0 && b[0] != 't' {
		f.Time = UnixAuto(n)
	}
	return nil
}

// Ptr returns nil for the zero time and a pointer to the time otherwise, for
// nullable fields such as Channel.LastLive.
func (f FlexTime) Ptr() *time.Time {
	if f.IsZero() {
		return nil
	}
	t := f.Time
	return &t
}

// timeLayouts are tried in order by ParseTime.
var timeLayouts = []string{
	time.RFC3339Nano,
	"2006-01-02 15:04:05.999999999Z07:00",
	"2006-01-02T15:04:05.999999999",
	"2006-01-02 15:04:05.999999999",
	"2006-01-02 15:04",
	"2006-01-02",
	time.RFC1123Z,
	time.RFC1123,
}

// ParseTime reads s in any format FlexTime accepts, including unix seconds
// or milliseconds as text. Zone-less text is UTC. ok is false for "" and
// unreadable text.
func ParseTime(s string) (t time.Time, ok bool) {
	s = strings.TrimSpace(s)
	if s == "" || s == "null" || strings.HasPrefix(s, "0000-00-00") {
		return time.Time{}, false
	}
	if n, err := strconv.ParseFloat(s, 64); err == nil {
		if n <= 0 || math.IsInf(n, 0) || math.IsNaN(n) || n > 1e17 {
			return time.Time{}, false
		}
		return UnixAuto(int64(n)), true
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// UnixAuto converts a unix timestamp in seconds or in milliseconds (decided
// by magnitude: values above 1e11, i.e. after the year 5138 in seconds, are
// milliseconds) to a UTC time. Chat's `d` is milliseconds, REST's
// notification timestamp is seconds.
func UnixAuto(n int64) time.Time {
	if n > 1e11 || n < -1e11 {
		return time.UnixMilli(n).UTC()
	}
	return time.Unix(n, 0).UTC()
}

// ImageBase is the CDN prefix for relative image paths such as chat's `i`
// ("ptvimages/1/14/...").
const ImageBase = "https://images.picarto.tv/"

// AbsoluteImageURL returns p unchanged when it is empty or already absolute
// (http:, https: or protocol-relative), and ImageBase+p otherwise.
func AbsoluteImageURL(p string) string {
	p = strings.TrimSpace(p)
	if p == "" || strings.HasPrefix(p, "http://") || strings.HasPrefix(p, "https://") {
		return p
	}
	if strings.HasPrefix(p, "//") {
		return "https:" + p
	}
	return ImageBase + strings.TrimLeft(p, "/")
}

// parseFlexInt reads a JSON number, numeric string, bool or null.
func parseFlexInt(b []byte) (int64, bool) {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return 0, false
	}
	switch b[0] {
	case 't':
		return 1, string(b) == "true"
	case 'f', 'n':
		return 0, false
	case '"':
		var s string
		if json.Unmarshal(b, &s) != nil {
			return 0, false
		}
		return ParseInt(s)
	}
	return ParseInt(string(b))
}

// ParseInt reads decimal text leniently: surrounding space, a fractional
// part that is zero ("42.0") and exponents ("1e3") are accepted. Values out
// of the int64 range are not.
func ParseInt(s string) (int64, bool) {
	s = strings.TrimSpace(s)
	if n, err := strconv.ParseInt(s, 10, 64); err == nil {
		return n, true
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) || f >= math.MaxInt64 || f <= math.MinInt64 {
		return 0, false
	}
	return int64(f), true
}

// parseFlexBool reads a JSON bool, number, string or null.
func parseFlexBool(b []byte) bool {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return false
	}
	if b[0] == '"' {
		var s string
		if json.Unmarshal(b, &s) != nil {
			return false
		}
		return ParseBool(s)
	}
	return ParseBool(string(b))
}

// ParseBool reads "true", "True", "1", "yes", "on" (and any non-zero number)
// as true; everything else is false.
func ParseBool(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "true", "yes", "on", "y", "t":
		return true
	case "", "false", "no", "off", "n", "f", "null":
		return false
	}
	f, err := strconv.ParseFloat(s, 64)
	return err == nil && f != 0
}

// flexText renders a JSON scalar as text: strings as themselves, numbers in
// their shortest decimal form, booleans as "true"/"false", anything else "".
func flexText(b []byte) string {
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return ""
	}
	switch b[0] {
	case '"':
		var s string
		if json.Unmarshal(b, &s) != nil {
			return ""
		}
		return s
	case 't', 'f':
		if s := string(b); s == "true" || s == "false" {
			return s
		}
		return ""
	case 'n', '{', '[':
		return ""
	}
	return numberText(string(b))
}

// numberText prints a JSON number without a needless fraction or exponent:
// "42.0" and "4.2e1" become "42"; text that is not a number is returned as is.
func numberText(s string) string {
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	if f == math.Trunc(f) && math.Abs(f) < 1e18 {
		return strconv.FormatInt(int64(f), 10)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

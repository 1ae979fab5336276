package picarto

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"time"
)

// alertFields looks values up in an alert object and then in its envelope.
// Every accessor takes an alias list (spec §5.3) and returns the first value
// that converts; a value of the wrong shape is skipped, not an error.
type alertFields []alertObj

func (f alertFields) find(keys []string, conv func(json.RawMessage) bool) bool {
	for _, o := range f {
		for _, k := range keys {
			if _, v, ok := alertLookup(o, k); ok && conv(v) {
				return true
			}
		}
	}
	return false
}

func (f alertFields) has(key string) bool {
	return f.find([]string{key}, func(json.RawMessage) bool { return true })
}

// str accepts a non-empty JSON string or a number (ids are often numbers).
func (f alertFields) str(keys []string) string {
	var out string
	f.find(keys, func(v json.RawMessage) bool {
		out = alertStringValue(v)
		return out != ""
	})
	return out
}

func alertStringValue(v json.RawMessage) string {
	var s string
	switch alertJSONKind(v) {
	case '"':
		if json.Unmarshal(v, &s) == nil {
			return strings.TrimSpace(s)
		}
	case '-', '0', '1', '2', '3', '4', '5', '6', '7', '8', '9':
		return string(bytes.TrimSpace(v))
	}
	return ""
}

// strList accepts an array of strings or of objects naming a user.
func (f alertFields) strList(keys []string) []string {
	var out []string
	f.find(keys, func(v json.RawMessage) bool {
		var items []json.RawMessage
		if alertJSONKind(v) != '[' || json.Unmarshal(v, &items) != nil {
			return false
		}
		out = out[:0]
		for _, it := range items {
			s := alertStringValue(it)
			if s == "" && alertJSONKind(it) == '{' {
				var o alertObj
				_ = json.Unmarshal(it, &o)
				s = alertFields{o}.str(alertUserKeys)
			}
			if s != "" {
				out = append(out, s)
			}
		}
		return len(out) > 0
	})
	return out
}

// num accepts a JSON number or a numeric string such as "14.97" or "$4.99".
func (f alertFields) num(keys []string) (float64, bool) {
	var out float64
	ok := f.find(keys, func(v json.RawMessage) bool {
		var good bool
		out, good = alertNumber(v)
		return good
	})
	return out, ok
}

func alertNumber(v json.RawMessage) (float64, bool) {
	s := alertStringValue(v)
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(s, "$"), "USD"))
	if strings.Count(s, ",") == 1 && !strings.Contains(s, ".") {
		s = strings.Replace(s, ",", ".", 1)
	}
	if s == "" {
		return 0, false
	}
	x, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(x) || math.IsInf(x, 0) {
		return 0, false
	}
	return x, true
}

func (f alertFields) int(keys []string) (int, bool) {
	x, ok := f.num(keys)
	if !ok || x < 0 || x > 1e9 {
		return 0, false
	}
	return int(math.Round(x)), true
}

// cents reads a US-dollar price as integer cents, with the text as sent.
func (f alertFields) cents(keys []string) (int, string, bool) {
	var cents int
	var raw string
	ok := f.find(keys, func(v json.RawMessage) bool {
		x, good := alertNumber(v)
		if !good || x < 0 || x >= 1e7 {
			return false
		}
		cents, raw = int(math.Round(x*100)), alertStringValue(v)
		return true
	})
	return cents, raw, ok
}

// bool accepts JSON booleans, 0/1 and the usual words.
func (f alertFields) bool(keys []string) (bool, bool) {
	var out bool
	ok := f.find(keys, func(v json.RawMessage) bool {
		switch strings.ToLower(strings.Trim(string(bytes.TrimSpace(v)), `"`)) {
		case "true", "1", "yes":
			out = true
		case "false", "0", "no":
			out = false
		default:
			return false
		}
		return true
	})
	return out, ok
}

// time reads epoch numbers (above 1e12 milliseconds, else seconds) or time
// strings; implausible values (before 2000, after 2200) are ignored.
func (f alertFields) time() (time.Time, bool) {
	var out time.Time
	ok := f.find(alertTimeKeys, func(v json.RawMessage) bool {
		if x, good := alertNumber(v); good && x > 0 && x < 1e16 {
			if x > 1e12 {
				out = time.UnixMilli(int64(x))
			} else {
				out = time.Unix(int64(x), int64((x-math.Floor(x))*1e9))
			}
		} else {
			s := alertStringValue(v)
			var err error
			for _, layout := range []string{time.RFC3339Nano, "2006-01-02 15:04:05", "2006-01-02T15:04:05"} {
				if out, err = time.Parse(layout, s); err == nil {
					break
				}
			}
			if err != nil {
				return false
			}
		}
		out = out.UTC()
		return out.Year() >= 2000 && out.Year() <= 2200
	})
	return out, ok
}

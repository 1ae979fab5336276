package actions

import (
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// Argument names of the SetGlobalAction helper (contract section 3).
const (
	SetGlobalArgName      = "name"
	SetGlobalArgValue     = "value"
	SetGlobalArgPersisted = "persisted"
)

// SetGlobalArgs returns the DoAction arguments that make the SetGlobalAction
// helper set global name to value: {name, value: FormatValue(value),
// persisted: "true"|"false"}, all strings as the contract says.
func SetGlobalArgs(name string, value any, persisted bool) map[string]any {
	p := "false"
	if persisted {
		p = "true"
	}
	return map[string]any{
		SetGlobalArgName:      name,
		SetGlobalArgValue:     FormatValue(value),
		SetGlobalArgPersisted: p,
	}
}

// FormatValue renders v the way Streamer.bot shows it and the helper reads it
// back: a bool as "True"/"False", an integer in decimal, a float without
// exponent, a string as is, a time in RFC 3339 (UTC), a time.Duration in
// whole seconds (as the duration argument counts), nil as "". A
// secret.Secret is revealed: SetGlobalArgs goes on the wire, so never log its
// result. Anything else is formatted with fmt.
func FormatValue(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case bool:
		if x {
			return "True"
		}
		return "False"
	case int:
		return strconv.Itoa(x)
	case int64:
		return strconv.FormatInt(x, 10)
	case float64:
		return formatFloat(x, 64)
	case float32:
		return formatFloat(float64(x), 32)
	case json.Number:
		return x.String()
	case secret.Secret:
		return x.Reveal()
	case time.Time:
		return x.UTC().Format(timeLayout)
	case time.Duration:
		return strconv.FormatInt(int64(x/time.Second), 10)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return strconv.FormatInt(rv.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return strconv.FormatUint(rv.Uint(), 10)
	case reflect.Bool:
		return FormatValue(rv.Bool())
	case reflect.String:
		if _, ok := v.(fmt.Stringer); !ok {
			return rv.String()
		}
	case reflect.Pointer:
		if rv.IsNil() {
			return ""
		}
		return FormatValue(rv.Elem().Interface())
	}
	return fmt.Sprint(v)
}

func formatFloat(f float64, bits int) string {
	return strconv.FormatFloat(f, 'f', -1, bits)
}

// ParseBool reads a global's value as a boolean, leniently: true, false, any
// case of "true"/"false", "1"/"0", "yes"/"no", "on"/"off" (surrounding spaces
// ignored) and the numbers 1 and 0. ok is false for anything else.
func ParseBool(v any) (val, ok bool) {
	switch x := v.(type) {
	case bool:
		return x, true
	case string:
		switch strings.ToLower(strings.TrimSpace(x)) {
		case "true", "1", "yes", "on":
			return true, true
		case "false", "0", "no", "off":
			return false, true
		}
		return false, false
	}
	if n, ok := ParseInt(v); ok && (n == 0 || n == 1) {
		return n == 1, true
	}
	return false, false
}

// ParseInt reads a global's value as an integer, leniently: a Go integer, a
// float64 with no fraction (JSON numbers decode so), or text holding one
// ("9005", " 9005 ", "9005.0"). ok is false for anything else and for values
// outside int64.
func ParseInt(v any) (int64, bool) {
	switch x := v.(type) {
	case int:
		return int64(x), true
	case int64:
		return x, true
	case int32:
		return int64(x), true
	case uint64:
		if x > math.MaxInt64 {
			return 0, false
		}
		return int64(x), true
	case float64:
		return floatInt(x)
	case float32:
		return floatInt(float64(x))
	case json.Number:
		return ParseInt(string(x))
	case string:
		s := strings.TrimSpace(x)
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n, true
		}
		if s == "" || strings.ContainsAny(s, "xXpP_") || strings.ContainsFunc(s, isLetterButE) {
			return 0, false // no hex floats, Inf, NaN or underscores
		}
		f, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return 0, false
		}
		return floatInt(f)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return rv.Int(), true
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if u := rv.Uint(); u <= math.MaxInt64 {
			return int64(u), true
		}
	}
	return 0, false
}

func isLetterButE(r rune) bool {
	return ('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z') && r != 'e' && r != 'E'
}

// floatInt converts f when it is a whole number inside int64's range.
func floatInt(f float64) (int64, bool) {
	// -2^63 is exact as a float64; 2^63 is the first value beyond range.
	if f != math.Trunc(f) || f < -(1<<63) || f >= 1<<63 {
		return 0, false
	}
	return int64(f), true
}

// ParseString reads a global's value as text: a string as is, a number in
// decimal without exponent (9005, 0.5), a bool as "True"/"False", nil as "".
// It is FormatValue, named for the reading side.
func ParseString(v any) string {
	return FormatValue(v)
}

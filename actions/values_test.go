package actions

import (
	"encoding/json"
	"math"
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

type named string
type namedInt int16

func TestFormatValue(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{nil, ""},
		{true, "True"},
		{false, "False"},
		{9005, "9005"},
		{int64(-12345678901), "-12345678901"},
		{uint8(7), "7"},
		{namedInt(-3), "-3"},
		{9005.0, "9005"},
		{0.5, "0.5"},
		{1e21, "1000000000000000000000"},
		{float32(2.5), "2.5"},
		{json.Number("42"), "42"},
		{"as is ", "as is "},
		{named("kind"), "kind"},
		{KindFollow, "follow"},
		{secret.Secret("tok"), "tok"},
		{time.Date(2025, 1, 2, 3, 4, 5, 0, time.FixedZone("x", 3600)), "2025-01-02T02:04:05Z"},
		{90 * time.Second, "90"},
		{ptr(12), "12"},
		{(*int)(nil), ""},
		{[]int{1}, "[1]"},
	}
	for _, tt := range tests {
		if got := FormatValue(tt.in); got != tt.want {
			t.Errorf("FormatValue(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestSetGlobalArgs(t *testing.T) {
	tests := []struct {
		name      string
		value     any
		persisted bool
		want      map[string]any
	}{
		{GlobalOnline, true, false, map[string]any{"name": "picartoOnline", "value": "True", "persisted": "false"}},
		{GlobalFollowerCount, 101, true, map[string]any{"name": "picartoFollowerCount", "value": "101", "persisted": "true"}},
		{GlobalLastFollower, "Alice", true, map[string]any{"name": "picartoLastFollower", "value": "Alice", "persisted": "true"}},
		{GlobalBridgeStatus, "degraded: chat", false, map[string]any{"name": "picartoBridgeStatus", "value": "degraded: chat", "persisted": "false"}},
	}
	for _, tt := range tests {
		if got := SetGlobalArgs(tt.name, tt.value, tt.persisted); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("SetGlobalArgs(%q, %v, %v) = %v, want %v", tt.name, tt.value, tt.persisted, got, tt.want)
		}
	}
}

func TestParseBool(t *testing.T) {
	tests := []struct {
		in      any
		val, ok bool
	}{
		{true, true, true}, {false, false, true},
		{"True", true, true}, {"true", true, true}, {"TRUE", true, true}, {" true ", true, true},
		{"1", true, true}, {"yes", true, true}, {"On", true, true},
		{"False", false, true}, {"false", false, true}, {"0", false, true}, {"no", false, true}, {"off", false, true},
		{1.0, true, true}, {0.0, false, true}, {1, true, true}, {int64(0), false, true}, {json.Number("1"), true, true},
		{"", false, false}, {"maybe", false, false}, {"2", false, false}, {2.0, false, false}, {0.5, false, false},
		{nil, false, false}, {[]bool{true}, false, false},
	}
	for _, tt := range tests {
		val, ok := ParseBool(tt.in)
		if val != tt.val || ok != tt.ok {
			t.Errorf("ParseBool(%#v) = %v, %v; want %v, %v", tt.in, val, ok, tt.val, tt.ok)
		}
	}
}

func TestParseInt(t *testing.T) {
	tests := []struct {
		in   any
		want int64
		ok   bool
	}{
		{9005, 9005, true}, {9005.0, 9005, true}, {"9005", 9005, true}, {" 9005 ", 9005, true},
		{"9005.0", 9005, true}, {"-12", -12, true}, {"+7", 7, true}, {"1e3", 1000, true},
		{int64(math.MaxInt64), math.MaxInt64, true}, {uint64(math.MaxUint64), 0, false},
		{float64(-(1 << 63)), math.MinInt64, true}, {float64(1 << 63), 0, false},
		{uint16(5), 5, true}, {namedInt(-4), -4, true}, {json.Number("12"), 12, true},
		{9005.5, 0, false}, {"9005.5", 0, false}, {"", 0, false}, {"abc", 0, false}, {"0x10", 0, false},
		{"Inf", 0, false}, {"NaN", 0, false}, {math.NaN(), 0, false}, {math.Inf(1), 0, false},
		{"1_000", 0, false}, {true, 0, false}, {nil, 0, false}, {"99999999999999999999", 0, false},
	}
	for _, tt := range tests {
		got, ok := ParseInt(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ParseInt(%#v) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestParseString(t *testing.T) {
	tests := []struct {
		in   any
		want string
	}{
		{"alice", "alice"}, {9005.0, "9005"}, {1234567890123.0, "1234567890123"}, {0.25, "0.25"},
		{true, "True"}, {false, "False"}, {nil, ""}, {int64(5), "5"},
	}
	for _, tt := range tests {
		if got := ParseString(tt.in); got != tt.want {
			t.Errorf("ParseString(%#v) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzParseGlobal feeds the lenient readers the kinds of value a global can
// hold after JSON decoding (text, a number, a bool) and checks they never
// panic and agree with each other and with FormatValue.
func FuzzParseGlobal(f *testing.F) {
	f.Add("True", 9005.0, int64(9005), true)
	f.Add(" 9005 ", 0.5, int64(-1), false)
	f.Add("", math.Inf(1), int64(math.MinInt64), true)
	f.Fuzz(func(t *testing.T, s string, x float64, n int64, b bool) {
		for _, v := range []any{s, x, n, b, json.Number(s)} {
			if bv, ok := ParseBool(v); !ok && bv {
				t.Fatalf("ParseBool(%#v) = true without ok", v)
			}
			ParseString(v)
			if iv, ok := ParseInt(v); ok {
				if back, ok2 := ParseInt(ParseString(iv)); !ok2 || back != iv {
					t.Fatalf("ParseInt(%#v) = %d does not survive FormatValue: %d %v", v, iv, back, ok2)
				}
			}
		}
		if got := ParseString(s); got != s {
			t.Fatalf("ParseString(%q) = %q", s, got)
		}
		if got, ok := ParseInt(ParseString(n)); !ok || got != n {
			t.Fatalf("ParseInt(ParseString(%d)) = %d, %v", n, got, ok)
		}
		if got, ok := ParseBool(FormatValue(b)); !ok || got != b {
			t.Fatalf("ParseBool(FormatValue(%v)) = %v, %v", b, got, ok)
		}
		if !math.IsInf(x, 0) && !math.IsNaN(x) {
			back, err := strconv.ParseFloat(ParseString(x), 64)
			if err != nil || back != x {
				t.Fatalf("ParseString(%v) = %q does not read back: %v %v", x, ParseString(x), back, err)
			}
			if iv, ok := ParseInt(x); ok && float64(iv) != x {
				t.Fatalf("ParseInt(%v) = %d", x, iv)
			}
		}
	})
}

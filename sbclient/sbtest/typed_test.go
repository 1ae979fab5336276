package sbtest

import (
	"reflect"
	"testing"
)

// The fake's set-global helper types values exactly as the shipped C# does
// (actions/csharp/SetGlobal.cs; the actions package runs that C# under Mono
// on the same samples).
func TestTypedValueMatchesTheHelper(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want any
	}{
		{"True", true}, {"false", false}, {" TRUE ", true},
		{"9005", float64(9005)}, {"-3", float64(-3)}, {"12345678901", float64(12345678901)},
		{"007", "007"}, {"+5", "+5"}, {"abc", "abc"}, {"", ""}, {"1.5", "1.5"},
		{float64(7), float64(7)},
	} {
		if got := typedValue(tc.in); !reflect.DeepEqual(got, tc.want) {
			t.Errorf("typedValue(%#v) = %#v, want %#v", tc.in, got, tc.want)
		}
	}
}

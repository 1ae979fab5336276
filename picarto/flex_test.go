package picarto_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto"
)

func TestFlexTypes(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
	}{{`42`, 42}, {`"42"`, 42}, {`" 7 "`, 7}, {`42.0`, 42}, {`1e3`, 1000}, {`null`, 0}, {`true`, 1}, {`false`, 0},
		{`"x"`, 0}, {`{}`, 0}, {`[]`, 0}, {`9223372036854775807`, 9223372036854775807}, {`1e300`, 0}} {
		var v struct{ N picarto.FlexInt64 }
		if err := json.Unmarshal([]byte(`{"N":`+tc.in+`}`), &v); err != nil || int64(v.N) != tc.want {
			t.Errorf("FlexInt64(%s) = %d, %v; want %d", tc.in, v.N, err, tc.want)
		}
	}
	for _, tc := range []struct {
		in   string
		want bool
	}{{`true`, true}, {`"True"`, true}, {`"1"`, true}, {`1`, true}, {`0`, false}, {`"false"`, false}, {`null`, false}, {`"yes"`, true}} {
		var v struct{ B picarto.FlexBool }
		if err := json.Unmarshal([]byte(`{"B":`+tc.in+`}`), &v); err != nil || bool(v.B) != tc.want {
			t.Errorf("FlexBool(%s) = %v, %v", tc.in, v.B, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want string
	}{{`"a"`, "a"}, {`12`, "12"}, {`12.0`, "12"}, {`1.5`, "1.5"}, {`true`, "true"}, {`null`, ""}, {`{"x":1}`, ""}} {
		var v struct{ S picarto.FlexString }
		if err := json.Unmarshal([]byte(`{"S":`+tc.in+`}`), &v); err != nil || string(v.S) != tc.want {
			t.Errorf("FlexString(%s) = %q, %v", tc.in, v.S, err)
		}
	}
	for _, tc := range []struct {
		in   string
		want int
	}{{`["a","b"]`, 2}, {`"a"`, 1}, {`""`, 0}, {`null`, 0}, {`[1,"x",null]`, 2}, {`5`, 1}} {
		var v struct{ L picarto.StringList }
		if err := json.Unmarshal([]byte(`{"L":`+tc.in+`}`), &v); err != nil || len(v.L) != tc.want {
			t.Errorf("StringList(%s) = %v, %v", tc.in, v.L, err)
		}
	}
}

func TestFlexTime(t *testing.T) {
	at := time.Date(2022, 4, 20, 21, 10, 13, 0, time.UTC)
	for _, in := range []string{
		`"2022-04-20 21:10:13"`, `"2022-04-20T21:10:13Z"`, `"2022-04-20T21:10:13.000000Z"`,
		`"2022-04-20T23:10:13+02:00"`, `1650489013`, `1650489013000`, `"1650489013"`, `"2022-04-20T21:10:13"`,
	} {
		var v struct{ T picarto.FlexTime }
		if err := json.Unmarshal([]byte(`{"T":`+in+`}`), &v); err != nil || !v.T.Equal(at) {
			t.Errorf("FlexTime(%s) = %v, %v", in, v.T, err)
		}
	}
	for _, in := range []string{`null`, `""`, `false`, `"soon"`, `0`, `"0000-00-00 00:00:00"`, `{}`} {
		var v struct{ T picarto.FlexTime }
		if err := json.Unmarshal([]byte(`{"T":`+in+`}`), &v); err != nil || !v.T.IsZero() || v.T.Ptr() != nil {
			t.Errorf("FlexTime(%s) = %v, %v; want zero", in, v.T, err)
		}
	}
	if d, _ := picarto.ParseTime("2016-04-26"); !d.Equal(time.Date(2016, 4, 26, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("date only: %v", d)
	}
}

func TestAbsoluteImageURL(t *testing.T) {
	for in, want := range map[string]string{
		"ptvimages/1/a.png":       "https://images.picarto.tv/ptvimages/1/a.png",
		"/ptvimages/1/a.png":      "https://images.picarto.tv/ptvimages/1/a.png",
		"https://x.example/a.png": "https://x.example/a.png",
		"//cdn.example/a.png":     "https://cdn.example/a.png",
		"":                        "",
	} {
		if got := picarto.AbsoluteImageURL(in); got != want {
			t.Errorf("AbsoluteImageURL(%q) = %q", in, got)
		}
	}
}

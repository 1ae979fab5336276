package jsonstr

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestAppendMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\", "\x00\x1f\n\t\r\b\f", "<a&b>", "\u2028\u2029", "é", "bad\xffutf8\xc3"} {
		want, _ := json.Marshal(s)
		if got := Append([]byte("x"), s); !bytes.Equal(got[1:], want) || got[0] != 'x' {
			t.Errorf("Append(%q) = %s, want %s", s, got[1:], want)
		}
	}
}

package picarto_test

import (
	"testing"

	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// FuzzDecodeWebhook: the decoder never panics, and what it accepts is one
// of the eight types with an id. Seeds live in testdata/fuzz/FuzzDecodeWebhook.
func FuzzDecodeWebhook(f *testing.F) {
	f.Add("application/json", []byte(`{"type":"follow","channel_id":15623,"channel":"Goat","user_id":42,"user":"SomeFan","timestamp":1700000000}`))
	f.Add("application/x-www-form-urlencoded", []byte(`type=online&channel=Goat&user%5Bname%5D=x`))
	f.Add("", []byte(`{"event":{"type":"stream.offline","user":{"id":"1"}},"data":{"timestamp":"2022-04-20 21:10:13"}}`))
	f.Fuzz(func(t *testing.T, ct string, body []byte) {
		ev, err := picarto.DecodeWebhook(ct, body)
		if err != nil {
			return
		}
		if !ev.Type.Valid() || ev.ID == "" {
			t.Fatalf("accepted %q as %+v", body, ev)
		}
	})
}

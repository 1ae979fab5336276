package bridge

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseCommand: General.Custom data is whatever any Streamer.bot action
// broadcast (CPH.WebsocketBroadcastJson). parseCommand never panics; what it
// accepts has a normalised name, and survives being broadcast again, plain or
// wrapped as {"data":"<json>"}. Seeds in testdata/fuzz/FuzzParseCommand run
// with every `go test`.
func FuzzParseCommand(f *testing.F) {
	for _, s := range []string{
		`{"picartoBridge":"restart"}`,
		`{"picartoBridge":" Stop "}`,
		`{"picartoBridge":"chat","message":"thanks for the follow!"}`,
		`{"data":"{\"picartoBridge\":\"register-webhooks\"}"}`,
		`{"data":"{\"data\":\"{\\\"picartoBridge\\\":\\\"stop\\\"}\"}"}`,
		`{"picartoBridge":5}`,
		`{"picartoBridge":"chat","message":7}`,
		`{"event":"mediaPlayer","action":"pause"}`,
		`"restart"`,
		`null`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmd, ok := parseCommand(data)
		if !ok {
			if cmd != (command{}) {
				t.Fatalf("rejected %q but returned %+v", data, cmd)
			}
			return
		}
		if cmd.Name != strings.ToLower(strings.TrimSpace(cmd.Name)) {
			t.Fatalf("name %q of %q is not normalised", cmd.Name, data)
		}
		obj := map[string]any{"picartoBridge": cmd.Name}
		if cmd.Message != "" {
			obj["message"] = cmd.Message
		}
		plain, err := json.Marshal(obj)
		if err != nil {
			t.Fatal(err)
		}
		wrapped, _ := json.Marshal(map[string]any{"data": string(plain)})
		for _, again := range [][]byte{plain, wrapped} {
			if got, ok := parseCommand(again); !ok || got != cmd {
				t.Fatalf("%q parsed as %+v, but re-sent as %s it parses as %+v, %v", data, cmd, again, got, ok)
			}
		}
	})
}

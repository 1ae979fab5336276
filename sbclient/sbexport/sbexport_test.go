package sbexport

import (
	"bytes"
	"compress/gzip"
	"encoding/base64"
	"encoding/json"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sample() Document {
	doc := NewDocument(Meta{Name: "Test", Author: "me", Version: "1"})
	doc.Data.Actions = []Action{NewAction("G", "Say hi",
		Comment("hello <&> world", "#ff0000"),
		RunProgram(Program{Command: `C:\bin\tool.exe`, Arguments: "--x %user%", WorkingDir: `C:\bin`}),
		ExecuteCSharp(CSharp{Name: "code", Source: "public class CPHInline { public bool Execute() { return true; } }"}),
	)}
	return doc
}

// blob builds an import string from raw parts, as third-party tools do.
func blob(t *testing.T, magic string, js []byte) string {
	t.Helper()
	var buf bytes.Buffer
	buf.WriteString(magic)
	zw := gzip.NewWriter(&buf)
	zw.Write(js)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(buf.Bytes())
}

func TestRoundTrip(t *testing.T) {
	doc := sample()
	s, err := Encode(doc)
	if err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(s, " \n\r") || len(s)%4 != 0 {
		t.Fatalf("not padded base64 without breaks: %q", s)
	}
	raw, _ := base64.StdEncoding.DecodeString(s)
	if string(raw[:4]) != "SBAE" || raw[4] != 0x1f || raw[5] != 0x8b {
		t.Fatalf("want SBAE + gzip, got % x", raw[:6])
	}
	s2, _ := Encode(doc)
	if s != s2 {
		t.Error("Encode is not deterministic")
	}
	magic, js, err := Decode(s)
	if err != nil || magic != MagicSBAE {
		t.Fatalf("Decode: %q %v", magic, err)
	}
	if !bytes.Contains(js, []byte(`"value":"hello <&> world"`)) {
		t.Errorf("HTML escaped or value missing: %s", js)
	}
	back, err := DecodeDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	again, _ := Encode(back)
	if again != s {
		t.Errorf("decode+encode changed the document:\n%s", js)
	}
	if back.Version != 23 || back.ExportedFrom != "1.0.0" {
		t.Errorf("version fields: %+v", back)
	}
	src, err := back.Data.Actions[0].SubActions[2].CSharpSource()
	if err != nil || !strings.Contains(src, "CPHInline") {
		t.Errorf("CSharpSource = %q, %v", src, err)
	}
	if _, err := back.Data.Actions[0].SubActions[0].CSharpSource(); err == nil {
		t.Error("CSharpSource of a comment succeeded")
	}
}

// TestShape checks the JSON against spec section 8.3's 1.0 shapes.
func TestShape(t *testing.T) {
	s, _ := Encode(sample())
	_, js, _ := Decode(s)
	var doc map[string]any
	if err := json.Unmarshal(js, &doc); err != nil {
		t.Fatal(err)
	}
	data := doc["data"].(map[string]any)
	for _, k := range []string{"actions", "queues", "commands", "websocketServers", "websocketClients", "timers"} {
		if _, ok := data[k].([]any); !ok {
			t.Errorf("data.%s = %#v, want a list", k, data[k])
		}
	}
	act := data["actions"].([]any)[0].(map[string]any)
	wantAction := []string{"id", "queue", "enabled", "excludeFromHistory", "excludeFromPending", "name", "group",
		"alwaysRun", "randomAction", "concurrent", "triggers", "subActions", "collapsedGroups"}
	if len(act) != len(wantAction) {
		t.Errorf("action has %d members, want %d: %v", len(act), len(wantAction), act)
	}
	for _, k := range wantAction {
		if _, ok := act[k]; !ok {
			t.Errorf("action lacks %q", k)
		}
	}
	if act["queue"] != NoQueue {
		t.Errorf("queue = %v", act["queue"])
	}
	subs := act["subActions"].([]any)
	wantType := []float64{TypeComment, TypeRunProgram, TypeExecuteCSharp}
	wantFields := [][]string{
		{"value", "color"},
		{"command", "arguments", "workingDir", "envVars", "waitForExit"},
		{"name", "description", "references", "byteCode", "precompile", "delayStart", "saveResultToVariable", "saveToVariable"},
	}
	for i, x := range subs {
		sub := x.(map[string]any)
		if sub["type"] != wantType[i] || sub["index"] != float64(i) || sub["enabled"] != true || sub["parentId"] != nil {
			t.Errorf("sub-action %d: %v", i, sub)
		}
		for _, k := range append([]string{"id", "weight", "type", "parentId", "enabled", "index"}, wantFields[i]...) {
			if _, ok := sub[k]; !ok {
				t.Errorf("sub-action %d lacks %q", i, k)
			}
		}
	}
	if env, ok := subs[1].(map[string]any)["envVars"].(map[string]any); !ok || len(env) != 0 {
		t.Errorf("envVars = %#v, want {}", subs[1].(map[string]any)["envVars"])
	}
}

func TestIDs(t *testing.T) {
	a := NewAction("G", "A", Comment("x", ""), Comment("y", ""))
	b := NewAction("G", "A", Comment("x", ""), Comment("y", ""))
	if !reflect.DeepEqual(a, b) {
		t.Error("NewAction is not deterministic")
	}
	seen := map[string]bool{a.ID: true}
	for _, s := range a.SubActions {
		if seen[s.ID] {
			t.Errorf("duplicate id %s", s.ID)
		}
		seen[s.ID] = true
	}
	if NewAction("G", "B").ID == a.ID || NewAction("H", "A").ID == a.ID {
		t.Error("different names share an id")
	}
	if got := ID("x"); len(got) != 36 || got[14] != '5' {
		t.Errorf("ID = %s, want a version-5 UUID", got)
	}
}

func TestDecodeTolerant(t *testing.T) {
	js := []byte(`{"version":1,"name":"old","actions":[],"queues":[]}`)
	s := blob(t, "NS4E", js)
	wrapped := s[:10] + "\r\n" + s[10:20] + " " + s[20:]
	for name, in := range map[string]string{
		"plain":      s,
		"bom":        "\uFEFF" + s,
		"spaces":     "  \n\t" + s + "\r\n ",
		"bom+spaces": "\uFEFF \n" + s + "\n",
		"wrapped":    wrapped,
		"unpadded":   strings.TrimRight(s, "="),
	} {
		magic, got, err := Decode(in)
		if err != nil || magic != MagicNS4E || !bytes.Equal(got, js) {
			t.Errorf("%s: Decode = %q, %s, %v", name, magic, got, err)
		}
	}
}

func TestDecodeErrors(t *testing.T) {
	tests := map[string]string{
		"empty":     "",
		"space":     " \n ",
		"not b64":   "SBAE!!!",
		"short":     base64.StdEncoding.EncodeToString([]byte("SB")),
		"magic":     blob(t, "ABCD", []byte(`{}`)),
		"no gzip":   base64.StdEncoding.EncodeToString([]byte("SBAEnot gzip at all")),
		"not json":  blob(t, "SBAE", []byte(`{"a":`)),
		"truncated": base64.StdEncoding.EncodeToString(mustRaw(t, blob(t, "SBAE", bytes.Repeat([]byte(`{"a":1}`), 1)))[:12]),
	}
	for name, in := range tests {
		if _, _, err := Decode(in); !errors.Is(err, ErrFormat) {
			t.Errorf("%s: err = %v, want ErrFormat", name, err)
		}
	}
	if _, err := DecodeDocument(blob(t, "SBAE", []byte(`[1]`))); err == nil {
		t.Error("DecodeDocument accepted a list")
	}
}

func mustRaw(t *testing.T, s string) []byte {
	t.Helper()
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestSubActionUnmarshal(t *testing.T) {
	in := `{"url":"https://x","headers":{},"id":"i","weight":0.0,"type":1007,"parentId":"p","enabled":false,"index":3}`
	var s SubAction
	if err := json.Unmarshal([]byte(in), &s); err != nil {
		t.Fatal(err)
	}
	if s.ID != "i" || s.Type != 1007 || s.ParentID == nil || *s.ParentID != "p" || s.Enabled || s.Index != 3 ||
		s.String("url") != "https://x" || len(s.Fields) != 2 {
		t.Errorf("got %+v", s)
	}
	var tr Trigger
	if err := json.Unmarshal([]byte(`{"commandId":"c","id":"t","type":401,"enabled":true,"exclusions":[]}`), &tr); err != nil {
		t.Fatal(err)
	}
	if tr.Type != 401 || tr.Fields["commandId"] != "c" || !tr.Enabled {
		t.Errorf("got %+v", tr)
	}
	out, _ := json.Marshal(tr)
	if string(out) != `{"commandId":"c","id":"t","type":401,"enabled":true,"exclusions":[]}` {
		t.Errorf("trigger JSON %s", out)
	}
	for _, bad := range []string{`null`, `[]`, `{"type":"x"}`, `{"a":}`} {
		if err := json.Unmarshal([]byte(bad), &s); err == nil {
			t.Errorf("SubAction accepted %s", bad)
		}
	}
}

func FuzzDecode(f *testing.F) {
	good, _ := Encode(sample())
	f.Add(good)
	f.Add("\uFEFF" + good + "\n")
	f.Add("")
	f.Add("U0JBRQ==")
	f.Fuzz(func(t *testing.T, s string) {
		magic, js, err := Decode(s)
		if err != nil {
			if !errors.Is(err, ErrFormat) {
				t.Fatalf("error %v does not wrap ErrFormat", err)
			}
			return
		}
		if magic != MagicSBAE && magic != MagicNS4E || !json.Valid(js) {
			t.Fatalf("Decode accepted %q: magic %q", s, magic)
		}
		var doc Document
		if json.Unmarshal(js, &doc) == nil {
			if _, err := Encode(doc); err != nil {
				t.Fatalf("Encode of a decoded document: %v", err)
			}
		}
	})
}

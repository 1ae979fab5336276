package actions

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/picarto-bridge/picarto-bridge/sbclient/sbexport"
)

var update = flag.Bool("update", false, "rewrite testdata/import.golden.json")

var goldenOpts = ImportOptions{
	BridgePath: `C:\Tools\picarto-bridge\picarto-bridge.exe`,
	WorkingDir: `C:\Tools\picarto-bridge`,
	Version:    "1.2.3",
}

// decodeImport turns the import string back into the document, as
// Streamer.bot's Import dialog would.
func decodeImport(t *testing.T, opts ImportOptions) (sbexport.Document, []byte) {
	t.Helper()
	s, err := ImportString(opts)
	if err != nil {
		t.Fatal(err)
	}
	magic, js, err := sbexport.Decode(s)
	if err != nil || magic != "SBAE" {
		t.Fatalf("Decode: %q, %v", magic, err)
	}
	doc, err := sbexport.DecodeDocument(s)
	if err != nil {
		t.Fatal(err)
	}
	return doc, js
}

func TestImportGolden(t *testing.T) {
	_, js := decodeImport(t, goldenOpts)
	var pretty bytes.Buffer
	if err := json.Indent(&pretty, js, "", "  "); err != nil {
		t.Fatal(err)
	}
	pretty.WriteByte('\n')
	path := filepath.Join("testdata", "import.golden.json")
	if *update {
		if err := os.WriteFile(path, pretty.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./actions -update to create it)", err)
	}
	if !bytes.Equal(pretty.Bytes(), want) {
		t.Errorf("import document differs from %s; if intended, run go test ./actions -update", path)
	}
}

func TestImportDocument(t *testing.T) {
	doc, js := decodeImport(t, goldenOpts)
	if doc.Version != 23 || doc.ExportedFrom != "1.0.0" || doc.MinimumVersion == "" || doc.Meta.Version != "1.2.3" {
		t.Errorf("document fields: version %d, from %q, min %q, meta %+v", doc.Version, doc.ExportedFrom, doc.MinimumVersion, doc.Meta)
	}
	// 1.0 documents keep sub-actions under "subActions", never "actions".
	var raw struct {
		Data struct {
			Actions []map[string]json.RawMessage `json:"actions"`
		} `json:"data"`
	}
	if err := json.Unmarshal(js, &raw); err != nil {
		t.Fatal(err)
	}
	for _, a := range raw.Data.Actions {
		if _, ok := a["actions"]; ok {
			t.Errorf("action %s has a 0.2 \"actions\" member", a["name"])
		}
		if _, ok := a["subActions"]; !ok {
			t.Errorf("action %s lacks subActions", a["name"])
		}
	}

	byName := map[string]sbexport.Action{}
	ids := map[string]bool{}
	for _, a := range doc.Data.Actions {
		if _, dup := byName[a.Name]; dup {
			t.Errorf("duplicate action %q", a.Name)
		}
		byName[a.Name] = a
		if a.Group != "Picarto" || !a.Enabled || len(a.Triggers) != 0 {
			t.Errorf("%s: group %q, enabled %v, %d triggers", a.Name, a.Group, a.Enabled, len(a.Triggers))
		}
		for _, id := range append([]string{a.ID}, subIDs(a)...) {
			if ids[id] || len(id) != 36 {
				t.Errorf("%s: bad or duplicate id %q", a.Name, id)
			}
			ids[id] = true
		}
		for i, s := range a.SubActions {
			if s.Index != i || !s.Enabled || s.ParentID != nil {
				t.Errorf("%s: sub-action %d: %+v", a.Name, i, s)
			}
		}
	}

	want := []string{SetGlobalAction}
	for _, k := range AllKinds() {
		want = append(want, ActionName(k))
	}
	want = append(want, BridgeStartAction, BridgeRestartAction, BridgeStopAction, SendChatAction,
		RegisterWebhooksAction, RegisterTriggersAction)
	if len(byName) != len(want) {
		t.Errorf("%d actions, want %d", len(byName), len(want))
	}

	csharpOf := map[string]string{
		SetGlobalAction: CSharpSetGlobal, BridgeRestartAction: CSharpBridgeRestart, BridgeStopAction: CSharpBridgeStop,
		SendChatAction: CSharpSendChat, RegisterWebhooksAction: CSharpRegisterWebhooks, RegisterTriggersAction: CSharpRegisterTriggers,
	}
	for _, name := range want {
		a, ok := byName[name]
		if !ok {
			t.Errorf("action %q missing", name)
			continue
		}
		if script, ok := csharpOf[name]; ok {
			code := lastOfType(a, sbexport.TypeExecuteCSharp)
			if code == nil {
				t.Errorf("%s: no Execute C# Code sub-action", name)
				continue
			}
			src, err := code.CSharpSource()
			if err != nil || src != mustCSharp(script) {
				t.Errorf("%s: byteCode does not decode to %s (%v)", name, script, err)
			}
			refs, _ := code.Fields["references"].([]any)
			if len(refs) == 0 || code.Fields["precompile"] != false || code.Fields["saveToVariable"] != "" {
				t.Errorf("%s: C# fields %v", name, code.Fields)
			}
		}
		if k, ok := KindForAction(name); ok {
			if len(a.SubActions) != 1 || a.SubActions[0].Type != sbexport.TypeComment {
				t.Errorf("%s: want exactly one comment, got %+v", name, a.SubActions)
				continue
			}
			text := a.SubActions[0].String("value")
			for _, arg := range ArgNames(k) {
				if !strings.Contains(text, "%"+arg+"%") {
					t.Errorf("%s: comment does not list %s:\n%s", name, arg, text)
				}
			}
			if !strings.Contains(text, "Custom > Picarto > "+TriggerDisplayName(k)) {
				t.Errorf("%s: comment does not name the trigger:\n%s", name, text)
			}
		}
	}

	set := byName[SetGlobalAction]
	if !set.ExcludeFromHistory || len(doc.Data.Queues) != 1 || set.Queue != doc.Data.Queues[0].ID || !doc.Data.Queues[0].Blocking {
		t.Errorf("set global: history %v, queue %q, queues %+v", set.ExcludeFromHistory, set.Queue, doc.Data.Queues)
	}
	for name, a := range byName {
		if name != SetGlobalAction && a.Queue != sbexport.NoQueue {
			t.Errorf("%s: queue %q", name, a.Queue)
		}
	}

	start := byName[BridgeStartAction]
	run := lastOfType(start, sbexport.TypeRunProgram)
	if run == nil || run.String("command") != goldenOpts.BridgePath || run.String("workingDir") != goldenOpts.WorkingDir {
		t.Fatalf("start: %+v", start.SubActions)
	}
	if c := start.SubActions[0]; c.Type != sbexport.TypeComment || !strings.Contains(c.String("value"), "Streamer.bot Started") {
		t.Errorf("start: first sub-action should tell the user to add the Streamer.bot Started trigger: %+v", c)
	}
}

func TestImportDefaults(t *testing.T) {
	doc, _ := decodeImport(t, ImportOptions{})
	for _, a := range doc.Data.Actions {
		if a.Name == BridgeStartAction {
			if run := lastOfType(a, sbexport.TypeRunProgram); run == nil || run.String("command") != DefaultBridgePath {
				t.Errorf("default command: %+v", a.SubActions)
			}
		}
	}
	// Ids depend on names only, so a re-import with other paths updates the same actions.
	other := BuildImport(goldenOpts)
	if slices.CompareFunc(doc.Data.Actions, other.Data.Actions, func(a, b sbexport.Action) int {
		return strings.Compare(a.ID, b.ID)
	}) != 0 {
		t.Error("action ids depend on the options")
	}
}

func subIDs(a sbexport.Action) []string {
	var out []string
	for _, s := range a.SubActions {
		out = append(out, s.ID)
	}
	return out
}

func lastOfType(a sbexport.Action, typ int) *sbexport.SubAction {
	for i := len(a.SubActions) - 1; i >= 0; i-- {
		if a.SubActions[i].Type == typ {
			return &a.SubActions[i]
		}
	}
	return nil
}

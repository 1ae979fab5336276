package actions

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"
)

// This file compiles every embedded C# script with Mono's C# compiler (Debian
// package mono-mcs) against testdata/cph_stub.cs, a stub of Streamer.bot's
// CPH interface, and runs them with mono (mono-runtime) through
// testdata/harness.cs to check what they do.
//
// Streamer.bot scripts declare "public class CPHInline" and Streamer.bot
// supplies its CPH member. C# cannot add a member to a class from outside, so
// the test rewrites that one line to "public class CPHInline : CPHBase"
// (CPHBase comes from the stub) in a temporary copy; the embedded scripts stay
// exactly what a streamer pastes.

// requireTool finds a program, failing under CI (where .ci/run installs it)
// and skipping elsewhere.
func requireTool(t *testing.T, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	msg := name + " not found; install it with: apt-get install -y " + pkg
	if os.Getenv("CI") != "" {
		t.Fatal(msg + " (CI is set, so this test may not skip)")
	}
	t.Skip(msg)
	return ""
}

var cphInlineDecl = regexp.MustCompile(`(?m)^public class CPHInline[ \t]*\r?$`)

func TestCSharp(t *testing.T) {
	mcs := requireTool(t, "mcs", "mono-mcs")
	dir := t.TempDir()
	exes := map[string]string{}
	for _, name := range CSharpScripts() {
		t.Run("compile/"+name, func(t *testing.T) {
			src := mustCSharp(name)
			if n := len(cphInlineDecl.FindAllStringIndex(src, -1)); n != 1 {
				t.Fatalf("want exactly one line \"public class CPHInline\", found %d", n)
			}
			if !strings.Contains(src, "public bool Execute()") {
				t.Fatal("no public bool Execute()")
			}
			rewritten := cphInlineDecl.ReplaceAllString(src, "public class CPHInline : CPHBase")
			script := filepath.Join(dir, name)
			if err := os.WriteFile(script, []byte(rewritten), 0o644); err != nil {
				t.Fatal(err)
			}
			exe := strings.TrimSuffix(script, ".cs") + ".exe"
			// C# 5 and no warnings: the scripts must build with any compiler
			// Streamer.bot has shipped.
			cmd := exec.CommandContext(testContext(t), mcs, "-nologo", "-langversion:5", "-warn:4", "-warnaserror",
				"-target:exe", "-out:"+exe, script,
				filepath.Join("testdata", "cph_stub.cs"), filepath.Join("testdata", "harness.cs"))
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("mcs %s: %v\n%s", name, err, out)
			}
			exes[name] = exe
		})
	}
	if t.Failed() {
		return
	}
	mono := requireTool(t, "mono", "mono-runtime")
	run := func(t *testing.T, script string, scenarios ...[]string) []scriptRun {
		return runScript(t, mono, exes[script], scenarios)
	}

	t.Run("SetGlobal", func(t *testing.T) { testSetGlobal(t, run) })
	t.Run("SendChat", func(t *testing.T) { testSendChat(t, run) })
	t.Run("Commands", func(t *testing.T) {
		for script, cmd := range map[string]string{
			CSharpBridgeRestart: CommandRestart, CSharpBridgeStop: CommandStop, CSharpRegisterWebhooks: CommandRegisterWebhooks,
		} {
			r := run(t, script, nil)[0]
			want := map[string]any{CommandKey: cmd}
			if !r.result || len(r.calls) != 1 || r.calls[0].method != "WebsocketBroadcastJson" ||
				!reflect.DeepEqual(decodeJSON(t, r.calls[0].args[0].text), want) {
				t.Errorf("%s: %+v, want one broadcast of %v", script, r, want)
			}
		}
	})
	t.Run("RegisterTriggers", func(t *testing.T) {
		r := run(t, CSharpRegisterTriggers, nil)[0]
		var got [][3]string
		for _, c := range r.calls {
			if c.method == "RegisterCustomTrigger" {
				got = append(got, [3]string{c.args[0].text, c.args[1].text, c.args[2].text})
			}
		}
		var want [][3]string
		for _, k := range AllKinds() {
			want = append(want, [3]string{TriggerDisplayName(k), TriggerEventName(k), TriggerCategory})
		}
		if !r.result || !reflect.DeepEqual(got, want) {
			t.Errorf("registered %v (result %v)\nwant %v", got, r.result, want)
		}
	})
}

func testSetGlobal(t *testing.T, run func(*testing.T, string, ...[]string) []scriptRun) {
	tests := []struct {
		args                 []string
		typ, value, persists string // "" typ: no SetGlobalVar call
	}{
		{[]string{"name=g", "value=True", "persisted=false"}, "System.Boolean", "True", "False"},
		{[]string{"name=g", "value=false"}, "System.Boolean", "False", "True"},
		{[]string{"name=g", "value= TRUE ", "persisted=true"}, "System.Boolean", "True", "True"},
		{[]string{"name=g", "value=9005", "persisted=FALSE"}, "System.Int32", "9005", "False"},
		{[]string{"name=g", "value=-42"}, "System.Int32", "-42", "True"},
		{[]string{"name=g", "value=12345678901"}, "System.Int64", "12345678901", "True"},
		{[]string{"name=g", "value=abc"}, "System.String", "abc", "True"},
		{[]string{"name=g", "value="}, "System.String", "", "True"},
		{[]string{"name=g"}, "System.String", "", "True"},
		{[]string{"name=g", "value=007"}, "System.String", "007", "True"},
		{[]string{"name=g", "value=9005.0"}, "System.String", "9005.0", "True"},
		{[]string{"name=g", "value=99999999999999999999"}, "System.String", "99999999999999999999", "True"},
		{[]string{"value=True"}, "", "", ""},
		{[]string{"name=", "value=1"}, "", "", ""},
	}
	var scenarios [][]string
	for _, tt := range tests {
		scenarios = append(scenarios, tt.args)
	}
	// What the bridge sends: SetGlobalArgs of typical values.
	fromGo := []struct {
		value any
		typ   string
	}{{true, "System.Boolean"}, {false, "System.Boolean"}, {9005, "System.Int32"}, {int64(1) << 40, "System.Int64"},
		{"alice", "System.String"}, {"degraded: chat token rejected", "System.String"}}
	for _, v := range fromGo {
		var args []string
		for k, s := range SetGlobalArgs("picartoX", v.value, false) {
			args = append(args, k+"="+s.(string))
		}
		scenarios = append(scenarios, args)
	}
	runs := run(t, CSharpSetGlobal, scenarios...)
	for i, tt := range tests {
		r := runs[i]
		calls := r.method("SetGlobalVar")
		if tt.typ == "" {
			if r.result || len(calls) != 0 {
				t.Errorf("%v: want no SetGlobalVar and false, got %+v", tt.args, r)
			}
			continue
		}
		want := []scriptArg{{"System.String", "g"}, {tt.typ, tt.value}, {"System.Boolean", tt.persists}}
		if !r.result || len(calls) != 1 || !reflect.DeepEqual(calls[0].args, want) {
			t.Errorf("%v: got %+v, want SetGlobalVar%v", tt.args, r, want)
		}
	}
	for i, v := range fromGo {
		r := runs[len(tests)+i]
		want := []scriptArg{{"System.String", "picartoX"}, {v.typ, FormatValue(v.value)}, {"System.Boolean", "False"}}
		if calls := r.method("SetGlobalVar"); len(calls) != 1 || !reflect.DeepEqual(calls[0].args, want) {
			t.Errorf("SetGlobalArgs(%v): got %+v, want %v", v.value, r, want)
		}
	}
}

func testSendChat(t *testing.T, run func(*testing.T, string, ...[]string) []scriptRun) {
	texts := []string{"hello", `quote " back \ slash`, "line\nbreak\ttab\r", "ctrl \x01\x1f", "é ü 日本 🎨",
		"\u2028\u2029", "</script>&"}
	var scenarios [][]string
	for _, s := range texts {
		scenarios = append(scenarios, []string{"message=" + s})
	}
	scenarios = append(scenarios, []string{"rawInput=from a command"}, []string{"message=", "rawInput=fallback"}, nil)
	runs := run(t, CSharpSendChat, scenarios...)
	want := append(texts, "from a command", "fallback")
	for i, text := range want {
		b := runs[i].method("WebsocketBroadcastJson")
		if !runs[i].result || len(b) != 1 {
			t.Errorf("%q: %+v", text, runs[i])
			continue
		}
		got := decodeJSON(t, b[0].args[0].text)
		if !reflect.DeepEqual(got, map[string]any{CommandKey: CommandChat, "message": text}) {
			t.Errorf("%q: broadcast %s", text, b[0].args[0].text)
		}
	}
	if last := runs[len(runs)-1]; last.result || len(last.method("WebsocketBroadcastJson")) != 0 {
		t.Errorf("no message: %+v", last)
	}
}

type scriptArg struct{ typ, text string }

type scriptCall struct {
	method string
	args   []scriptArg
}

type scriptRun struct {
	calls  []scriptCall
	result bool
}

func (r scriptRun) method(name string) []scriptCall {
	var out []scriptCall
	for _, c := range r.calls {
		if c.method == name {
			out = append(out, c)
		}
	}
	return out
}

// runScript runs a compiled script once per scenario (name=value arguments)
// and parses the harness output.
func runScript(t *testing.T, mono, exe string, scenarios [][]string) []scriptRun {
	t.Helper()
	var argv []string
	for i, s := range scenarios {
		if i > 0 {
			argv = append(argv, "--")
		}
		argv = append(argv, s...)
	}
	cmd := exec.CommandContext(testContext(t), mono, append([]string{exe}, argv...)...)
	cmd.Env = append(os.Environ(), "LANG=C.UTF-8", "LC_ALL=C.UTF-8")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("mono %s: %v\n%s", filepath.Base(exe), err, out)
	}
	var runs []scriptRun
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "RUN "):
			runs = append(runs, scriptRun{})
		case strings.HasPrefix(line, "RESULT "):
			runs[len(runs)-1].result = line == "RESULT True"
		default:
			fields := strings.Split(line, "\t")
			c := scriptCall{method: fields[0]}
			for _, f := range fields[1:] {
				typ, b64, _ := strings.Cut(f, ":")
				text, err := base64.StdEncoding.DecodeString(b64)
				if err != nil {
					t.Fatalf("harness line %q: %v", line, err)
				}
				c.args = append(c.args, scriptArg{typ, string(text)})
			}
			runs[len(runs)-1].calls = append(runs[len(runs)-1].calls, c)
		}
	}
	if len(runs) != len(scenarios) {
		t.Fatalf("harness ran %d scenarios, want %d:\n%s", len(runs), len(scenarios), out)
	}
	return runs
}

func decodeJSON(t *testing.T, s string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		t.Errorf("not a JSON object: %q: %v", s, err)
	}
	return m
}

// testContext ends a little before the test's deadline (or after 2 minutes).
func testContext(t *testing.T) context.Context {
	deadline := time.Now().Add(2 * time.Minute)
	if d, ok := t.Deadline(); ok && d.Add(-5*time.Second).Before(deadline) {
		deadline = d.Add(-5 * time.Second)
	}
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	t.Cleanup(cancel)
	return ctx
}

package sbtest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

// The official client (@streamerbot/client, pinned in conformance/package.json)
// run against the fake: the fake must speak the protocol the way the client
// Streamer.bot's authors wrote expects (spec section 12). CI installs the
// packages with `npm ci --prefix sbclient/sbtest/conformance`.

const (
	confPassword  = "conformance-pw"
	confAction    = "a1"
	confSetGlobal = "Picarto Set Global"
)

type confRun struct {
	main, enforce *sbtest.Server
	output        string
	err           error
}

func runConformance(t *testing.T, opts sbtest.Options) confRun {
	t.Helper()
	if _, err := os.Stat(filepath.Join("conformance", "node_modules", "@streamerbot", "client", "package.json")); err != nil {
		t.Fatalf("the official client is not installed (%v): run `npm ci --prefix sbclient/sbtest/conformance` from the repository root", err)
	}
	node, err := exec.LookPath("node")
	if err != nil {
		t.Fatalf("node (>= 18) is required for the conformance test: %v", err)
	}
	opts.Password = confPassword
	main := newServer(t, opts)
	main.AddAction(confAction)
	main.AddSetGlobalAction(confSetGlobal)
	main.SetGlobal("greeting", "hello", true)
	enforce := newServer(t, sbtest.Options{Password: confPassword, Enforce: true})
	ctl := httptest.NewServer(controlHandler(t, map[string]*sbtest.Server{"main": main, "enforce": enforce}))
	t.Cleanup(ctl.Close)

	cfg, _ := json.Marshal(map[string]any{
		"port": port(t, main), "enforcePort": port(t, enforce), "password": confPassword,
		"control": ctl.URL, "instanceId": main.InstanceID(), "version": main.Version(),
		"action": confAction, "setGlobalAction": confSetGlobal,
	})
	ctx, cancel := context.WithTimeout(t.Context(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, node, "conformance.mjs", string(cfg))
	cmd.Dir = "conformance"
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err = cmd.Run()
	return confRun{main: main, enforce: enforce, output: out.String(), err: err}
}

func port(t *testing.T, s *sbtest.Server) int {
	_, p, err := net.SplitHostPort(s.Addr())
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return n
}

// controlHandler lets the Node script drive the fakes and read their logs.
func controlHandler(t *testing.T, servers map[string]*sbtest.Server) http.Handler {
	mux := http.NewServeMux()
	read := func(r *http.Request, v any) bool { return json.NewDecoder(r.Body).Decode(v) == nil }
	ok := func(w http.ResponseWriter) { _, _ = w.Write([]byte(`{}`)) }
	mux.HandleFunc("POST /broadcast", func(w http.ResponseWriter, r *http.Request) {
		var data json.RawMessage
		if !read(r, &data) {
			http.Error(w, "bad body", 400)
			return
		}
		servers["main"].Broadcast(data)
		ok(w)
	})
	mux.HandleFunc("POST /set-global", func(w http.ResponseWriter, r *http.Request) {
		var g struct {
			Name      string
			Value     any
			Persisted bool
		}
		if !read(r, &g) {
			http.Error(w, "bad body", 400)
			return
		}
		servers["main"].SetGlobal(g.Name, g.Value, g.Persisted)
		ok(w)
	})
	mux.HandleFunc("POST /drop", func(w http.ResponseWriter, r *http.Request) {
		servers["main"].DropAll()
		ok(w)
	})
	mux.HandleFunc("GET /requests", func(w http.ResponseWriter, r *http.Request) {
		s := servers[r.URL.Query().Get("server")]
		if s == nil {
			http.NotFound(w, r)
			return
		}
		type entry struct {
			Conn    int             `json:"conn"`
			Request string          `json:"request"`
			ID      string          `json:"id"`
			Raw     json.RawMessage `json:"raw"`
		}
		list := []entry{}
		for _, q := range s.Requests() {
			list = append(list, entry{q.Conn, q.Request, q.ID, q.Raw})
		}
		_ = json.NewEncoder(w).Encode(list)
	})
	return mux
}

func TestConformanceOfficialClient(t *testing.T) {
	t.Parallel()
	run := runConformance(t, sbtest.Options{})
	t.Logf("node conformance.mjs:\n%s", run.output)
	if run.err != nil {
		t.Fatalf("the official client disagrees with the fake: %v", run.err)
	}
	if !strings.Contains(run.output, "all steps passed") {
		t.Fatal("script exited 0 without passing every step")
	}

	// The fake's own log, from the Go side.
	reqs := run.main.Requests()
	byConn := map[int][]string{}
	for _, r := range reqs {
		byConn[r.Conn] = append(byConn[r.Conn], r.Request)
	}
	if first := byConn[reqs[0].Conn]; first[0] != "Authenticate" || slices.Contains(first, "GetInfo") {
		t.Errorf("first connection sent %v, want Authenticate first and no GetInfo", first)
	}
	var subscribes []string
	for _, r := range reqs {
		if r.Request == "Subscribe" {
			var body struct{ Events map[string][]string }
			_ = json.Unmarshal(r.Raw, &body)
			b, _ := json.Marshal(body.Events)
			subscribes = append(subscribes, strconv.Itoa(r.Conn)+" "+string(b))
		}
	}
	if n := len(subscribes); n < 2 || subscribes[n-1][strings.IndexByte(subscribes[n-1], ' '):] != subscribes[n-2][strings.IndexByte(subscribes[n-2], ' '):] {
		t.Errorf("no identical fresh Subscribe after the reconnect: %v", subscribes)
	}
	if runs := run.main.ActionRuns(); len(runs) < 2 || runs[0].Name != confSetGlobal {
		t.Errorf("action runs %+v", runs)
	}
	if v, _ := run.main.Global("conformanceX", true); v != 1.0 {
		t.Errorf("helper stored %#v, want 1", v)
	}
	enf := run.enforce.Requests()
	if len(enf) == 0 || enf[0].Request != "GetInfo" || run.enforce.Conns() != 0 {
		t.Errorf("enforce server: requests %+v, open conns %d; want GetInfo then closed", enf, run.enforce.Conns())
	}
}

// TestConformanceCatchesDrift proves the conformance test fails when the
// fake drifts from the real protocol: without "variables" in the GetGlobal
// reply the official client's getGlobal throws.
func TestConformanceCatchesDrift(t *testing.T) {
	t.Parallel()
	run := runConformance(t, sbtest.Options{OmitGetGlobalVariables: true})
	t.Logf("node conformance.mjs (drifted fake):\n%s", run.output)
	if run.err == nil {
		t.Fatal("the conformance script passed against a fake that omits GetGlobal's variables")
	}
	if !strings.Contains(run.output, "FAIL 7 getGlobals / getGlobal") {
		t.Fatalf("failed, but not at the getGlobal step")
	}
	if strings.Count(run.output, "FAIL") != 1 {
		t.Fatalf("want exactly the getGlobal step to fail")
	}
}

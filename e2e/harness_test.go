// Package e2e runs the built picarto-bridge binary, as a separate process,
// against the fake Streamer.bot (sbtest) and the fake Picarto (picartotest),
// and checks the contract (shared/contract.md sections 1 to 8) from outside:
// what Streamer.bot receives, what Picarto is asked, exit codes and output.
package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "picarto-bridge-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "picarto-bridge")
	build := exec.Command("go", "build", "-race", "-o", binary, "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build failed:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// Fixture values. The secrets are distinctive so a leak is easy to find.
const (
	channelID    = 7001
	channelName  = "TestArtist"
	bearer       = "bearer-SECRET-7f3a9c"
	chatToken    = "chat-SECRET-51d2e8"
	clientID     = "e2e-client"
	clientSecret = "client-SECRET-9b7e44"
	sbPassword   = "sbpass-SECRET-4c1f0a"
)

var secrets = []string{bearer, chatToken, clientSecret, sbPassword}

// env is one test's world: fakes, a data directory, a port.
type env struct {
	t       *testing.T
	sb      *sbtest.Server
	api     *picartotest.API
	chat    *picartotest.ChatServer
	alerts  *picartotest.AlertsServer
	dataDir string
	port    int
	extra   map[string]string
}

type envOptions struct {
	sbPassword string
	noGlobals  bool
	noActions  bool
}

func newEnv(t *testing.T, o envOptions) *env {
	t.Helper()
	sb, err := sbtest.New(sbtest.Options{Password: o.sbPassword})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	api, err := picartotest.NewAPI(picartotest.APIOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	chat, err := picartotest.NewChatServer(picartotest.ChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(chat.Close)

	alerts, err := picartotest.NewAlertsServer(picartotest.AlertsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { alerts.Close() })
	alerts.AddChannel(channelID, channelName)

	api.AddChannel(picartotest.Channel{ID: channelID, Name: channelName})
	api.AddToken(bearer, channelID, "readpub", "readpriv", "write")
	api.AddApp(clientID, clientSecret, "http://localhost/oauth/callback")
	chat.AddBot(strings.ToLower(channelName), chatToken, channelID, channelName)

	sb.AddSetGlobalAction(actions.SetGlobalAction)
	if !o.noActions {
		for _, k := range actions.AllKinds() {
			sb.AddAction(actions.ActionName(k))
		}
	}
	if !o.noGlobals {
		sb.SetGlobal(actions.GlobalChannelName, channelName, true)
		sb.SetGlobal(actions.GlobalBearer, bearer, true)
		sb.SetGlobal(actions.GlobalClientID, clientID, true)
		sb.SetGlobal(actions.GlobalClientToken, clientSecret, true)
	}
	return &env{t: t, sb: sb, api: api, chat: chat, alerts: alerts, dataDir: t.TempDir(), port: freePort(t), extra: map[string]string{}}
}

func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// proc is one running bridge process.
type proc struct {
	cmd    *exec.Cmd
	mu     sync.Mutex
	out    bytes.Buffer
	done   chan struct{}
	exit   int
	waited bool
}

func (p *proc) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.Write(b)
}

func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

func (e *env) environ() []string {
	vars := map[string]string{
		"SB_WS_URL":            e.sb.URL(),
		"PICARTO_API_URL":      e.api.URL(),
		"PICARTO_OAUTH_URL":    e.api.OAuthURL(),
		"PICARTO_CHAT_URL":     e.chat.URL(),
		"PICARTO_INTERNAL_URL": e.alerts.GraphQLURL(),
		"PICARTO_ALERTS_URL":   e.alerts.WidgetURL(),
		"BRIDGE_HOST":          "127.0.0.1",
		"BRIDGE_PORT":          strconv.Itoa(e.port),
		"BRIDGE_DATA_DIR":      e.dataDir,
		"BRIDGE_POLL_INTERVAL": "5s",
		"BRIDGE_LOG_LEVEL":     "debug",
		"HOME":                 e.dataDir,
		"PATH":                 os.Getenv("PATH"),
	}
	for k, v := range e.extra {
		vars[k] = v
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

// start launches the bridge; the test's cleanup stops it.
func (e *env) start(args ...string) *proc {
	e.t.Helper()
	p := &proc{done: make(chan struct{})}
	p.cmd = exec.Command(binary, args...)
	p.cmd.Env = e.environ()
	p.cmd.Dir = e.dataDir
	p.cmd.Stdout, p.cmd.Stderr = p, p
	if err := p.cmd.Start(); err != nil {
		e.t.Fatal(err)
	}
	go func() { // waited for by p.wait and the cleanup below
		err := p.cmd.Wait()
		p.exit = 0
		if ee, ok := err.(*exec.ExitError); ok {
			p.exit = ee.ExitCode()
		}
		close(p.done)
	}()
	e.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			_ = p.cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-p.done:
			case <-time.After(15 * time.Second):
				_ = p.cmd.Process.Kill()
				<-p.done
			}
		}
		out := p.output()
		for _, s := range secrets {
			if strings.Contains(out, s) {
				e.t.Errorf("bridge output contains a secret (%s...)", s[:6])
			}
		}
		if e.t.Failed() {
			e.t.Logf("bridge output:\n%s", out)
		}
	})
	return p
}

// wait returns the exit code, failing the test after d.
func (p *proc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.done:
		return p.exit
	case <-time.After(d):
		t.Fatalf("bridge did not exit within %v", d)
		return -1
	}
}

func (p *proc) kill() {
	_ = p.cmd.Process.Kill()
	<-p.done
}

// waitFor polls cond each time the fake Streamer.bot records a change, until
// it holds or d passes.
func (e *env) waitFor(d time.Duration, what string, cond func() bool) {
	e.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond) // the Picarto fake has no change feed
	defer tick.Stop()
	for {
		changed := e.sb.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			e.t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

// runs returns the action runs named name (all runs when name is empty).
func (e *env) runs(name string) []sbtest.ActionRun {
	var out []sbtest.ActionRun
	for _, r := range e.sb.ActionRuns() {
		if name == "" || r.Name == name {
			out = append(out, r)
		}
	}
	return out
}

func (e *env) waitRuns(name string, n int, d time.Duration) []sbtest.ActionRun {
	e.t.Helper()
	e.waitFor(d, fmt.Sprintf("%d runs of %q", n, name), func() bool { return len(e.runs(name)) >= n })
	return e.runs(name)
}

func (e *env) global(name string) (any, bool) {
	if v, ok := e.sb.Global(name, true); ok {
		return v, true
	}
	return e.sb.Global(name, false)
}

func (e *env) waitGlobal(name string, want any, d time.Duration) {
	e.t.Helper()
	e.waitFor(d, fmt.Sprintf("global %s = %v", name, want), func() bool {
		v, ok := e.global(name)
		return ok && fmt.Sprint(v) == fmt.Sprint(want)
	})
}

// waitPolled waits until the bridge completed a poll cycle that read the
// follower list (the baseline).
func (e *env) waitPolled(n int) {
	e.t.Helper()
	e.waitFor(30*time.Second, "a poll of /user/followers", func() bool {
		c := 0
		for _, r := range e.api.Requests() {
			if strings.Contains(r.Path, "/user/notifications") {
				c++
			}
		}
		return c >= n
	})
}

// healthz returns the status code of GET /healthz.
func (e *env) healthz() int {
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", e.port))
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

func ctxT(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

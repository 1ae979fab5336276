package bridge

import (
	"github.com/picarto-bridge/picarto-bridge/internal/testlog"

	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/config"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

// Fixtures of the doctor, status page, sign-in and report tests. The secrets
// are distinctive so a leak is easy to find.
const (
	wChannelID    = 7101
	wChannel      = "WebArtist"
	wOtherID      = 7102
	wOther        = "SomeoneElse"
	wBearer       = "bearer-SECRET-web-1a2b3c"
	wOtherBearer  = "bearer-SECRET-other-9z8y7x"
	wClientID     = "web-client"
	wClientSecret = "client-SECRET-web-4d5e6f"
	wChatToken    = "chat-SECRET-web-7a8b9c"
	wSBPassword   = "sbpass-SECRET-web-0d1e2f"
)

var wSecrets = []string{wBearer, wOtherBearer, wClientSecret, wChatToken, wSBPassword}

// webWorld is one test's fakes, configuration and (optionally) a running
// bridge, all in this process.
type webWorld struct {
	t    *testing.T
	sb   *sbtest.Server
	api  *picartotest.API
	chat *picartotest.ChatServer
	cfg  config.Config
	port int
	logs *testlog.Buffer
}

type worldOptions struct {
	sbPassword    string        // Streamer.bot's password (also in SB_WS_PASSWORD unless cfgPassword set)
	enforce       bool          // Streamer.bot's "Enforce for all requests"
	cfgPassword   *string       // SB_WS_PASSWORD when it differs from sbPassword
	tokenLifetime time.Duration // expires_in of tokens the fake OAuth issues
	bearer        bool          // set picartoBearer to wBearer
	chatToken     string        // picartoChannelToken
	noHelper      bool          // leave out the Picarto Set Global action
	dropActions   []string      // Process Picarto actions to leave out
	noGlobals     bool          // no picarto* globals at all
	noApp         bool          // no picartoClientID / picartoClientToken
}

func newWebWorld(t *testing.T, o worldOptions) *webWorld {
	t.Helper()
	sb, err := sbtest.New(sbtest.Options{Password: o.sbPassword, Enforce: o.enforce})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { sb.Close() })
	api, err := picartotest.NewAPI(picartotest.APIOptions{TokenLifetime: o.tokenLifetime})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(api.Close)
	chat, err := picartotest.NewChatServer(picartotest.ChatOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(chat.Close)
	port := freeTCPPort(t)

	api.AddChannel(picartotest.Channel{ID: wChannelID, Name: wChannel})
	api.AddChannel(picartotest.Channel{ID: wOtherID, Name: wOther})
	api.SetOAuthUser(wChannelID)
	api.AddToken(wBearer, wChannelID, "readpub", "readpriv", "write")
	api.AddToken(wOtherBearer, wOtherID, "readpub", "readpriv", "write")
	api.AddApp(wClientID, wClientSecret, "http://localhost:"+strconv.Itoa(port)+"/oauth/callback")
	chat.AddBot(strings.ToLower(wChannel), wChatToken, wChannelID, wChannel)

	if !o.noHelper {
		sb.AddSetGlobalAction(actions.SetGlobalAction)
	}
	drop := map[string]bool{}
	for _, n := range o.dropActions {
		drop[n] = true
	}
	for _, k := range actions.AllKinds() {
		if name := actions.ActionName(k); !drop[name] {
			sb.AddAction(name)
		}
	}
	if !o.noGlobals {
		sb.SetGlobal(actions.GlobalChannelName, wChannel, true)
		if !o.noApp {
			sb.SetGlobal(actions.GlobalClientID, wClientID, true)
			sb.SetGlobal(actions.GlobalClientToken, wClientSecret, true)
		}
		if o.bearer {
			sb.SetGlobal(actions.GlobalBearer, wBearer, true)
		}
		if o.chatToken != "" {
			sb.SetGlobal(actions.GlobalChannelToken, o.chatToken, true)
		}
	}
	password := o.sbPassword
	if o.cfgPassword != nil {
		password = *o.cfgPassword
	}
	cfg, err := config.Parse(map[string]string{
		"SB_WS_URL":            sb.URL(),
		"SB_WS_PASSWORD":       password,
		"PICARTO_API_URL":      api.URL(),
		"PICARTO_OAUTH_URL":    api.OAuthURL(),
		"PICARTO_CHAT_URL":     chat.URL(),
		"PICARTO_INTERNAL_URL": "http://127.0.0.1:1/ptvapi",
		"PICARTO_ALERTS_URL":   "ws://127.0.0.1:1/widget/",
		"BRIDGE_HOST":          "127.0.0.1",
		"BRIDGE_PORT":          strconv.Itoa(port),
		"BRIDGE_DATA_DIR":      t.TempDir(),
		"BRIDGE_POLL_INTERVAL": "5s",
	})
	if err != nil {
		t.Fatal(err)
	}
	w := &webWorld{t: t, sb: sb, api: api, chat: chat, cfg: cfg, port: port, logs: &testlog.Buffer{}}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("bridge log:\n%s", w.logs.String())
		}
	})
	return w
}

func freeTCPPort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func (w *webWorld) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(w.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

// startBridge runs the bridge until the returned stop is called (or the
// test ends) and waits until its page answers and Streamer.bot is connected.
func (w *webWorld) startBridge() (stop func()) {
	w.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg conc.WaitGroup
	errc := make(chan error, 1)
	wg.Go(func() {
		errc <- Run(ctx, Options{Config: w.cfg, Logger: w.logger(), Version: "test"})
	})
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			wg.Wait()
			if err := <-errc; err != nil {
				w.t.Errorf("bridge.Run: %v", err)
			}
		})
	}
	w.t.Cleanup(stop)
	w.waitFor(20*time.Second, "the bridge's /healthz to answer 200", func() bool {
		resp, err := http.Get(w.base() + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return stop
}

func (w *webWorld) base() string { return "http://127.0.0.1:" + strconv.Itoa(w.port) }

// waitFor re-checks cond whenever the fake Streamer.bot records a change
// (and on a short tick, for changes it does not see) until it holds or d
// passes.
func (w *webWorld) waitFor(d time.Duration, what string, cond func() bool) {
	w.t.Helper()
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		changed := w.sb.Changed()
		if cond() {
			return
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-deadline.C:
			w.t.Fatalf("timed out after %v waiting for %s", d, what)
		}
	}
}

func (w *webWorld) global(name string) string {
	if v, ok := w.sb.Global(name, true); ok {
		return fmt.Sprint(v)
	}
	if v, ok := w.sb.Global(name, false); ok {
		return fmt.Sprint(v)
	}
	return ""
}

// page GETs the status page and returns its HTML.
func (w *webWorld) page() string {
	w.t.Helper()
	resp, err := http.Get(w.base() + "/")
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		w.t.Fatalf("GET / = %d: %s", resp.StatusCode, body)
	}
	return string(body)
}

var csrfRe = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func (w *webWorld) csrf() string {
	w.t.Helper()
	m := csrfRe.FindStringSubmatch(w.page())
	if m == nil {
		w.t.Fatal("no CSRF token in the page")
	}
	return m[1]
}

// noFollow is an HTTP client that returns redirects instead of following.
var noFollow = &http.Client{
	Timeout:       20 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// post submits a form to the bridge without following the answer's redirect.
func (w *webWorld) post(path string, form url.Values) *http.Response {
	w.t.Helper()
	resp, err := noFollow.PostForm(w.base()+path, form)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

// signInSteps runs "Connect Picarto" up to the fake's answer: it returns
// the callback URL Picarto redirects the browser to (with code and state).
func (w *webWorld) signInSteps() *url.URL {
	w.t.Helper()
	w.waitFor(10*time.Second, "the Connect Picarto button", func() bool {
		return strings.Contains(w.page(), `id="connect-picarto"`)
	})
	resp := w.post("/oauth/start", url.Values{"csrf": {w.csrf()}})
	if resp.StatusCode != http.StatusSeeOther {
		w.t.Fatalf("POST /oauth/start = %d, want 303", resp.StatusCode)
	}
	authz := resp.Header.Get("Location")
	r2, err := noFollow.Get(authz)
	if err != nil {
		w.t.Fatal(err)
	}
	r2.Body.Close()
	if r2.StatusCode != http.StatusFound {
		w.t.Fatalf("fake authorize = %d, want 302", r2.StatusCode)
	}
	cb, err := url.Parse(r2.Header.Get("Location"))
	if err != nil {
		w.t.Fatal(err)
	}
	if cb.Query().Get("code") == "" || cb.Query().Get("state") == "" {
		w.t.Fatalf("callback without code or state: %s", cb.Redacted())
	}
	return cb
}

// callback GETs the bridge's callback (addressed as localhost, as the
// browser would) and returns the status and body.
func (w *webWorld) callback(cb *url.URL) (int, string) {
	w.t.Helper()
	resp, err := noFollow.Get(cb.String())
	if err != nil {
		w.t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// assertNoSecret fails when text contains any of the values.
func assertNoSecret(t *testing.T, where, text string, values ...string) {
	t.Helper()
	for _, v := range values {
		if v != "" && strings.Contains(text, v) {
			t.Errorf("%s contains a secret (%s...)", where, v[:min(6, len(v))])
		}
	}
}

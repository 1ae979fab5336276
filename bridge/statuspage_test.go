package bridge

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

func TestStatusPageShowsStateNeverTokens(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{bearer: true, chatToken: wChatToken})
	w.sb.SetGlobal(actions.GlobalRefreshToken, "refresh-SECRET-web-5f6g7h", true)
	w.startBridge()
	w.waitFor(10*time.Second, "Picarto connected on the page", func() bool {
		return strings.Contains(w.page(), `id="state-picarto" class="ok">connected`)
	})
	page := w.page()
	assertNoSecret(t, "status page", page, append(wSecrets, "refresh-SECRET-web-5f6g7h")...)
	for _, want := range []string{
		`id="state-streamerbot" class="ok">connected`,
		`id="state-chat"`, `id="state-webhooks"`, `id="state-alerts"`,
		`id="connect-picarto"`, `id="test-follow"`, `id="register-webhooks"`,
		fmt.Sprintf("http://localhost:%d/oauth/callback", w.port),
	} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	assertNoSecret(t, "bridge log", w.logs.String(), append(wSecrets, "refresh-SECRET-web-5f6g7h")...)
}

func TestStatusPageButtons(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{bearer: true})
	w.startBridge()
	follow := actions.ActionName(actions.KindFollow)
	runs := func() int {
		n := 0
		for _, r := range w.sb.ActionRuns() {
			if r.Name == follow {
				n++
			}
		}
		return n
	}

	// POST only, with this process's CSRF token, addressed to this machine.
	if resp, err := noFollow.Get(w.base() + "/action/test-follow"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /action/test-follow = %v %v, want 405", resp.StatusCode, err)
	}
	if resp := w.post("/action/test-follow", nil); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST without CSRF token = %d, want 403", resp.StatusCode)
	}
	req, _ := http.NewRequest(http.MethodGet, w.base()+"/", nil)
	req.Host = "rebind.example.com"
	if resp, err := noFollow.Do(req); err != nil || resp.StatusCode != http.StatusMisdirectedRequest {
		t.Fatalf("GET / with Host rebind.example.com = %v %v, want 421", resp.StatusCode, err)
	}
	if n := runs(); n != 0 {
		t.Fatalf("%d follow runs before the button was pressed", n)
	}

	resp := w.post("/action/test-follow", url.Values{"csrf": {w.csrf()}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /action/test-follow = %d, want 303", resp.StatusCode)
	}
	w.waitFor(10*time.Second, "Process Picarto Follow", func() bool { return runs() == 1 })
	for _, r := range w.sb.ActionRuns() {
		if r.Name == follow && r.Args["isTest"] != true {
			t.Errorf("test follow isTest = %v, want true", r.Args["isTest"])
		}
	}
	w.waitFor(5*time.Second, "the event on the page", func() bool { return strings.Contains(w.page(), "follow (test)") })

	w.sb.SetGlobal(actions.GlobalWebhookURL, "http://127.0.0.1:1", true)
	resp = w.post("/action/register-webhooks", url.Values{"csrf": {w.csrf()}})
	if resp.StatusCode != http.StatusSeeOther || !strings.Contains(resp.Header.Get("Location"), "done=register-webhooks") {
		t.Fatalf("POST /action/register-webhooks = %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	w.waitFor(15*time.Second, "a webhook registration attempt", func() bool {
		for _, r := range w.api.Requests() {
			if r.Method == http.MethodPost && strings.HasPrefix(r.Path, "/webhooks") {
				return true
			}
		}
		return false
	})
}

func TestStateClass(t *testing.T) {
	for state, want := range map[string]string{
		"connected": "ok", "connected as X": "ok", "registered 8 of 8": "ok", "listening on 127.0.0.1:9005": "ok",
		"token rejected: renew picartoBearer": "bad", "disconnected": "bad", "error: boom": "bad",
		"off": "neutral", "connecting": "neutral", "public data only: press Connect Picarto to sign in": "neutral",
	} {
		if got := stateClass(state); got != want {
			t.Errorf("stateClass(%q) = %s, want %s", state, got, want)
		}
	}
}

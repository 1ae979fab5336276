package bridge

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

// validAtFake reports whether the fake Picarto accepts token for GET /user.
func (w *webWorld) validAtFake(token string) bool {
	w.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, w.api.URL()+"/user", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		w.t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// tokenWrites counts the Set Global runs of the token globals.
func (w *webWorld) tokenWrites() int {
	n := 0
	for _, r := range w.sb.ActionRuns() {
		if r.Name == actions.SetGlobalAction && (r.Args["name"] == actions.GlobalBearer || r.Args["name"] == actions.GlobalRefreshToken) {
			n++
		}
	}
	return n
}

func TestOAuthStateMismatchRejected(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{})
	w.startBridge()

	if resp := w.post("/oauth/start", url.Values{"csrf": {"0123"}}); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("POST /oauth/start with a wrong CSRF token = %d, want 403", resp.StatusCode)
	}
	if resp, err := noFollow.Get(w.base() + "/oauth/start"); err != nil || resp.StatusCode != http.StatusMethodNotAllowed {
		t.Fatalf("GET /oauth/start = %v %v, want 405", resp.StatusCode, err)
	}

	cb := w.signInSteps()
	q := cb.Query()
	good := q.Get("state")
	for _, bad := range []string{"", "00" + good[2:], good + "x"} {
		forged := *cb
		fq := forged.Query()
		fq.Set("state", bad)
		forged.RawQuery = fq.Encode()
		code, body := w.callback(&forged)
		if code != http.StatusBadRequest {
			t.Fatalf("callback with state %q = %d, want 400", bad, code)
		}
		if !strings.Contains(body, "Nothing was stored") {
			t.Errorf("rejection page does not say nothing was stored: %s", body)
		}
	}
	if got := w.global(actions.GlobalBearer); got != "" || w.tokenWrites() != 0 {
		t.Fatalf("a rejected callback stored a token (picartoBearer set: %v, writes %d)", got != "", w.tokenWrites())
	}

	// The real answer still works, once.
	if code, body := w.callback(cb); code != http.StatusSeeOther {
		t.Fatalf("callback with the right state = %d: %s", code, body)
	}
	w.waitFor(10*time.Second, "picartoBearer to be stored", func() bool { return w.global(actions.GlobalBearer) != "" })
	if code, _ := w.callback(cb); code != http.StatusBadRequest {
		t.Fatalf("a replayed callback = %d, want 400", code)
	}
}

// TestOAuthStoresTokensAndRefreshesBeforeExpiry: the exchange stores both
// tokens in Streamer.bot, and with a short expires_in the bridge renews the
// token before it runs out; no token reaches the page or the log.
func TestOAuthStoresTokensAndRefreshesBeforeExpiry(t *testing.T) {
	t.Parallel()
	const lifetime = 6 * time.Second
	w := newWebWorld(t, worldOptions{tokenLifetime: lifetime})
	w.startBridge()
	if !strings.Contains(w.page(), "http://localhost:") || !strings.Contains(w.page(), "/oauth/callback") {
		t.Fatal("the page does not show the redirect URI")
	}

	before := time.Now() // the first token is issued after this, so it expires after before+lifetime
	cb := w.signInSteps()
	code, _ := w.callback(cb)
	if code != http.StatusSeeOther {
		t.Fatalf("callback = %d, want 303 to the status page", code)
	}
	w.waitFor(10*time.Second, "both tokens in Streamer.bot", func() bool {
		return w.global(actions.GlobalBearer) != "" && w.global(actions.GlobalRefreshToken) != ""
	})
	access, refresh := w.global(actions.GlobalBearer), w.global(actions.GlobalRefreshToken)
	if !w.validAtFake(access) {
		t.Fatal("the stored picartoBearer is not a token the fake Picarto issued")
	}
	if v, ok := w.sb.Global(actions.GlobalBearer, true); !ok || v == nil {
		t.Error("picartoBearer is not a persisted global")
	}
	page := w.page()
	assertNoSecret(t, "status page", page, access, refresh, wClientSecret)
	w.waitFor(10*time.Second, "the page to show Picarto connected", func() bool {
		return strings.Contains(w.page(), `id="state-picarto" class="ok">connected as `+wChannel)
	})

	var renewedAt time.Time
	w.waitFor(2*lifetime, "the token to be renewed", func() bool {
		if a := w.global(actions.GlobalBearer); a != access && a != "" {
			renewedAt = time.Now()
			return true
		}
		return false
	})
	if deadline := before.Add(lifetime); !renewedAt.Before(deadline) {
		t.Errorf("renewed %v after the first token expired", renewedAt.Sub(deadline))
	}
	access2 := w.global(actions.GlobalBearer)
	w.waitFor(5*time.Second, "the rotated refresh token", func() bool {
		r := w.global(actions.GlobalRefreshToken)
		return r != "" && r != refresh
	})
	if !w.validAtFake(access2) {
		t.Error("the renewed picartoBearer is not valid at the fake")
	}
	assertNoSecret(t, "status page", w.page(), access, access2, refresh, w.global(actions.GlobalRefreshToken), wClientSecret)
	assertNoSecret(t, "bridge log", w.logs.String(), access, access2, refresh, w.global(actions.GlobalRefreshToken), wClientSecret, cb.Query().Get("code"))
}

// TestOAuthRenewsOnceOn401AfterRestart: a restarted bridge does not know
// the expiry; when Picarto rejects the token it renews once with the stored
// refresh token.
func TestOAuthRenewsOnceOn401AfterRestart(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{})
	stop := w.startBridge()
	if code, _ := w.callback(w.signInSteps()); code != http.StatusSeeOther {
		t.Fatalf("callback = %d", code)
	}
	w.waitFor(10*time.Second, "both tokens", func() bool {
		return w.global(actions.GlobalBearer) != "" && w.global(actions.GlobalRefreshToken) != ""
	})
	stop()
	old := w.global(actions.GlobalBearer)
	w.api.ExpireToken(old)
	tokenCalls := func() int {
		n := 0
		for _, r := range w.api.Requests() {
			if r.Area == "oauth" && strings.HasSuffix(r.Path, "/token") {
				n++
			}
		}
		return n
	}
	exchanges := tokenCalls()

	w.startBridge()
	w.waitFor(20*time.Second, "a renewed picartoBearer", func() bool {
		a := w.global(actions.GlobalBearer)
		return a != old && a != ""
	})
	if !w.validAtFake(w.global(actions.GlobalBearer)) {
		t.Fatal("renewed token not valid")
	}
	w.waitFor(20*time.Second, "Picarto connected again", func() bool {
		return strings.Contains(w.page(), `id="state-picarto" class="ok">connected`)
	})
	if n := tokenCalls() - exchanges; n != 1 {
		t.Errorf("%d token requests after the restart, want exactly 1 refresh", n)
	}
	assertNoSecret(t, "bridge log", w.logs.String(), old, w.global(actions.GlobalBearer), w.global(actions.GlobalRefreshToken))
}

func TestOAuthNeedsAppCredentials(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{noApp: true})
	w.startBridge()
	w.waitFor(10*time.Second, "the globals to be read", func() bool {
		return strings.Contains(w.page(), `id="state-picarto" class="neutral">public data only`)
	})
	page := w.page()
	if strings.Contains(page, `id="connect-picarto"`) {
		t.Error("Connect Picarto shown without picartoClientID/picartoClientToken")
	}
	if !strings.Contains(page, "picartoClientID") {
		t.Error("the page does not say which globals to set for sign-in")
	}
	resp := w.post("/oauth/start", url.Values{"csrf": {w.csrf()}})
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("POST /oauth/start without app = %d, want 400", resp.StatusCode)
	}
}

func TestOAuthPendingStatesBounded(t *testing.T) {
	var o oauthFlow
	now := time.Now()
	for i := range 3 * oauthMaxPending {
		o.addPending(string(rune('a'+i)), "v", now.Add(time.Duration(i)*time.Millisecond))
	}
	if n := len(o.pending); n != oauthMaxPending {
		t.Fatalf("%d pending sign-ins kept, want %d", n, oauthMaxPending)
	}
	last := string(rune('a' + 3*oauthMaxPending - 1))
	if _, ok := o.takePending(last, now); !ok {
		t.Fatal("the newest sign-in was dropped")
	}
	if _, ok := o.takePending(last, now); ok {
		t.Fatal("a state was accepted twice")
	}
	o.addPending("late", "v", now)
	if _, ok := o.takePending("late", now.Add(oauthStateTTL+time.Second)); ok {
		t.Fatal("an expired state was accepted")
	}
}

func TestOAuthSignInWithoutHelperSaysSo(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{noHelper: true})
	w.startBridge()
	code, body := w.callback(w.signInSteps())
	if code != http.StatusOK || !strings.Contains(body, "action is missing") || !strings.Contains(body, "picarto-bridge import") {
		t.Fatalf("callback without the helper = %d:\n%s", code, body)
	}
	// Once the helper is imported, the token is written.
	w.sb.AddSetGlobalAction(actions.SetGlobalAction)
	w.waitFor(20*time.Second, "picartoBearer after the helper appeared", func() bool {
		return w.global(actions.GlobalBearer) != ""
	})
}

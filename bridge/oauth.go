package bridge

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"golang.org/x/oauth2"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// The browser sign-in (contract section 6): "Connect Picarto" on the status
// page runs OAuth's authorization-code flow against PICARTO_OAUTH_URL with the
// app of picartoClientID/picartoClientToken, stores the access token in
// picartoBearer and the refresh token in picartoRefreshToken through the
// `Picarto Set Global` helper, and renews the token before it expires.
//
// Tokens live only in memory and in Streamer.bot: never in the page, a log
// line, an error shown to the user, or the data directory.

// oauthScopes is what "Connect Picarto" asks for: the account's private reads
// (followers, subscribers, notifications) and webhook registration (spec 2.1).
var oauthScopes = []string{picarto.ScopeReadPub, picarto.ScopeReadPriv, picarto.ScopeWrite}

const (
	oauthStateTTL     = 10 * time.Minute // how long a started sign-in may take
	oauthMaxPending   = 8                // sign-ins started but not finished
	oauthCallbackTime = 20 * time.Second // code exchange and account check
	refreshTimeout    = 30 * time.Second
	refreshRetry      = 30 * time.Second // after a failed renewal that may work later
	refreshCheckEvery = time.Minute      // the refresher looks at least this often
	refreshMaxAhead   = 24 * time.Hour   // renew at most this long before expiry
)

// oauthFlow is the sign-in and renewal state of one Bridge. The zero value is
// ready to use.
type oauthFlow struct {
	mu      sync.Mutex
	pending map[string]pendingSignIn // state -> sign-in started from the page

	token    secret.Secret // access token that expiry belongs to
	expiry   time.Time     // zero: unknown (a token pasted by hand, or after a restart)
	lifetime time.Duration
	account  string // Picarto channel the last sign-in returned

	unauthorized  bool          // Picarto answered 401 since the refresher last looked
	tried401      secret.Secret // access token a 401-triggered renewal was tried for
	refused       secret.Secret // refresh token Picarto refused: not tried again
	retryAt       time.Time     // after a renewal failure that may pass
	wake          chan struct{} // nudges the refresher
	lastRenewal   time.Time
	renewProblem  string // user-facing, never a token
	signInProblem string
}

type pendingSignIn struct {
	verifier string // PKCE code verifier
	expires  time.Time
}

// addPending records a started sign-in. The oldest is dropped when too many
// are open, so the map stays small whatever the page is asked.
func (o *oauthFlow) addPending(state, verifier string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.pending == nil {
		o.pending = map[string]pendingSignIn{}
	}
	for k, p := range o.pending {
		if now.After(p.expires) {
			delete(o.pending, k)
		}
	}
	for len(o.pending) >= oauthMaxPending {
		oldest, at := "", time.Time{}
		for k, p := range o.pending {
			if oldest == "" || p.expires.Before(at) {
				oldest, at = k, p.expires
			}
		}
		delete(o.pending, oldest)
	}
	o.pending[state] = pendingSignIn{verifier: verifier, expires: now.Add(oauthStateTTL)}
}

// takePending removes and returns the sign-in of state; false when state is
// unknown, used or expired.
func (o *oauthFlow) takePending(state string, now time.Time) (pendingSignIn, bool) {
	if state == "" {
		return pendingSignIn{}, false
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	p, ok := o.pending[state]
	if !ok {
		return pendingSignIn{}, false
	}
	delete(o.pending, state)
	return p, now.Before(p.expires)
}

// wakeChan returns the refresher's nudge channel.
func (o *oauthFlow) wakeChan() <-chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.wake == nil {
		o.wake = make(chan struct{}, 1)
	}
	return o.wake
}

func (o *oauthFlow) nudgeLocked() {
	if o.wake == nil {
		o.wake = make(chan struct{}, 1)
	}
	select {
	case o.wake <- struct{}{}:
	default:
	}
}

// remember records a fresh token's expiry (zero expiry: unknown).
func (o *oauthFlow) remember(access secret.Secret, expiry time.Time, account string, now time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.token, o.expiry = access, expiry
	o.lifetime = 0
	if !expiry.IsZero() {
		o.lifetime = expiry.Sub(now)
	}
	if account != "" {
		o.account = account
	}
	// A fresh token is not renewed again on a 401: the 401s still coming in
	// were answers to requests with the old one, and its expiry is known.
	o.tried401, o.unauthorized = access, false
	o.retryAt, o.renewProblem = time.Time{}, ""
	o.nudgeLocked()
}

// noteAPIError is the hook the poller calls with every failed Picarto
// request: a 401 on the streamer's token makes the refresher renew once for
// that token, which covers a restart, where the expiry is not known.
func (b *Bridge) noteAPIError(err error) {
	if errors.Is(err, picarto.ErrUnauthorized) {
		b.tokenRejected()
	}
}

func (b *Bridge) tokenRejected() {
	o := &b.oauth
	o.mu.Lock()
	defer o.mu.Unlock()
	o.unauthorized = true
	o.nudgeLocked()
}

// renewal says what the refresher should do now. held are the token values
// Streamer.bot holds; canRefresh is whether a refresh token and the app
// credentials are there. It returns why to renew now ("" for not now) and
// when to look again (zero: no deadline).
func (o *oauthFlow) renewal(now time.Time, heldBearer, heldRefresh secret.Secret, canRefresh bool) (why string, next time.Time) {
	o.mu.Lock()
	defer o.mu.Unlock()
	unauthorized := o.unauthorized
	o.unauthorized = false
	if !canRefresh || heldRefresh == "" || heldRefresh == o.refused {
		return "", time.Time{}
	}
	if now.Before(o.retryAt) {
		if unauthorized {
			o.unauthorized = true // keep it for after the pause
		}
		return "", o.retryAt
	}
	if unauthorized && heldBearer != o.tried401 {
		o.tried401 = heldBearer
		return "Picarto rejected the token", time.Time{}
	}
	if o.expiry.IsZero() || heldBearer != o.token {
		return "", time.Time{}
	}
	ahead := min(o.lifetime/4, refreshMaxAhead)
	at := o.expiry.Add(-ahead)
	if !now.Before(at) {
		return "token expires soon", time.Time{}
	}
	return "", at
}

func (o *oauthFlow) renewFailed(now time.Time, refresh secret.Secret, permanent bool, problem string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.renewProblem = problem
	if permanent {
		o.refused = refresh
		return
	}
	o.retryAt = now.Add(refreshRetry)
	o.tried401 = "" // a later 401 may try again, after the pause
}

// oauthView is what the status page may show of the sign-in: no token.
type oauthView struct {
	Account       string
	Expires       time.Time
	Renews        time.Time
	LastRenewal   time.Time
	RenewProblem  string
	SignInProblem string
}

func (o *oauthFlow) view(heldBearer secret.Secret) oauthView {
	o.mu.Lock()
	defer o.mu.Unlock()
	v := oauthView{Account: o.account, LastRenewal: o.lastRenewal, RenewProblem: o.renewProblem, SignInProblem: o.signInProblem}
	if !o.expiry.IsZero() && heldBearer == o.token && heldBearer != "" {
		v.Expires = o.expiry
		v.Renews = o.expiry.Add(-min(o.lifetime/4, refreshMaxAhead))
	}
	return v
}

// oauthConfig is the oauth2 configuration for the app in st. It holds the
// client secret in clear: keep it on the stack, never log it.
func (b *Bridge) oauthConfig(st Settings) *oauth2.Config {
	return picarto.OAuthConfig(b.cfg.PicartoOAuthURL, st.ClientID, st.ClientSecret, b.redirectURI(), oauthScopes)
}

// oauthOrigin is the OAuth server's origin, which the page's
// Content-Security-Policy must allow as a form target (the sign-in form's
// answer redirects there).
func (b *Bridge) oauthOrigin() string {
	base := b.cfg.PicartoOAuthURL
	if base == "" {
		base = picarto.DefaultOAuthURL
	}
	u, err := url.Parse(base)
	if err != nil || u.Host == "" {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// oauthRoutes adds the "Connect Picarto" sign-in (contract section 6).
func (b *Bridge) oauthRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /oauth/start", b.localOnly(b.csrfProtected(b.handleOAuthStart)))
	mux.HandleFunc("GET /oauth/callback", b.localOnly(b.handleOAuthCallback))
}

func (b *Bridge) handleOAuthStart(w http.ResponseWriter, r *http.Request) {
	s := b.session.Load()
	if s == nil {
		b.messagePage(w, http.StatusServiceUnavailable, "Not ready", "The bridge is restarting. Go back and try again in a moment.", nil)
		return
	}
	st := s.currentSettings()
	if st.ClientID == "" || st.ClientSecret.IsZero() {
		b.messagePage(w, http.StatusBadRequest, "Picarto app not set",
			"Set the Streamer.bot globals picartoClientID and picartoClientToken to your Picarto OAuth client "+
				"(create one at https://oauth.picarto.tv/clients with the redirect URI "+b.redirectURI()+"), then try again.", nil)
		return
	}
	state := randomHex(16)
	verifier := oauth2.GenerateVerifier()
	b.oauth.addPending(state, verifier, time.Now())
	target := b.oauthConfig(st).AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
	b.log.Info("Picarto sign-in started: continue in the browser")
	http.Redirect(w, r, target, http.StatusSeeOther)
}

func (b *Bridge) handleOAuthCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	pend, ok := b.oauth.takePending(q.Get("state"), time.Now())
	if !ok {
		b.log.Warn("Picarto sign-in answer rejected: unknown or expired state")
		b.messagePage(w, http.StatusBadRequest, "Sign-in not accepted",
			"This sign-in answer does not belong to a sign-in started on this page, or it took longer than 10 minutes. "+
				"Nothing was stored. Go back to the status page and press Connect Picarto again.", nil)
		return
	}
	if e := q.Get("error"); e != "" {
		code := safeCode(e)
		b.setSignInProblem("Picarto did not sign you in (" + code + ")")
		b.log.Warn("Picarto sign-in refused", "error", code)
		b.messagePage(w, http.StatusBadRequest, "Picarto did not sign you in",
			"Picarto answered "+code+". Nothing was stored. Go back and press Connect Picarto again.", nil)
		return
	}
	code := q.Get("code")
	s := b.session.Load()
	if code == "" || s == nil {
		b.messagePage(w, http.StatusBadRequest, "Sign-in not accepted", "The answer from Picarto had no authorization code. Nothing was stored.", nil)
		return
	}
	st := s.currentSettings()
	ctx, cancel := context.WithTimeout(r.Context(), oauthCallbackTime)
	defer cancel()
	tok, err := s.api.Exchange(ctx, b.oauthConfig(st), code, oauth2.VerifierOption(pend.verifier))
	if err == nil && tok.AccessToken == "" {
		err = errors.New("bridge: oauth: Picarto's answer has no access token")
	}
	if err != nil {
		b.log.Warn("Picarto sign-in failed", "err", err)
		hint := "Try again."
		switch {
		case errors.Is(err, picarto.ErrInvalidClient):
			hint = "Check picartoClientID and picartoClientToken: Picarto does not accept them."
		case errors.Is(err, picarto.ErrInvalidGrant):
			hint = "The redirect URI of your Picarto OAuth client must be exactly " + b.redirectURI() + ". Then try again."
		}
		b.setSignInProblem("sign-in failed: " + hint)
		b.messagePage(w, http.StatusBadGateway, "Sign-in failed", "Picarto did not give a token. Nothing was stored. "+hint, nil)
		return
	}
	access := secret.Secret(tok.AccessToken)
	s.api.SetToken(access)
	account := ""
	if u, err := s.api.User(ctx); err == nil {
		account = u.Channel.Name
	} else {
		b.log.Warn("signed in, but the account could not be read", "err", err)
	}
	stored := b.storeTokens(ctx, s, tok, account)
	if account != "" && st.Channel == "" {
		b.globals.Set(ctx, s.sb, actions.GlobalChannelName, account)
		b.globals.forgetIfHeld(actions.GlobalChannelName)
	}
	b.setSignInProblem("")
	b.log.Info("signed in with Picarto", "account", account, "expires", tok.Expiry.Round(time.Second))
	var notes []string
	switch {
	case stored:
	case !s.sb.Connected():
		notes = append(notes, "Streamer.bot is not connected: the token is saved there (in picartoBearer) as soon as it is. "+
			"Until then the bridge uses it while it runs.")
	default:
		notes = append(notes, "The token could not be saved in Streamer.bot: the "+actions.SetGlobalAction+
			" action is missing or failed. Run picarto-bridge import and import the Picarto group; the token is saved once the action is there.")
	}
	if account != "" && st.Channel != "" && !strings.EqualFold(account, st.Channel) {
		notes = append(notes, "You signed in as "+account+", but picartoChannelName is "+st.Channel+
			": follows and subscriptions of "+account+" are read. Sign in as "+st.Channel+" or change picartoChannelName.")
	}
	if len(notes) > 0 {
		b.messagePage(w, http.StatusOK, "Signed in with Picarto", "Signed in as "+orUnknown(account)+".", notes)
		return
	}
	http.Redirect(w, r, "/?done=signed-in", http.StatusSeeOther)
}

func orUnknown(s string) string {
	if s == "" {
		return "an unknown account"
	}
	return s
}

// safeCode keeps an OAuth error code printable: letters, digits and _ only.
func safeCode(s string) string {
	var out strings.Builder
	for _, r := range s {
		if r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			out.WriteRune(r)
		}
		if out.Len() >= 40 {
			break
		}
	}
	if out.Len() == 0 {
		return "an error"
	}
	return out.String()
}

func (b *Bridge) setSignInProblem(p string) {
	b.oauth.mu.Lock()
	b.oauth.signInProblem = p
	b.oauth.mu.Unlock()
}

// storeTokens puts a new token to use at once and stores it in Streamer.bot:
// picartoBearer and picartoRefreshToken, through the globals writer (which
// writes again after a reconnect if Streamer.bot is away). It reports whether
// Streamer.bot now holds the access token.
func (b *Bridge) storeTokens(ctx context.Context, s *session, tok *oauth2.Token, account string) bool {
	access := secret.Secret(tok.AccessToken)
	s.api.SetToken(access)
	b.globals.Set(ctx, s.sb, actions.GlobalBearer, access)
	if tok.RefreshToken != "" {
		b.globals.Set(ctx, s.sb, actions.GlobalRefreshToken, secret.Secret(tok.RefreshToken))
	}
	b.globals.forgetIfHeld(actions.GlobalBearer, actions.GlobalRefreshToken)
	// After the writes, so the refresher it wakes sees the new values held.
	b.oauth.remember(access, tok.Expiry, account, time.Now())
	held, _ := b.globals.held(actions.GlobalBearer)
	return held == tok.AccessToken
}

// runTokenRefresher renews the Picarto token before it expires, and once
// when Picarto rejects a token whose expiry is unknown (after a restart). It
// runs for the whole session.
func (s *session) runTokenRefresher(ctx context.Context) {
	b := s.b
	wake := b.oauth.wakeChan()
	for ctx.Err() == nil {
		b.globals.forgetIfHeld(actions.GlobalBearer, actions.GlobalRefreshToken, actions.GlobalChannelName)
		st := s.currentSettings()
		bearer, refresh := b.heldTokens(st)
		canRefresh := st.ClientID != "" && !st.ClientSecret.IsZero()
		now := time.Now()
		why, next := b.oauth.renewal(now, bearer, refresh, canRefresh)
		if why != "" {
			s.renewToken(ctx, st, refresh, why)
			continue
		}
		wait := refreshCheckEvery
		if !next.IsZero() {
			wait = min(wait, max(next.Sub(now), 0))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-wake:
		case <-t.C:
		}
		t.Stop()
	}
}

// heldTokens are the token values Streamer.bot holds now: the globals
// writer's knowledge (updated by the bridge's own writes at once), else the
// settings.
func (b *Bridge) heldTokens(st Settings) (bearer, refresh secret.Secret) {
	bearer, refresh = st.Bearer, st.RefreshToken
	if v, ok := b.globals.held(actions.GlobalBearer); ok {
		bearer = secret.Secret(trimBearer(v))
	}
	if v, ok := b.globals.held(actions.GlobalRefreshToken); ok {
		refresh = secret.Secret(strings.TrimSpace(v))
	}
	return bearer, refresh
}

func (s *session) renewToken(ctx context.Context, st Settings, refresh secret.Secret, why string) {
	b := s.b
	rctx, cancel := context.WithTimeout(ctx, refreshTimeout)
	defer cancel()
	tok, err := s.api.Refresh(rctx, b.oauthConfig(st), refresh)
	if err == nil && tok.AccessToken == "" {
		err = errors.New("bridge: oauth: Picarto's answer has no access token")
	}
	if err != nil {
		if ctx.Err() != nil {
			return
		}
		if errors.Is(err, picarto.ErrInvalidGrant) || errors.Is(err, picarto.ErrInvalidClient) {
			b.oauth.renewFailed(time.Now(), refresh, true, "Picarto refused to renew the token: press Connect Picarto to sign in again")
			b.log.Error("Picarto refused to renew the token: open the status page and press Connect Picarto to sign in again",
				"page", b.pageURL(), "err", err)
			return
		}
		b.oauth.renewFailed(time.Now(), refresh, false, "token renewal failed; retrying")
		b.log.Warn("Picarto token renewal failed; retrying", "in", refreshRetry, "err", err)
		return
	}
	b.storeTokens(ctx, s, tok, "")
	b.oauth.mu.Lock()
	b.oauth.lastRenewal = time.Now()
	b.oauth.mu.Unlock()
	b.log.Info("Picarto token renewed", "reason", why, "expires", tok.Expiry.Round(time.Second))
}

// forgetIfHeld drops the writer's wish for user-owned globals (the tokens,
// picartoChannelName) once Streamer.bot holds the written value: the bridge
// wrote them once, and must not undo a later change the streamer makes by
// hand, as it does for the globals it owns.
func (w *globalWriter) forgetIfHeld(names ...string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, n := range names {
		if v, ok := w.want[n]; ok && w.known[n] == v {
			delete(w.want, n)
		}
	}
}

// held returns the value Streamer.bot holds for a global, as far as the
// writer knows.
func (w *globalWriter) held(name string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.known[name]
	return v, ok
}

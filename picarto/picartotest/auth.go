package picartotest

import (
	"crypto/subtle"
	"net/http"
	"strings"
	"time"
)

// Scope levels (spec 2.1): each includes the ones below it.
const (
	scopeNone = iota
	scopeReadPub
	scopeReadPriv
	scopeWrite
	scopeSudo
)

var scopeLevels = map[string]int{"readpub": scopeReadPub, "readpriv": scopeReadPriv, "write": scopeWrite, "sudo": scopeSudo}

// apiToken is an access or refresh token.
type apiToken struct {
	token     string
	channelID int64
	scopes    []string
	clientID  string    // issuing app; "" for AddToken tokens
	expires   time.Time // zero: never
}

func (t *apiToken) level() int {
	best := scopeNone
	for _, s := range t.scopes {
		best = max(best, scopeLevels[s])
	}
	return best
}

// apiApp is a registered OAuth client.
type apiApp struct{ id, secret, redirect string }

// AddToken registers a fixed access token for channelID's user with scopes
// (readpub, readpriv, write, sudo; none means all). Such a token belongs to
// the first app added with AddApp, if any, when it registers webhooks.
func (a *API) AddToken(token string, channelID int64, scopes ...string) {
	if len(scopes) == 0 {
		scopes = []string{"sudo"}
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokens[token] = &apiToken{token: token, channelID: channelID, scopes: scopes}
}

// AddAppToken is AddToken for a token issued by the app clientID.
func (a *API) AddAppToken(clientID, token string, channelID int64, scopes ...string) {
	a.AddToken(token, channelID, scopes...)
	a.mu.Lock()
	a.tokens[token].clientID = clientID
	a.mu.Unlock()
}

// ExpireToken makes an access token (or refresh token) invalid from now on,
// as expiry would.
func (a *API) ExpireToken(token string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	past := time.Now().Add(-time.Second)
	if t := a.tokens[token]; t != nil {
		t.expires = past
	}
	delete(a.refresh, token)
}

// AddApp registers an OAuth app with its exact redirect URI.
func (a *API) AddApp(clientID, clientSecret, redirectURI string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.apps[clientID]; !ok {
		a.appOrder = append(a.appOrder, clientID)
	}
	a.apps[clientID] = &apiApp{id: clientID, secret: clientSecret, redirect: redirectURI}
}

// SetOAuthUser chooses whose account /oauth/authorize signs in (default:
// the first channel added).
func (a *API) SetOAuthUser(channelID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.oauthUser = channelID
}

// SetTokenLifetime changes expires_in for tokens issued from now on.
func (a *API) SetTokenLifetime(d time.Duration) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokenLifetime = d
}

// bearer returns the Bearer token of r, or "".
func bearer(r *http.Request) string {
	h := strings.TrimSpace(r.Header.Get("Authorization"))
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}

// tokenFor returns the valid access token of r, or nil.
func (a *API) tokenFor(r *http.Request) *apiToken {
	b := bearer(r)
	if b == "" {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	t := a.tokens[b]
	if t == nil || (!t.expires.IsZero() && !time.Now().Before(t.expires)) {
		return nil
	}
	cp := *t
	return &cp
}

// optionalToken is the valid token of r, if any; public endpoints ignore a
// bad token (they only add `following` for a good one).
func (a *API) optionalToken(r *http.Request) (*apiToken, bool) {
	t := a.tokenFor(r)
	return t, t != nil
}

// requireToken answers 401 {"message":"Unauthenticated."} without a valid
// token and 403 when its scope is below min.
func (a *API) requireToken(w http.ResponseWriter, r *http.Request, min int) (*apiToken, bool) {
	t := a.tokenFor(r)
	if t == nil {
		apiMessage(w, http.StatusUnauthorized, "Unauthenticated.")
		return nil, false
	}
	if t.level() < min {
		apiMessage(w, http.StatusForbidden, "You do not have access to this user with your access token")
		return nil, false
	}
	return t, true
}

// appFor checks client_id/client_secret (query or form); nil when wrong.
func (a *API) appFor(r *http.Request) *apiApp {
	_ = r.ParseForm()
	id, sec := r.Form.Get("client_id"), r.Form.Get("client_secret")
	a.mu.Lock()
	defer a.mu.Unlock()
	app := a.apps[id]
	if app == nil || id == "" || subtle.ConstantTimeCompare([]byte(app.secret), []byte(sec)) != 1 {
		return nil
	}
	cp := *app
	return &cp
}

// tokenAppLocked is the app a token's webhooks belong to.
func (a *API) tokenAppLocked(t *apiToken) string {
	if t.clientID != "" || len(a.appOrder) == 0 {
		return t.clientID
	}
	return a.appOrder[0]
}

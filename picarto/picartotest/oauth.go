package picartotest

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// apiCode is an issued authorization code.
type apiCode struct {
	clientID, redirectURI string
	channelID             int64
	scopes                []string
	expires               time.Time
	challenge, method     string
}

// oauthMux serves /oauth/authorize and /oauth/token (spec 2.2, 2.3, 11.2).
func (a *API) oauthMux() http.Handler {
	m := http.NewServeMux()
	m.HandleFunc("GET /oauth/authorize", a.authorize)
	m.HandleFunc("POST /oauth/token", a.token)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		done := a.record("oauth", r, strings.TrimPrefix(r.URL.Path, "/oauth"))
		sw := &statusWriter{ResponseWriter: w}
		defer func() { done(sw.status) }()
		m.ServeHTTP(sw, r)
	})
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// splitScopes reads "readpub readpriv", "readpub+readpriv" or commas.
func splitScopes(s string) []string {
	return strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '+' || r == ',' })
}

// authorize auto-approves as the OAuth user and redirects with a code (or,
// for response_type=token, a token in the fragment). client_id must be known
// and redirect_uri must equal the registered one exactly.
func (a *API) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	a.mu.Lock()
	app := a.apps[q.Get("client_id")]
	user := a.oauthUser
	lifetime := a.tokenLifetime
	a.mu.Unlock()
	if app == nil {
		http.Error(w, "invalid client_id", http.StatusBadRequest)
		return
	}
	redirect := q.Get("redirect_uri")
	if redirect == "" {
		redirect = app.redirect
	}
	if redirect != app.redirect {
		http.Error(w, "redirect_uri does not match the one registered for this client", http.StatusBadRequest)
		return
	}
	target, err := url.Parse(redirect)
	if err != nil {
		http.Error(w, "bad redirect_uri", http.StatusBadRequest)
		return
	}
	back := target.Query()
	if s := q.Get("state"); s != "" {
		back.Set("state", s)
	}
	scopes := splitScopes(q.Get("scope"))
	if len(scopes) == 0 {
		scopes = []string{"readpub"}
	}
	for _, s := range scopes {
		if scopeLevels[s] == 0 {
			back.Set("error", "invalid_scope")
			target.RawQuery = back.Encode()
			http.Redirect(w, r, target.String(), http.StatusFound)
			return
		}
	}
	switch rt := q.Get("response_type"); {
	case user == 0:
		back.Set("error", "access_denied")
	case rt == "code":
		code := randomToken(16)
		a.mu.Lock()
		a.codes[code] = &apiCode{
			clientID: app.id, redirectURI: q.Get("redirect_uri"), channelID: user, scopes: scopes,
			expires: time.Now().Add(10 * time.Minute), challenge: q.Get("code_challenge"),
			method: q.Get("code_challenge_method"),
		}
		a.mu.Unlock()
		back.Set("code", code)
	case rt == "token":
		access, _ := a.issue(app.id, user, scopes, lifetime, false)
		frag := url.Values{"access_token": {access}, "token_type": {"Bearer"},
			"expires_in": {apiItoa(int64(lifetime / time.Second))}}
		if s := q.Get("state"); s != "" {
			frag.Set("state", s)
		}
		target.Fragment, target.RawFragment = "", ""
		http.Redirect(w, r, target.String()+"#"+frag.Encode(), http.StatusFound)
		return
	default:
		back.Set("error", "unsupported_response_type")
	}
	target.RawQuery = back.Encode()
	http.Redirect(w, r, target.String(), http.StatusFound)
}

// issue creates an access token (and a refresh token when withRefresh).
func (a *API) issue(clientID string, channelID int64, scopes []string, lifetime time.Duration, withRefresh bool) (access, refresh string) {
	access = randomToken(20)
	a.mu.Lock()
	defer a.mu.Unlock()
	a.tokens[access] = &apiToken{token: access, channelID: channelID, scopes: scopes, clientID: clientID,
		expires: time.Now().Add(lifetime)}
	if withRefresh {
		refresh = randomToken(20)
		a.refresh[refresh] = &apiToken{token: refresh, channelID: channelID, scopes: scopes, clientID: clientID}
	}
	return access, refresh
}

func oauthError(w http.ResponseWriter, status int, code, desc string) {
	w.Header().Set("Cache-Control", "no-store")
	apiJSON(w, status, map[string]any{"error": code, "error_description": desc})
}

// token serves the authorization_code and refresh_token grants. Client
// credentials come in the form (or HTTP Basic); parameters may also be in
// the query string.
func (a *API) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		oauthError(w, http.StatusBadRequest, "invalid_request", "The request is malformed.")
		return
	}
	id, sec := r.Form.Get("client_id"), r.Form.Get("client_secret")
	if u, p, ok := r.BasicAuth(); ok && id == "" {
		id, sec = u, p
	}
	a.mu.Lock()
	app := a.apps[id]
	lifetime := a.tokenLifetime
	a.mu.Unlock()
	if app == nil || subtle.ConstantTimeCompare([]byte(app.secret), []byte(sec)) != 1 {
		oauthError(w, http.StatusUnauthorized, "invalid_client", "Client authentication failed")
		return
	}
	var channelID int64
	var scopes []string
	switch r.Form.Get("grant_type") {
	case "authorization_code":
		code := r.Form.Get("code")
		a.mu.Lock()
		c := a.codes[code]
		delete(a.codes, code) // single use, even when the exchange fails
		a.mu.Unlock()
		switch {
		case c == nil || time.Now().After(c.expires) || c.clientID != app.id:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or expired.")
			return
		case c.redirectURI != "" && r.Form.Get("redirect_uri") != c.redirectURI:
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The redirect_uri does not match.")
			return
		case c.challenge != "" && !pkceOK(c, r.Form.Get("code_verifier")):
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The code_verifier does not match.")
			return
		}
		channelID, scopes = c.channelID, c.scopes
	case "refresh_token":
		rt := r.Form.Get("refresh_token")
		a.mu.Lock()
		t := a.refresh[rt]
		if t != nil && t.clientID == app.id && !a.opts.KeepRefreshTokens {
			delete(a.refresh, rt)
		}
		a.mu.Unlock()
		if t == nil || t.clientID != app.id {
			oauthError(w, http.StatusBadRequest, "invalid_grant", "The refresh token is invalid.")
			return
		}
		if a.opts.KeepRefreshTokens {
			access, _ := a.issue(app.id, t.channelID, t.scopes, lifetime, false)
			a.tokenReply(w, access, rt, t.scopes, lifetime)
			return
		}
		channelID, scopes = t.channelID, t.scopes
	case "":
		oauthError(w, http.StatusBadRequest, "invalid_request", "The grant_type parameter is missing.")
		return
	default:
		oauthError(w, http.StatusBadRequest, "unsupported_grant_type", "The grant type is not supported.")
		return
	}
	access, refresh := a.issue(app.id, channelID, scopes, lifetime, true)
	a.tokenReply(w, access, refresh, scopes, lifetime)
}

func (a *API) tokenReply(w http.ResponseWriter, access, refresh string, scopes []string, lifetime time.Duration) {
	w.Header().Set("Cache-Control", "no-store")
	apiJSON(w, http.StatusOK, map[string]any{
		"token_type": "Bearer", "expires_in": int64(lifetime / time.Second),
		"access_token": access, "refresh_token": refresh, "scope": strings.Join(scopes, " "),
	})
}

// pkceOK checks an S256 (or plain) code_verifier.
func pkceOK(c *apiCode, verifier string) bool {
	want := verifier
	if !strings.EqualFold(c.method, "plain") {
		sum := sha256.Sum256([]byte(verifier))
		want = base64.RawURLEncoding.EncodeToString(sum[:])
	}
	return verifier != "" && subtle.ConstantTimeCompare([]byte(want), []byte(c.challenge)) == 1
}

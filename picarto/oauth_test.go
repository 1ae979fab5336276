package picarto_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

// authorize follows the authorize URL to the fake and returns the redirect.
func authorize(t *testing.T, authURL string) *url.URL {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %d", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func TestOAuthExchangeAndRefresh(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	ctx := testCtx(t, 10*time.Second)
	cfg := picarto.OAuthConfig(e.fake.OAuthURL()+"/", apiClientID, apiClientSecret, apiRedirect,
		[]string{picarto.ScopeReadPub, picarto.ScopeReadPriv})
	if cfg.Endpoint.AuthURL != e.fake.OAuthURL()+"/authorize" || cfg.Endpoint.TokenURL != e.fake.OAuthURL()+"/token" {
		t.Fatalf("endpoints %+v", cfg.Endpoint)
	}
	loc := authorize(t, cfg.AuthCodeURL("st4te"))
	if loc.Query().Get("state") != "st4te" || !strings.HasPrefix(loc.String(), apiRedirect) {
		t.Fatalf("redirect %s", loc)
	}
	code := loc.Query().Get("code")
	tok, err := e.c.Exchange(ctx, cfg, code)
	if err != nil {
		t.Fatal(err)
	}
	if tok.AccessToken == "" || tok.RefreshToken == "" || picarto.TokenScope(tok) != "readpub readpriv" {
		t.Fatalf("token %+v", tok)
	}
	if d := time.Until(tok.Expiry); d < 99*time.Hour || d > 101*time.Hour {
		t.Errorf("expiry in %v, want 360000 s", d)
	}
	// a code works once
	_, err = e.c.Exchange(ctx, cfg, code)
	if !errors.Is(err, picarto.ErrInvalidGrant) {
		t.Errorf("reused code: %v", err)
	}
	assertNoSecret(t, "exchange error", err.Error(), code)

	c := picarto.NewClient(picarto.Config{BaseURL: e.fake.URL(), Token: secret.Secret(tok.AccessToken)})
	if u, err := c.User(ctx); err != nil || u.Channel.Name != "Goat" {
		t.Fatalf("User with the exchanged token: %v %v", u, err)
	}
	e.fake.ExpireToken(tok.AccessToken)
	if _, err := c.User(ctx); !errors.Is(err, picarto.ErrUnauthorized) {
		t.Fatalf("expired: %v", err)
	}
	tok2, err := e.c.Refresh(ctx, cfg, secret.Secret(tok.RefreshToken))
	if err != nil {
		t.Fatal(err)
	}
	if tok2.AccessToken == tok.AccessToken || tok2.RefreshToken == tok.RefreshToken || tok2.RefreshToken == "" {
		t.Errorf("refresh did not rotate: %+v", tok2)
	}
	c.SetToken(secret.Secret(tok2.AccessToken))
	if _, err := c.User(ctx); err != nil {
		t.Errorf("User after refresh: %v", err)
	}
	_, err = e.c.Refresh(ctx, cfg, secret.Secret(tok.RefreshToken))
	if !errors.Is(err, picarto.ErrInvalidGrant) {
		t.Errorf("old refresh token: %v", err)
	}
	assertNoSecret(t, "refresh error", err.Error(), tok.RefreshToken, tok2.RefreshToken, tok2.AccessToken)

	bad := picarto.OAuthConfig(e.fake.OAuthURL(), apiClientID, "wrong-secret-xyz", apiRedirect, nil)
	_, err = e.c.Refresh(ctx, bad, secret.Secret(tok2.RefreshToken))
	if !errors.Is(err, picarto.ErrInvalidClient) {
		t.Errorf("bad client secret: %v", err)
	}
	assertNoSecret(t, "refresh error", err.Error(), "wrong-secret-xyz", tok2.RefreshToken)
	if _, err := e.c.Refresh(ctx, cfg, ""); !errors.Is(err, picarto.ErrInvalidGrant) {
		t.Errorf("empty refresh token: %v", err)
	}
}

func TestOAuthShortLifetimeAndPKCE(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{TokenLifetime: time.Minute, KeepRefreshTokens: true}, picarto.Config{})
	ctx := testCtx(t, 10*time.Second)
	cfg := picarto.OAuthConfig(e.fake.OAuthURL(), apiClientID, apiClientSecret, apiRedirect, []string{"readpriv"})
	verifier := oauth2.GenerateVerifier()
	loc := authorize(t, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if _, err := e.c.Exchange(ctx, cfg, loc.Query().Get("code")); !errors.Is(err, picarto.ErrInvalidGrant) {
		t.Errorf("exchange without the verifier: %v", err)
	}
	loc = authorize(t, cfg.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	tok, err := e.c.Exchange(ctx, cfg, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Until(tok.Expiry); d > time.Minute {
		t.Errorf("expiry in %v", d)
	}
	for range 2 { // kept refresh tokens work repeatedly
		if _, err := e.c.Refresh(ctx, cfg, secret.Secret(tok.RefreshToken)); err != nil {
			t.Fatal(err)
		}
	}
	// wrong redirect URI: the fake refuses to redirect at all
	wrong := picarto.OAuthConfig(e.fake.OAuthURL(), apiClientID, apiClientSecret, "http://evil.example/cb", nil)
	resp, err := http.Get(wrong.AuthCodeURL("s"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Errorf("mismatched redirect_uri: %d", resp.StatusCode)
	}
}

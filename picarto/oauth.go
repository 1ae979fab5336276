package picarto

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// DefaultOAuthURL is Picarto's OAuth base (contract section 2).
const DefaultOAuthURL = "https://oauth.picarto.tv"

// OAuth scopes (spec 2.1): each includes the ones before it.
const (
	ScopeReadPub  = "readpub"
	ScopeReadPriv = "readpriv"
	ScopeWrite    = "write"
	ScopeSudo     = "sudo"
)

// Sentinels for OAuth token endpoint failures; an *OAuthError matches them.
var (
	// ErrInvalidGrant: the authorization code or refresh token is invalid,
	// expired or already used. The user has to sign in again.
	ErrInvalidGrant = errors.New("picarto: oauth: the authorization code or refresh token is invalid or expired; sign in with Picarto again")
	// ErrInvalidClient: the OAuth app's client id or client secret is wrong.
	ErrInvalidClient = errors.New("picarto: oauth: the client id or client secret is wrong")
)

// OAuthConfig returns the oauth2 configuration for Picarto's authorize and
// token endpoints below oauthBaseURL (default DefaultOAuthURL): credentials
// travel in the form body, as Picarto's clients send them. Scopes are joined
// with spaces. The returned config holds the client secret in clear text
// (oauth2 needs it so): never log or print it.
func OAuthConfig(oauthBaseURL, clientID string, clientSecret secret.Secret, redirectURL string, scopes []string) *oauth2.Config {
	base := strings.TrimRight(strings.TrimSpace(oauthBaseURL), "/")
	if base == "" {
		base = DefaultOAuthURL
	}
	return &oauth2.Config{
		ClientID:     clientID,
		ClientSecret: clientSecret.Reveal(),
		Endpoint: oauth2.Endpoint{
			AuthURL:   base + "/authorize",
			TokenURL:  base + "/token",
			AuthStyle: oauth2.AuthStyleInParams,
		},
		RedirectURL: redirectURL,
		Scopes:      scopes,
	}
}

// OAuthError is a failed token request: the OAuth error code and
// description (with every secret of the request removed) or, for a failure
// before an answer, the transport error.
type OAuthError struct {
	Op          string // "exchange" or "refresh"
	Status      int    // HTTP status; 0 when no answer came
	Code        string // e.g. "invalid_grant"
	Description string
	Err         error // the transport error when Status is 0
}

// Error implements error.
func (e *OAuthError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "picarto: oauth %s", e.Op)
	if e.Status != 0 {
		fmt.Fprintf(&b, ": %d", e.Status)
	}
	if e.Code != "" {
		b.WriteString(" " + e.Code)
	}
	if e.Description != "" {
		b.WriteString(": " + e.Description)
	}
	if e.Err != nil {
		b.WriteString(": " + e.Err.Error())
	}
	return b.String()
}

// Unwrap returns the transport error, if any.
func (e *OAuthError) Unwrap() error { return e.Err }

// Is matches ErrInvalidGrant and ErrInvalidClient by code, and
// ErrInvalidClient for a bare 401.
func (e *OAuthError) Is(target error) bool {
	switch target {
	case ErrInvalidGrant:
		return e.Code == "invalid_grant"
	case ErrInvalidClient:
		return e.Code == "invalid_client" || (e.Code == "" && e.Status == http.StatusUnauthorized)
	}
	return false
}

// Exchange trades an authorization code for a token at cfg's token endpoint,
// sent through the client's *http.Client. Errors never contain the code, the
// client secret or any token.
func (c *Client) Exchange(ctx context.Context, cfg *oauth2.Config, code string, opts ...oauth2.AuthCodeOption) (*oauth2.Token, error) {
	tok, err := cfg.Exchange(c.oauthContext(ctx), code, opts...)
	if err != nil {
		return nil, c.oauthError("exchange", err, cfg.ClientSecret, code)
	}
	return tok, nil
}

// Refresh gets a new token for refreshToken. Store the returned
// RefreshToken: Picarto may rotate it (when the answer has none, the old one
// is kept in the returned token).
func (c *Client) Refresh(ctx context.Context, cfg *oauth2.Config, refreshToken secret.Secret) (*oauth2.Token, error) {
	if refreshToken.IsZero() {
		return nil, &OAuthError{Op: "refresh", Code: "invalid_grant", Description: "no refresh token"}
	}
	tok, err := cfg.TokenSource(c.oauthContext(ctx), &oauth2.Token{RefreshToken: refreshToken.Reveal()}).Token()
	if err != nil {
		return nil, c.oauthError("refresh", err, cfg.ClientSecret, refreshToken.Reveal())
	}
	return tok, nil
}

// TokenScope returns the scope a token response granted ("" if none).
func TokenScope(t *oauth2.Token) string {
	if t == nil {
		return ""
	}
	s, _ := t.Extra("scope").(string)
	return s
}

func (c *Client) oauthContext(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.hc)
}

// oauthError converts an oauth2 failure, whose text may quote the response
// body, into an *OAuthError without secrets.
func (c *Client) oauthError(op string, err error, extra ...string) error {
	secrets := append(c.secrets(), extra...)
	scrub := func(s string) string { return clipText(secret.Scrub(s, secrets...), maxMessage) }
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		oe := &OAuthError{Op: op, Code: scrub(re.ErrorCode), Description: scrub(re.ErrorDescription)}
		if re.Response != nil {
			oe.Status = re.Response.StatusCode
		}
		if oe.Code == "" && oe.Description == "" {
			oe.Description = scrub(apiErrorMessage(re.Body))
		}
		return oe
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		if s := scrub(inner.Error()); s != inner.Error() {
			inner = errors.New(s)
		}
		return &OAuthError{Op: op, Err: &url.Error{Op: ue.Op, URL: scrub(ue.URL), Err: inner}}
	}
	return &OAuthError{Op: op, Err: errors.New(scrub(err.Error()))}
}

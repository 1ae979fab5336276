// Package picarto speaks Picarto.tv: the REST API (api.picarto.tv/api/v1),
// its OAuth2 endpoints, webhook callbacks and the bot chat. It knows no
// Streamer.bot word. Lenient decoding of Picarto's quirks
// (../shared/specs/picarto-api.md section 10) lives here and only here.
package picarto

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/ratelimit"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// DefaultBaseURL is the REST base used when Config.BaseURL is empty.
const DefaultBaseURL = "https://api.picarto.tv/api/v1"

// Defaults for Config.
const (
	DefaultRateLimit  = 30
	DefaultMaxRetries = 3
	DefaultMaxPages   = 200
)

// Config configures a Client. Zero values take the documented defaults.
type Config struct {
	// BaseURL is the REST base, default DefaultBaseURL. Both the current
	// ".../api/v1" and the 2017 ".../v1" forms work.
	BaseURL string
	// Token is the user's OAuth access token, sent as "Authorization: Bearer".
	Token secret.Secret
	// ClientID and ClientSecret are the OAuth app's credentials, needed to
	// list and delete webhooks.
	ClientID     string
	ClientSecret secret.Secret
	// HTTPClient sends every request; default a client with a 30 s timeout.
	HTTPClient *http.Client
	// Limiter is the shared request budget: at most N requests in any
	// window (contract section 8). Default ratelimit.New(30, time.Minute).
	// Pass the same Window to every client that shares Picarto's budget.
	Limiter *ratelimit.Window
	// Logger receives retry and rate-limit lines; nil discards.
	Logger *slog.Logger
	// MaxRetries bounds retries after 5xx, 429 and network errors; 0 means
	// DefaultMaxRetries, a negative value means none.
	MaxRetries int
	// RetryInitial and RetryMax shape the jittered exponential backoff
	// between retries of 5xx and network errors (default 500ms and 10s).
	RetryInitial, RetryMax time.Duration
	// MaxPages stops Followers/Subscribers after this many pages (default
	// DefaultMaxPages) with an error, so a server that never sends the
	// empty page cannot loop forever.
	MaxPages int
	// UserAgent is sent with every request (default "picarto-bridge").
	UserAgent string
}

// Client calls the Picarto REST API. It is safe for concurrent use. Every
// request, retries included, first waits on the shared Limiter; a 429 pauses
// every request of the Limiter until Picarto's Retry-After.
type Client struct {
	base       *url.URL
	hc         *http.Client
	lim        *ratelimit.Window
	log        *slog.Logger
	maxRetries int
	retryInit  time.Duration
	retryMax   time.Duration
	maxPages   int
	userAgent  string

	mu           sync.RWMutex
	token        secret.Secret
	clientID     string
	clientSecret secret.Secret
}

// NewClient returns a Client for cfg. A BaseURL that does not parse falls
// back to DefaultBaseURL with an error logged.
func NewClient(cfg Config) *Client {
	c := &Client{
		hc: cfg.HTTPClient, lim: cfg.Limiter, log: cfg.Logger,
		maxRetries: cfg.MaxRetries, retryInit: cfg.RetryInitial, retryMax: cfg.RetryMax,
		maxPages: cfg.MaxPages, userAgent: cfg.UserAgent,
		token: cfg.Token, clientID: cfg.ClientID, clientSecret: cfg.ClientSecret,
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	c.log = c.log.With("component", "picarto")
	if c.hc == nil {
		c.hc = &http.Client{Timeout: 30 * time.Second}
	}
	if c.lim == nil {
		c.lim = ratelimit.New(DefaultRateLimit, time.Minute)
	}
	switch {
	case c.maxRetries == 0:
		c.maxRetries = DefaultMaxRetries
	case c.maxRetries < 0:
		c.maxRetries = 0
	}
	if c.retryInit <= 0 {
		c.retryInit = 500 * time.Millisecond
	}
	if c.retryMax <= 0 {
		c.retryMax = 10 * time.Second
	}
	if c.maxPages <= 0 {
		c.maxPages = DefaultMaxPages
	}
	if c.userAgent == "" {
		c.userAgent = "picarto-bridge"
	}
	base := strings.TrimSpace(cfg.BaseURL)
	if base == "" {
		base = DefaultBaseURL
	}
	u, err := url.Parse(strings.TrimRight(base, "/"))
	if err != nil || u.Scheme == "" || u.Host == "" {
		c.log.Error("picarto: bad REST base URL, using the default", "default", DefaultBaseURL)
		u, _ = url.Parse(DefaultBaseURL)
	}
	u.RawQuery, u.Fragment = "", ""
	c.base = u
	return c
}

// SetToken replaces the Bearer token for all later requests.
func (c *Client) SetToken(t secret.Secret) {
	c.mu.Lock()
	c.token = t
	c.mu.Unlock()
}

// SetAppCredentials replaces the OAuth app's client id and secret.
func (c *Client) SetAppCredentials(clientID string, clientSecret secret.Secret) {
	c.mu.Lock()
	c.clientID, c.clientSecret = clientID, clientSecret
	c.mu.Unlock()
}

// Limiter returns the request budget the client waits on.
func (c *Client) Limiter() *ratelimit.Window { return c.lim }

// HTTPClient returns the *http.Client the client sends with.
func (c *Client) HTTPClient() *http.Client { return c.hc }

// BaseURL returns the REST base in use.
func (c *Client) BaseURL() string { return c.base.String() }

func (c *Client) creds() (token secret.Secret, clientID string, clientSecret secret.Secret) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.token, c.clientID, c.clientSecret
}

// secrets returns every secret value the client knows, for secret.Scrub.
func (c *Client) secrets() []string {
	t, _, s := c.creds()
	return []string{t.Reveal(), s.Reveal()}
}

// authMode says which credentials a request carries.
type authMode int

const (
	authNone   authMode = iota // public endpoint; no header
	authBearer                 // the user's token; error when unset
	authApp                    // client_id and client_secret in the query
	authMaybe                  // the token when set (adds `following`), else none
)

// request describes one REST call; do builds a fresh *http.Request from it
// for every attempt.
type request struct {
	method string
	path   string // below the base, already escaped, e.g. "/channel/name/Goat"
	query  url.Values
	form   url.Values // urlencoded body (POST)
	auth   authMode
}

// response is a fully read response.
type response struct {
	status int
	header http.Header
	body   []byte
}

// maxResponse caps how much of a response body is read.
const maxResponse = 8 << 20

// errNoToken and errNoAppCreds fail a request before it is sent.
var (
	errNoToken    = errors.New("picarto: no Bearer token configured")
	errNoAppCreds = errors.New("picarto: no OAuth client id and client secret configured")
	errEmptyArray = errors.New("picarto: empty array where an object was expected")
)

// newHTTPRequest builds the *http.Request for r.
func (c *Client) newHTTPRequest(ctx context.Context, r request) (*http.Request, error) {
	token, clientID, clientSecret := c.creds()
	q := url.Values{}
	for k, v := range r.query {
		q[k] = v
	}
	switch r.auth {
	case authBearer:
		if token.IsZero() {
			return nil, errNoToken
		}
	case authApp:
		if clientID == "" || clientSecret.IsZero() {
			return nil, errNoAppCreds
		}
		q.Set("client_id", clientID)
		q.Set("client_secret", clientSecret.Reveal())
	}
	target := c.base.String() + r.path
	if len(q) > 0 {
		target += "?" + q.Encode()
	}
	var body io.Reader
	if r.form != nil {
		body = strings.NewReader(r.form.Encode())
	}
	req, err := http.NewRequestWithContext(ctx, r.method, target, body)
	if err != nil {
		return nil, err
	}
	if r.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "application/json")
	req.Header.Set("User-Agent", c.userAgent)
	if (r.auth == authBearer || r.auth == authMaybe) && !token.IsZero() {
		req.Header.Set("Authorization", "Bearer "+token.Reveal())
	}
	return req, nil
}

// apiError builds the *APIError for a non-2xx response.
func (c *Client) apiError(r request, resp *response) *APIError {
	return &APIError{
		Method: r.method, Path: r.path, Status: resp.status,
		Message: secret.Scrub(apiErrorMessage(resp.body), c.secrets()...),
	}
}

package picarto_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

// A hostile server echoes everything it received (headers, query, body)
// into its error answers; no token or secret may come back out of the
// client in an error string or a log line.
func TestNoSecretInErrorsOrLogs(t *testing.T) {
	const refreshToken, code = "refresh-tok-4c3b2a1", "auth-code-8e7f6a5"
	echo := func(status int) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			text := fmt.Sprintf("you sent %s ?%s %s", r.Header.Get("Authorization"), r.URL.RawQuery, body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": text, "error": "invalid_grant", "error_description": text})
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/v1/user", echo(401))
	mux.HandleFunc("/api/v1/webhooks", echo(403))
	mux.HandleFunc("/api/v1/channel/name/goat", echo(502))
	mux.HandleFunc("/api/v1/user/followers", echo(429))
	mux.HandleFunc("/oauth/token", echo(400))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	log := &apiLog{}
	c := picarto.NewClient(picarto.Config{BaseURL: srv.URL + "/api/v1", Token: apiToken, ClientID: apiClientID,
		ClientSecret: apiClientSecret, Logger: log.logger(), MaxRetries: 1,
		RetryInitial: time.Millisecond, RetryMax: 2 * time.Millisecond, Limiter: newLimiter(100, 50*time.Millisecond)})
	ctx := testCtx(t, 20*time.Second)
	var errs []error
	_, err := c.User(ctx)
	errs = append(errs, err)
	_, err = c.ListWebhooks(ctx, 1)
	errs = append(errs, err)
	errs = append(errs, c.DeleteWebhook(ctx, "5"))
	_, err = c.ChannelByName(ctx, "goat")
	errs = append(errs, err)
	_, err = c.Followers(ctx)
	errs = append(errs, err)
	_, err = c.CreateWebhook(ctx, picarto.WebhookFollow, "https://example.com/x")
	errs = append(errs, err)
	cfg := picarto.OAuthConfig(srv.URL+"/oauth", apiClientID, apiClientSecret, apiRedirect, nil)
	_, err = c.Exchange(ctx, cfg, code)
	errs = append(errs, err)
	_, err = c.Refresh(ctx, cfg, secret.Secret(refreshToken))
	errs = append(errs, err)

	// transport errors: the query string (client_secret) must not leak
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	dead := ln.Addr().String()
	ln.Close()
	d := picarto.NewClient(picarto.Config{BaseURL: "http://" + dead + "/api/v1", Token: apiToken, ClientID: apiClientID,
		ClientSecret: apiClientSecret, Logger: log.logger(), MaxRetries: 1, RetryInitial: time.Millisecond})
	_, err = d.ListWebhooks(ctx, 0)
	errs = append(errs, err)
	errs = append(errs, d.DeleteWebhook(ctx, "9"))
	_, err = d.Refresh(ctx, picarto.OAuthConfig("http://"+dead, apiClientID, apiClientSecret, "", nil), secret.Secret(refreshToken))
	errs = append(errs, err)

	// and against the strict fake: wrong token and wrong app secret
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{Token: "wrong-token-abc123", ClientSecret: "wrong-secret-abc123", ClientID: apiClientID})
	_, err = e.c.User(ctx)
	errs = append(errs, err)
	_, err = e.c.ListWebhooks(ctx, 0)
	errs = append(errs, err)

	for i, err := range errs {
		if err == nil {
			t.Errorf("case %d: no error", i)
			continue
		}
		assertNoSecret(t, fmt.Sprintf("error %d", i), err.Error(), refreshToken, code, "wrong-token-abc123", "wrong-secret-abc123")
		assertNoSecret(t, fmt.Sprintf("error %d (%%#v)", i), fmt.Sprintf("%#v", err), refreshToken, code, "wrong-token-abc123", "wrong-secret-abc123")
	}
	logs := log.String() + e.log.String()
	if logs == "" {
		t.Error("nothing was logged; the test would not see a leak")
	}
	assertNoSecret(t, "log output", logs, refreshToken, code, "wrong-token-abc123", "wrong-secret-abc123")
}

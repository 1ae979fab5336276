package picarto_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

// newHookTarget is a receiver that answers the probe (GET) with status.
func newHookTarget(t *testing.T, status int) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(status)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestWebhookLifecycle(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	ctx := testCtx(t, 10*time.Second)
	target := newHookTarget(t, http.StatusOK)
	uri := target.URL + "/webhook/abc"

	start := time.Now()
	ids := map[picarto.WebhookType]string{}
	for _, typ := range picarto.WebhookTypes {
		id, err := e.c.CreateWebhook(ctx, typ, uri)
		if err != nil {
			t.Fatalf("create %s: %v", typ, err)
		}
		ids[typ] = id
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("eight registrations took %v: the budget should allow a burst", d)
	}
	if len(ids) != 8 || ids[picarto.WebhookFollow] == "" {
		t.Fatalf("ids = %v", ids)
	}
	_, err := e.c.CreateWebhook(ctx, picarto.WebhookFollow, uri)
	if !errors.Is(err, picarto.ErrWebhookExists) {
		t.Errorf("duplicate: %v", err)
	}
	if _, err := e.c.CreateWebhook(ctx, "tip", uri); !errors.Is(err, picarto.ErrNotFound) {
		t.Errorf("unknown type: %v", err)
	}

	hooks, err := e.c.ListWebhooks(ctx, apiChannelID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hooks) != 8 {
		t.Fatalf("listed %d hooks", len(hooks))
	}
	for _, h := range hooks {
		if h.ChannelID != apiChannelID || h.ChannelName != "Goat" || h.URI != uri || ids[h.Type] != h.ID {
			t.Errorf("hook %+v", h)
		}
	}
	if other, err := e.c.ListWebhooks(ctx, 4242); err != nil || len(other) != 0 {
		t.Errorf("other channel: %v %v", other, err)
	}
	if err := e.c.DeleteWebhook(ctx, ids[picarto.WebhookOnline]); err != nil {
		t.Fatal(err)
	}
	if err := e.c.DeleteWebhook(ctx, ids[picarto.WebhookOnline]); !errors.Is(err, picarto.ErrNotFound) {
		t.Errorf("second delete: %v", err)
	}
	if n := len(e.fake.Webhooks()); n != 7 {
		t.Errorf("fake holds %d hooks after a delete", n)
	}

	e.c.SetAppCredentials(apiClientID, "wrong-secret-123")
	if _, err := e.c.ListWebhooks(ctx, 0); !errors.Is(err, picarto.ErrForbidden) {
		t.Errorf("bad app secret: %v", err)
	}
	if err := e.c.DeleteWebhook(ctx, ids[picarto.WebhookFollow]); !errors.Is(err, picarto.ErrForbidden) {
		t.Errorf("bad app secret on delete: %v", err)
	}
	// another app sees none of them
	e.fake.AddApp("other-app", "other-secret", "http://localhost/cb")
	e.c.SetAppCredentials("other-app", "other-secret")
	if hs, err := e.c.ListWebhooks(ctx, 0); err != nil || len(hs) != 0 {
		t.Errorf("other app lists %v %v", hs, err)
	}
	if err := e.c.DeleteWebhook(ctx, ids[picarto.WebhookFollow]); !errors.Is(err, picarto.ErrNotFound) {
		t.Errorf("other app deletes: %v", err)
	}
	e.c.SetAppCredentials("", "")
	if _, err := e.c.ListWebhooks(ctx, 0); err == nil || !strings.Contains(err.Error(), "client id") {
		t.Errorf("no app credentials: %v", err)
	}
}

func TestWebhookUnverified(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{ProbeTimeout: time.Second}, picarto.Config{})
	ctx := testCtx(t, 10*time.Second)
	for _, uri := range []string{
		newHookTarget(t, http.StatusNotFound).URL + "/webhook/x",
		"http://127.0.0.1:1/webhook/x", // nothing listens
	} {
		_, err := e.c.CreateWebhook(ctx, picarto.WebhookFollow, uri)
		if !errors.Is(err, picarto.ErrWebhookUnverified) {
			t.Fatalf("%s: err = %v", uri, err)
		}
		if !strings.Contains(err.Error(), "not reachable from the internet") {
			t.Errorf("425 text does not tell the user why: %v", err)
		}
	}
	if len(e.fake.Webhooks()) != 0 {
		t.Error("an unverified webhook was stored")
	}
}

func TestWebhookCreateRetriedOn5xx(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	target := newHookTarget(t, http.StatusNoContent)
	e.fake.FailNext(503, 1)
	id, err := e.c.CreateWebhook(testCtx(t, 5*time.Second), picarto.WebhookOffline, target.URL+"/h")
	if err != nil || id == "" {
		t.Fatalf("id %q err %v", id, err)
	}
	if hs := e.fake.Webhooks(); len(hs) != 1 || hs[0].ID != id || hs[0].ClientID != apiClientID {
		t.Errorf("fake hooks %+v", hs)
	}
}

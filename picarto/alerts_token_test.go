package picarto_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/ratelimit"
	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

func TestAlertTokenByID(t *testing.T) {
	h := newAlertHarness(t, picartotest.AlertsOptions{RequireOrigin: true})
	defer h.srv.Close()
	lim := ratelimit.New(30, time.Minute)
	cfg := h.config()
	cfg.Limiter = lim
	a := picarto.NewAlerts(cfg)
	tok, err := a.FetchToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if tok.Key.IsZero() || tok.Widget.IsZero() || tok.Key == tok.Widget || tok.ChannelID != alertTestChannelID {
		t.Fatalf("token = %+v", tok)
	}
	if got := lim.InWindow(); got != 2 {
		t.Errorf("shared budget used %d times, want 2 (both GraphQL calls count, contract §8)", got)
	}
	reqs := h.srv.GraphQLRequests()
	if len(reqs) != 2 {
		t.Fatalf("%d GraphQL requests, want 2: %+v", len(reqs), reqs)
	}
	a1, b1 := reqs[0], reqs[1]
	if !reflect.DeepEqual(a1.Fields, []string{"generateJwtToken"}) || a1.OperationName != "generateToken" ||
		!reflect.DeepEqual(a1.Variables, map[string]any{"channelId": float64(alertTestChannelID)}) {
		t.Errorf("step A = %+v", a1)
	}
	if !reflect.DeepEqual(b1.Fields, []string{"__typename", "generateJwtTokenFromKey"}) ||
		b1.OperationName != "generateJwtTokenFromKey" || b1.Variables["key"] != tok.Key.Reveal() {
		t.Errorf("step B = %+v", b1)
	}
	for _, r := range reqs {
		if r.Status != 200 || len(r.Errors) > 0 || r.Method != "POST" || r.ContentType != "application/json" ||
			r.Accept != "application/json" || r.Origin != "https://picarto.tv" || !strings.HasPrefix(r.UserAgent, "Mozilla/5.0") {
			t.Errorf("request = %+v", r)
		}
	}
	h.checkNoTokens()
}

func TestAlertTokenByNameResolvesOnce(t *testing.T) {
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	cfg := h.config()
	cfg.ChannelID, cfg.ChannelName = 0, "  mychannel "
	a := picarto.NewAlerts(cfg)
	for range 2 {
		tok, err := a.FetchToken(t.Context())
		if err != nil || tok.ChannelID != alertTestChannelID {
			t.Fatalf("token = %+v, %v", tok, err)
		}
	}
	var fields []string
	for _, r := range h.srv.GraphQLRequests() {
		fields = append(fields, r.Fields[len(r.Fields)-1])
	}
	want := []string{"channel", "generateJwtToken", "generateJwtTokenFromKey", "generateJwtToken", "generateJwtTokenFromKey"}
	if !reflect.DeepEqual(fields, want) {
		t.Errorf("requests = %v, want %v (the id is looked up once)", fields, want)
	}
}

func TestAlertTokenFallsBackToName(t *testing.T) {
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	cfg := h.config()
	cfg.ChannelID = 999 // not the channel's id: step A by id answers key:null
	tok, err := picarto.NewAlerts(cfg).FetchToken(t.Context())
	if err != nil || tok.Widget.IsZero() {
		t.Fatalf("token = %+v, %v", tok, err)
	}
	reqs := h.srv.GraphQLRequests()
	if len(reqs) != 3 || !reflect.DeepEqual(reqs[1].Variables, map[string]any{"channelName": alertTestChannel}) {
		t.Errorf("requests = %+v", reqs)
	}
}

func TestAlertTokenUnknownChannel(t *testing.T) {
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	for name, cfgFn := range map[string]func(*picarto.AlertsConfig){
		"name":    func(c *picarto.AlertsConfig) { c.ChannelID, c.ChannelName = 0, "nobody" },
		"id":      func(c *picarto.AlertsConfig) { c.ChannelID, c.ChannelName = 31337, "" },
		"nothing": func(c *picarto.AlertsConfig) { c.ChannelID, c.ChannelName = 0, "" },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := h.config()
			cfgFn(&cfg)
			a := picarto.NewAlerts(cfg)
			if _, err := a.FetchToken(t.Context()); !errors.Is(err, picarto.ErrAlertsUnknownChannel) {
				t.Fatalf("FetchToken err = %v, want ErrAlertsUnknownChannel", err)
			}
			before := len(h.srv.GraphQLRequests())
			run := h.run(a)
			if err := run.wait(); !errors.Is(err, picarto.ErrAlertsUnknownChannel) {
				t.Fatalf("Run = %v, want ErrAlertsUnknownChannel at once", err)
			}
			if n := len(h.srv.GraphQLRequests()) - before; n > 1 {
				t.Errorf("Run made %d GraphQL requests for an unknown channel", n)
			}
		})
	}
	cfg := h.config()
	cfg.ChannelID, cfg.ChannelName = 31337, ""
	_, err := picarto.NewAlerts(cfg).FetchToken(t.Context())
	if !errors.Is(err, picarto.ErrAlertsNoKey) {
		t.Errorf("null key: err = %v, want also ErrAlertsNoKey", err)
	}
}

func TestAlertTokenStepBErrors(t *testing.T) {
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	cfg := h.config()
	const bogus = "eyJhbGciOiJIUzI1NiJ9.eyJjaGFubmVsSWQiOjF9.Zm9yZ2VkLXNpZ25hdHVyZQ"
	cfg.Key = bogus // a user-supplied key the server did not issue
	_, err := picarto.NewAlerts(cfg).FetchToken(t.Context())
	var gerr *picarto.AlertsGraphQLError
	if !errors.Is(err, picarto.ErrAlertsNoKey) || !errors.As(err, &gerr) {
		t.Fatalf("err = %v, want ErrAlertsNoKey and *AlertsGraphQLError", err)
	}
	if gerr.Operation != "generateJwtTokenFromKey" || gerr.Status != 200 || !reflect.DeepEqual(gerr.Messages, []string{"invalid key"}) {
		t.Errorf("graphql error = %+v", gerr)
	}
	if strings.Contains(err.Error(), bogus) || strings.Contains(err.Error(), "Zm9yZ2VkLXNpZ25hdHVyZQ") {
		t.Errorf("error shows the key: %v", err)
	}
}

func TestAlertTokenServiceFailures(t *testing.T) {
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	for _, c := range []struct {
		status, n, wantStatus int
		wantMsg               string
	}{
		{0, 2, 200, "Internal server error"}, // both step-A variants fail
		{500, 1, 500, "Internal Server Error"},
		{429, 1, 429, "Too Many Requests"},
	} {
		lim := ratelimit.New(30, time.Minute)
		cfg := h.config()
		cfg.Limiter = lim
		h.srv.FailGraphQL(c.status, c.n)
		_, err := picarto.NewAlerts(cfg).FetchToken(t.Context())
		var gerr *picarto.AlertsGraphQLError
		if !errors.As(err, &gerr) || gerr.Status != c.wantStatus || len(gerr.Messages) == 0 || gerr.Messages[0] != c.wantMsg {
			t.Errorf("status %d: err = %#v", c.status, err)
		}
		if c.status == 429 {
			ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
			if err := lim.Wait(ctx); err == nil {
				t.Errorf("429 did not pause the shared budget")
			}
			cancel()
		}
	}
}

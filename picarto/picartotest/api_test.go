package picartotest_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

func apiTFake(t *testing.T, opts picartotest.APIOptions) *picartotest.API {
	t.Helper()
	a, err := picartotest.NewAPI(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(a.Close)
	a.AddChannel(picartotest.Channel{ID: 1, Name: "Goat", Online: true, Viewers: 3, Category: []string{"Furry"}, Adult: true})
	a.AddChannel(picartotest.Channel{ID: 2, Name: "Bird", Online: true, Category: []string{"Animation"}, ChatLevel: 2})
	a.AddToken("tok", 1)
	a.AddToken("pub", 1, "readpub")
	a.AddApp("app", "sec", "http://localhost/cb")
	return a
}

// apiTDo sends a request and returns status, headers and the decoded JSON.
func apiTDo(t *testing.T, method, u, token, form string) (int, http.Header, any) {
	t.Helper()
	var body io.Reader
	if form != "" {
		body = strings.NewReader(form)
	}
	req, _ := http.NewRequest(method, u, body)
	if form != "" {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var v any
	if json.Unmarshal(raw, &v) != nil {
		v = string(raw)
	}
	return resp.StatusCode, resp.Header, v
}

func TestFakeRESTShapes(t *testing.T) {
	a := apiTFake(t, picartotest.APIOptions{})
	for _, base := range []string{a.URL(), a.LegacyURL()} {
		st, _, v := apiTDo(t, "GET", base+"/channel/name/gOaT", "", "")
		ch, _ := v.(map[string]any)
		if st != 200 || ch["name"] != "Goat" || ch["account_type"] != "PREMIUM" || ch["last_live"] != nil {
			t.Errorf("%s: %d %v", base, st, v)
		}
		if _, has := ch["following"]; has {
			t.Error("following without a token")
		}
		if cs, _ := ch["chat_settings"].(map[string]any); cs["level"] != false {
			t.Errorf("level %v, want false", cs["level"])
		}
		if cats, _ := ch["category"].([]any); len(cats) != 1 {
			t.Errorf("category %v", ch["category"])
		}
	}
	st, _, v := apiTDo(t, "GET", a.URL()+"/user", "", "")
	if m, _ := v.(map[string]any); st != 401 || m["message"] != "Unauthenticated." || len(m) != 1 {
		t.Errorf("401: %d %v", st, v)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/user", "pub", ""); st != 403 {
		t.Errorf("low scope: %d", st)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/channel/id/x", "", ""); st != 400 {
		t.Errorf("bad id: %d", st)
	}
	st, _, v = apiTDo(t, "GET", a.URL()+"/online?category=animation", "", "")
	if l, _ := v.([]any); st != 200 || len(l) != 1 || l[0].(map[string]any)["category"] != "Animation" || l[0].(map[string]any)["multistream"] != false {
		t.Errorf("online: %v", v)
	}
	if _, _, v = apiTDo(t, "GET", a.URL()+"/online?adult=true&categories=Furry,Art", "", ""); len(v.([]any)) != 1 {
		t.Errorf("online adult: %v", v)
	}
	_, _, v = apiTDo(t, "GET", a.URL()+"/categories", "", "")
	if c := v.([]any)[0].(map[string]any); c["total_views"] != "82" || c["created_at"] != "2021-03-22 23:32:15" {
		t.Errorf("categories: %v", c)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/search/channels", "", ""); st != 400 {
		t.Errorf("search without q: %d", st)
	}
	if _, _, v = apiTDo(t, "GET", a.URL()+"/search/channels?q=o&page=2", "", ""); len(v.([]any)) != 0 {
		t.Errorf("search past the end: %v", v)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/channel/name/goat/videos", "", ""); st != 200 {
		t.Errorf("videos: %d", st)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/nope", "", ""); st != 404 {
		t.Errorf("unknown route: %d", st)
	}
}

func TestFakeListsAndNotifications(t *testing.T) {
	a := apiTFake(t, picartotest.APIOptions{PageSize: 2})
	for i := int64(10); i < 15; i++ {
		a.AddFollower(1, picartotest.User{ID: i, Name: "f" + string(rune('a'+i-10))})
	}
	a.AddFollower(2, picartotest.User{ID: 1, Name: "Goat"})
	a.AddSubscriber(1, picartotest.User{ID: 12, Name: "fc"})
	a.RemoveFollower(1, 14)
	sizes := []int{}
	for p := 1; p <= 3; p++ {
		_, _, v := apiTDo(t, "GET", a.URL()+"/user/followers?page="+string(rune('0'+p)), "tok", "")
		sizes = append(sizes, len(v.([]any)))
	}
	if sizes[0] != 2 || sizes[1] != 2 || sizes[2] != 0 {
		t.Errorf("page sizes %v", sizes)
	}
	if _, _, v := apiTDo(t, "GET", a.URL()+"/user/following", "tok", ""); len(v.([]any)) != 1 {
		t.Errorf("following %v", v)
	}
	_, _, v := apiTDo(t, "GET", a.URL()+"/channel/id/2", "tok", "")
	if v.(map[string]any)["following"] != true {
		t.Errorf("following flag %v", v)
	}
	_, _, v = apiTDo(t, "GET", a.URL()+"/user/notifications", "tok", "")
	ns := v.([]any)
	if len(ns) != 6 || ns[0].(map[string]any)["type"] != "subscribe" {
		t.Fatalf("notifications %v", ns)
	}
	uuid := ns[0].(map[string]any)["uuid"].(string)
	if st, _, _ := apiTDo(t, "POST", a.URL()+"/user/notifications/"+uuid+"/read", "tok", ""); st != 200 {
		t.Errorf("read: %d", st)
	}
	if st, _, _ := apiTDo(t, "POST", a.URL()+"/user/notifications/all/delete", "tok", ""); st != 200 {
		t.Errorf("delete all: %d", st)
	}
	if _, _, v = apiTDo(t, "GET", a.URL()+"/user/notifications?type=follow", "tok", ""); len(v.([]any)) != 0 {
		t.Errorf("after delete: %v", v)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/user/notifications?type=bogus", "tok", ""); st != 400 {
		t.Errorf("bad type: %d", st)
	}
}

func TestFakeRateLimitAndFailures(t *testing.T) {
	a := apiTFake(t, picartotest.APIOptions{RateLimit: 2, RateWindow: time.Hour})
	_, h1, _ := apiTDo(t, "GET", a.URL()+"/categories", "", "")
	_, h2, _ := apiTDo(t, "GET", a.URL()+"/categories", "", "")
	st, h3, v := apiTDo(t, "GET", a.URL()+"/categories", "", "")
	if h1.Get("X-Ratelimit-Limit") != "2" || h1.Get("X-Ratelimit-Remaining") != "1" || h2.Get("X-Ratelimit-Remaining") != "0" {
		t.Errorf("headers %v %v", h1, h2)
	}
	if st != 429 || h3.Get("Retry-After") != "3600" || v.(map[string]any)["message"] != "Too Many Attempts." {
		t.Errorf("429: %d %v %v", st, h3, v)
	}
	a.SetRateLimit(100, time.Minute)
	a.FailNext(502, 1)
	if st, _, v := apiTDo(t, "GET", a.URL()+"/categories", "", ""); st != 502 || v != "error code: 502" {
		t.Errorf("FailNext: %d %v", st, v)
	}
	a.FailNextRateLimited(1, 2*time.Second)
	if st, h, _ := apiTDo(t, "GET", a.URL()+"/categories", "", ""); st != 429 || h.Get("Retry-After") != "2" {
		t.Errorf("forced 429: %d %v", st, h)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/categories", "", ""); st != 200 {
		t.Errorf("after the failures: %d", st)
	}
	reqs := a.Requests()
	if len(reqs) != 6 || reqs[2].Status != 429 || reqs[3].Status != 502 || reqs[0].Path != "/categories" {
		t.Errorf("log %+v", reqs)
	}
	if n := a.MaxInWindow(time.Hour); n != 6 {
		t.Errorf("MaxInWindow(1h) = %d", n)
	}
	if n := a.MaxInWindow(time.Nanosecond); n != 1 {
		t.Errorf("MaxInWindow(1ns) = %d", n)
	}
}

func TestFakeWebhooksAndOAuth(t *testing.T) {
	a := apiTFake(t, picartotest.APIOptions{ProbeMethod: "none"})
	// POST parameters in the query string, as one client sends them
	st, h, _ := apiTDo(t, "POST", a.URL()+"/webhooks?type=follow&uri="+url.QueryEscape("https://x.example/h"), "tok", "")
	if st != 201 || !strings.HasPrefix(h.Get("Location"), "/webhooks/") {
		t.Fatalf("create: %d %v", st, h)
	}
	id := strings.TrimPrefix(h.Get("Location"), "/webhooks/")
	if st, _, _ := apiTDo(t, "POST", a.URL()+"/webhooks", "", "type=follow&uri=https://x.example/h"); st != 401 {
		t.Errorf("no token: %d", st)
	}
	creds := "client_id=app&client_secret=sec"
	st, _, v := apiTDo(t, "GET", a.URL()+"/webhooks/"+id+"?"+creds, "", "")
	if m, _ := v.(map[string]any); st != 200 || m["id"] != id || m["channel"].(map[string]any)["name"] != "Goat" {
		t.Errorf("get: %d %v", st, v)
	}
	if st, _, _ := apiTDo(t, "PUT", a.URL()+"/webhooks/"+id, "", creds+"&uri=https://y.example/h"); st != 201 {
		t.Errorf("put: %d", st)
	}
	if hs := a.Webhooks(); len(hs) != 1 || hs[0].URI != "https://y.example/h" || hs[0].Type != "follow" {
		t.Errorf("after put %+v", hs)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/webhooks?client_id=app&client_secret=nope", "", ""); st != 403 {
		t.Errorf("bad creds: %d", st)
	}
	if st, _, _ := apiTDo(t, "POST", a.URL()+"/webhooks", "tok", "type=follow&uri=not-a-url"); st != 422 {
		t.Errorf("bad uri: %d", st)
	}

	// implicit flow
	st, h, _ = apiTDo(t, "GET", a.OAuthURL()+"/authorize?response_type=token&client_id=app&redirect_uri="+
		url.QueryEscape("http://localhost/cb")+"&scope=readpub+readpriv&state=s1", "", "")
	loc, _ := url.Parse(h.Get("Location"))
	frag, _ := url.ParseQuery(loc.Fragment)
	if st != 302 || frag.Get("access_token") == "" || frag.Get("state") != "s1" || frag.Get("token_type") != "Bearer" {
		t.Fatalf("implicit: %d %v", st, h)
	}
	if st, _, _ := apiTDo(t, "GET", a.URL()+"/user", frag.Get("access_token"), ""); st != 200 {
		t.Errorf("implicit token on /user: %d", st)
	}
	for _, tc := range []struct {
		form string
		st   int
		code string
	}{
		{"grant_type=password&client_id=app&client_secret=sec", 400, "unsupported_grant_type"},
		{"grant_type=refresh_token&refresh_token=x&client_id=app&client_secret=bad", 401, "invalid_client"},
		{"grant_type=refresh_token&refresh_token=x&client_id=app&client_secret=sec", 400, "invalid_grant"},
		{"client_id=app&client_secret=sec", 400, "invalid_request"},
	} {
		st, _, v := apiTDo(t, "POST", a.OAuthURL()+"/token", "", tc.form)
		if m, _ := v.(map[string]any); st != tc.st || m["error"] != tc.code || m["error_description"] == "" {
			t.Errorf("%s: %d %v", tc.form, st, v)
		}
	}
	if st, _, _ := apiTDo(t, "GET", a.OAuthURL()+"/authorize?response_type=code&client_id=nope", "", ""); st != 400 {
		t.Errorf("unknown client: %d", st)
	}
}

package picartotest

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"
)

const (
	alertTQueryKey    = `query generateToken($channelId: Int, $channelName: String, $userId: Int) { generateJwtToken(channel_id: $channelId, channel_name: $channelName, user_id: $userId) { key __typename } }`
	alertTQueryWidget = `query generateJwtTokenFromKey($key: String!) { __typename generateJwtTokenFromKey(key: $key) { key __typename } }`
)

func alertTServer(t *testing.T, opts AlertsOptions) *AlertsServer {
	t.Helper()
	s, err := NewAlertsServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	s.AddChannel(7, "MyChannel")
	return s
}

// alertTPost sends one GraphQL request and decodes the answer.
func alertTPost(t *testing.T, s *AlertsServer, ctype, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, s.GraphQLURL(), strings.NewReader(body))
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	req.Header.Set("Origin", "https://picarto.tv")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

// alertTWait waits until cond holds, re-checking at every change.
func alertTWait(t *testing.T, s *AlertsServer, cond func() bool) {
	t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		ch := s.Changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatal("condition never held")
		}
	}
}

func alertTBody(query string, vars map[string]any) string {
	b, _ := json.Marshal(map[string]any{"query": query, "variables": vars})
	return string(b)
}

func alertTErr(out map[string]any) string {
	errs, _ := out["errors"].([]any)
	if len(errs) == 0 {
		return ""
	}
	return errs[0].(map[string]any)["message"].(string)
}

// alertTKey runs step A and returns the key (or "" when null).
func alertTKey(t *testing.T, s *AlertsServer, vars map[string]any) string {
	t.Helper()
	_, out := alertTPost(t, s, "application/json", alertTBody(alertTQueryKey, vars))
	data, _ := out["data"].(map[string]any)
	f, _ := data["generateJwtToken"].(map[string]any)
	if f["__typename"] != "JwtResponse" {
		t.Fatalf("step A answer = %v", out)
	}
	k, _ := f["key"].(string)
	return k
}

func alertTWidget(t *testing.T, s *AlertsServer, key string) (string, map[string]any) {
	t.Helper()
	_, out := alertTPost(t, s, "application/json", alertTBody(alertTQueryWidget, map[string]any{"key": key}))
	data, _ := out["data"].(map[string]any)
	f, _ := data["generateJwtTokenFromKey"].(map[string]any)
	tok, _ := f["key"].(string)
	return tok, out
}

func alertTClaims(t *testing.T, jwt string) map[string]any {
	t.Helper()
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", jwt)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var c map[string]any
	if err != nil || json.Unmarshal(b, &c) != nil {
		t.Fatalf("claims of %q: %v", jwt, err)
	}
	return c
}

func TestAlertsFakeTokenFlow(t *testing.T) {
	s := alertTServer(t, AlertsOptions{})
	key := alertTKey(t, s, map[string]any{"channelId": 7})
	if c := alertTClaims(t, key); c["channelId"] != float64(7) || c["channelName"] != "MyChannel" || c["userId"] != float64(0) || c["exp"] != nil {
		t.Errorf("key claims = %v", c)
	}
	if byName := alertTKey(t, s, map[string]any{"channelName": "mychannel"}); byName != key {
		t.Errorf("key by name differs from key by id")
	}
	if k := alertTKey(t, s, map[string]any{"channelName": "nobody"}); k != "" {
		t.Errorf("unknown channel: key %q, want null", k)
	}
	w1, out := alertTWidget(t, s, key)
	w2, _ := alertTWidget(t, s, key)
	if w1 == "" || w1 == w2 || w1 == key || alertTClaims(t, w1)["w"] != float64(1) {
		t.Fatalf("widget tokens %q %q: %v", w1, w2, out)
	}
	if out["data"].(map[string]any)["__typename"] != "Query" {
		t.Errorf("root __typename missing: %v", out)
	}
	for _, bad := range []string{"x.y.z", w1, ""} {
		tok, out := alertTWidget(t, s, bad)
		if tok != "" || alertTErr(out) != "invalid key" {
			t.Errorf("step B with %q: %v", bad, out)
		}
	}
	if s.KeysIssued() != 2 || s.TokensIssued() != 2 || len(s.IssuedTokens()) != 4 {
		t.Errorf("counters keys %d tokens %d issued %d", s.KeysIssued(), s.TokensIssued(), len(s.IssuedTokens()))
	}
}

func TestAlertsFakeGraphQLIsStrict(t *testing.T) {
	s := alertTServer(t, AlertsOptions{})
	resp, err := http.Get(s.GraphQLURL() + "?query=%7B__typename%7D")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: %d", resp.StatusCode)
	}
	if st, _ := alertTPost(t, s, "text/plain", alertTBody(alertTQueryKey, nil)); st != http.StatusUnsupportedMediaType {
		t.Errorf("text/plain: %d", st)
	}
	if st, out := alertTPost(t, s, "application/json", `{"variables":{}}`); st != http.StatusBadRequest || alertTErr(out) != "Must provide query string." {
		t.Errorf("no query: %d %v", st, out)
	}
	for name, c := range map[string]struct {
		query string
		vars  map[string]any
		want  string
	}{
		"syntax":         {`query { generateJwtToken(channel_id: 1 { key } }`, nil, "Syntax Error"},
		"unknown field":  {`{ generateStuff { key } }`, nil, `Cannot query field "generateStuff"`},
		"bad int":        {alertTQueryKey, map[string]any{"channelId": "abc"}, `Variable "$channelId" got invalid value`},
		"nullable key":   {`query q($key: String) { generateJwtTokenFromKey(key: $key) { key } }`, map[string]any{"key": "a"}, `used in position expecting type "String!"`},
		"missing key":    {alertTQueryWidget, map[string]any{}, `of required type "String!" was not provided`},
		"no key arg":     {`{ generateJwtTokenFromKey { key } }`, nil, `argument "key" of type "String!" is required`},
		"unknown arg":    {`{ generateJwtToken(channel: 7) { key } }`, nil, `Unknown argument "channel"`},
		"no selection":   {`{ generateJwtToken(channel_id: 7) }`, nil, "must have a selection of subfields"},
		"bad subfield":   {`{ generateJwtToken(channel_id: 7) { token } }`, nil, `Cannot query field "token" on type "JwtResponse"`},
		"unused var":     {`query q($x: Int) { generateJwtToken(channel_id: 7) { key } }`, map[string]any{}, `"$x" is never used`},
		"undefined var":  {`query q { generateJwtToken(channel_id: $id) { key } }`, nil, `"$id" is not defined`},
		"user token":     {alertTQueryKey, map[string]any{"channelId": 7, "userId": 5}, "user tokens need a signed-in user"},
		"mutation":       {`mutation { generateJwtToken { key } }`, nil, "Syntax Error"},
		"string for int": {`{ generateJwtToken(channel_id: "7") { key } }`, nil, "Int cannot represent"},
	} {
		st, out := alertTPost(t, s, "application/json", alertTBody(c.query, c.vars))
		if st != http.StatusOK || !strings.Contains(alertTErr(out), c.want) {
			t.Errorf("%s: %d %v, want an error containing %q", name, st, out, c.want)
		}
	}
	b, _ := json.Marshal(map[string]any{"operationName": "other", "query": alertTQueryKey, "variables": map[string]any{"channelId": 7}})
	if _, out := alertTPost(t, s, "application/json", string(b)); !strings.Contains(alertTErr(out), "Unknown operation") {
		t.Errorf("operationName mismatch: %v", out)
	}
	if _, out := alertTPost(t, s, "application/json", alertTBody(`{ channel(name: "MYCHANNEL") { id name } }`, nil)); out["data"].(map[string]any)["channel"].(map[string]any)["id"] != float64(7) {
		t.Errorf("channel look-up: %v", out)
	}
	strict := alertTServer(t, AlertsOptions{RequireOrigin: true})
	req, _ := http.NewRequest(http.MethodPost, strict.GraphQLURL(), strings.NewReader(alertTBody(alertTQueryKey, nil)))
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusForbidden {
		t.Errorf("no Origin with RequireOrigin: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	if n := len(s.GraphQLRequests()); n < 17 {
		t.Errorf("requests recorded = %d", n)
	}
}

func TestAlertsFakeWidgetSocket(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	s, err := NewAlertsServer(AlertsOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.AddChannel(7, "MyChannel")
	key := alertTKey(t, s, map[string]any{"channelId": 7})
	tok, _ := alertTWidget(t, s, key)
	base := "http://" + strings.TrimPrefix(s.WidgetURL(), "ws://")
	for _, path := range []string{"token=", "token=a%2Fb", "token=abc?x=1", "nottoken"} {
		resp, err := http.Get(base + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest && resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s: %d", path, resp.StatusCode)
		}
	}
	hdr := http.Header{"Origin": {"https://picarto.tv"}, "User-Agent": {"test-agent"}}
	dial := func(tok string) *websocket.Conn {
		c, _, err := websocket.DefaultDialer.DialContext(t.Context(), s.WidgetURL()+"token="+tok, hdr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	// The step-A key is not a widget token: refused with the chat's frame.
	bad := dial(key)
	_ = bad.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, b, err := bad.ReadMessage(); err != nil || string(b) != `{"success":false,"code":"JWT_TOKEN"}` {
		t.Errorf("refusal = %s, %v", b, err)
	}
	bad.Close()
	// The refused socket stays open on the fake's side until it reads the
	// close; wait, so DropAll below counts only the good one.
	alertTWait(t, s, func() bool { return s.Open() == 0 })

	c := dial(tok)
	defer c.Close()
	alertTWait(t, s, func() bool { return s.Accepted() == 1 })
	s.Follow(AlertDialectShort, "Fan1")
	s.Gift(AlertDialectLong, "G", "4.99", "a", "b")
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, f1, err1 := c.ReadMessage()
	_, f2, err2 := c.ReadMessage()
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	var short struct {
		T string
		M struct {
			N, Rn string
			D     int64
		}
	}
	if json.Unmarshal(f1, &short) != nil || short.T != "nf" || short.M.N != "Fan1" || short.M.Rn != "MyChannel" || short.M.D < 1e12 {
		t.Errorf("short follow = %s", f1)
	}
	if !bytes.Contains(f2, []byte(`"type":"gift"`)) || !bytes.Contains(f2, []byte(`"price":9.98`)) || !bytes.Contains(f2, []byte(`"quantity":2`)) {
		t.Errorf("long gift = %s", f2)
	}
	// Pings are answered: the pong handler's error ends the read.
	errPong := errors.New("pong")
	c.SetPongHandler(func(string) error { return errPong })
	_ = c.WriteControl(websocket.PingMessage, []byte("p"), time.Now().Add(time.Second))
	if _, _, err := c.ReadMessage(); !errors.Is(err, errPong) {
		t.Errorf("no pong: %v", err)
	}
	if s.Pings() != 1 {
		t.Errorf("pings = %d", s.Pings())
	}
	hs := s.Handshakes()
	if last := hs[len(hs)-1]; !last.Accepted || last.UserAgent != "test-agent" || last.Origin != "https://picarto.tv" || last.Token != tok {
		t.Errorf("handshake = %+v", last)
	}
	if n := s.DropAll(); n != 1 {
		t.Errorf("DropAll = %d", n)
	}
	alertTWait(t, s, func() bool { return s.Open() == 0 })
	_ = s.Close()
}

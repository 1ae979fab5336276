package picartotest_test

import (
	"encoding/json"
	"errors"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

func newChatServer(t *testing.T, opts picartotest.ChatOptions) *picartotest.ChatServer {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	s, err := picartotest.NewChatServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	s.AddBot("Bot", "tok&en=1", 42, "Chan")
	t.Cleanup(func() {
		s.Close()
		goleak.VerifyNone(t, ignore)
	})
	return s
}

func chatDial(t *testing.T, u string) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	h := http.Header{"User-Agent": {"PTV-BOT-Bot"}}
	c, resp, err := websocket.DefaultDialer.Dial(u, h)
	if c != nil {
		t.Cleanup(func() { c.Close() })
	}
	return c, resp, err
}

func botURL(s *picartotest.ChatServer, user, token string) string {
	return s.URL() + "username=" + url.PathEscape(user) + "&password=" + url.QueryEscape(token)
}

func readFrame(t *testing.T, c *websocket.Conn) map[string]any {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := c.ReadMessage()
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("frame %s: %v", b, err)
	}
	return m
}

func send(t *testing.T, c *websocket.Conn, v any) {
	t.Helper()
	if err := c.WriteJSON(v); err != nil {
		t.Fatalf("write: %v", err)
	}
}

func authed(t *testing.T, c *websocket.Conn) bool {
	t.Helper()
	m := readFrame(t, c)
	if m["t"] != "authentication" {
		t.Fatalf("first frame = %v", m)
	}
	return m["success"] == true
}

func TestChatServerAuthForms(t *testing.T) {
	s := newChatServer(t, picartotest.ChatOptions{})
	c, _, err := chatDial(t, botURL(s, "bot", "tok&en=1")) // login case-insensitive, values escaped
	if err != nil || !authed(t, c) {
		t.Fatalf("escaped path form refused: %v", err)
	}
	whole := s.URL() + url.PathEscape("username=Bot&password=tok") + "%26en%3D1"
	if c, _, err := chatDial(t, whole); err != nil || !authed(t, c) {
		t.Fatalf("%%-encoded form refused: %v", err)
	}
	for _, bad := range []string{
		s.URL() + "?username=Bot&password=" + url.QueryEscape("tok&en=1"), // query form: not Picarto's
		botURL(s, "Bot", "wrong"),
		botURL(s, "Nobody", "tok&en=1"),
	} {
		c, _, err := chatDial(t, bad)
		if err != nil {
			t.Fatalf("dial %s: %v", bad, err)
		}
		if authed(t, c) {
			t.Errorf("%s authenticated", bad)
		}
		if _, _, err := c.ReadMessage(); err == nil {
			t.Errorf("%s: socket left open after a failed authentication", bad)
		}
	}
	if ua := s.UserAgents(); len(ua) != 5 || ua[0] != "PTV-BOT-Bot" {
		t.Errorf("UserAgents = %q", ua)
	}
}

func TestChatServerPingEchoAndFrames(t *testing.T) {
	s := newChatServer(t, picartotest.ChatOptions{})
	c, _, err := chatDial(t, botURL(s, "Bot", "tok&en=1"))
	if err != nil || !authed(t, c) {
		t.Fatal(err)
	}
	send(t, c, map[string]any{"type": "ping", "message": "__ping__"})
	if m := readFrame(t, c); m["success"] != true || m["code"] != "PONG" {
		t.Errorf("ping reply = %v", m)
	}
	send(t, c, map[string]any{"type": "chat", "message": "hello"})
	m := readFrame(t, c)
	line := m["m"].([]any)[0].(map[string]any)
	if m["t"] != "c" || line["m"] != "hello" || line["c"] != "42" || line["n"] != "Bot" || line["z"] != true {
		t.Errorf("echo = %v", m)
	}
	if _, ok := line["d"].(float64); !ok {
		t.Errorf("echo line has no numeric d: %v", line)
	}
	if _, ok := line["u"].(string); !ok {
		t.Errorf("u is not a string: %v", line)
	}
	s.History(picartotest.ChatLine{Name: "Old", Text: "x"})
	if m := readFrame(t, c); m["paginated"] != true {
		t.Errorf("history frame = %v", m)
	}
	send(t, c, map[string]any{"type": "removeMessage", "messageId": "abc", "channelId": "42"})
	if m := readFrame(t, c); m["t"] != "rm" {
		t.Errorf("removeMessage answer = %v", m)
	}
	s.Raid("Raider", 7)
	if m := readFrame(t, c); m["t"] != "raid" || !strings.Contains(m["m"].(map[string]any)["m"].(string), "7 viewers") {
		t.Errorf("raid = %v", m)
	}
	if got := s.Sent(); len(got) != 1 || got[0] != "hello" {
		t.Errorf("Sent = %q", got)
	}
}

func TestChatServerLockout(t *testing.T) {
	s := newChatServer(t, picartotest.ChatOptions{Limit: 3, Window: time.Minute, NoEcho: true})
	c, _, err := chatDial(t, botURL(s, "Bot", "tok&en=1"))
	if err != nil || !authed(t, c) {
		t.Fatal(err)
	}
	for i := range 4 {
		send(t, c, map[string]any{"type": "chat", "message": string(rune('a' + i))})
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = c.ReadMessage()
	var ce *websocket.CloseError
	if !errors.As(err, &ce) || ce.Code != websocket.ClosePolicyViolation {
		t.Errorf("after the 4th message: %v, want close 1008", err)
	}
	if !s.LockedOut() || len(s.Sent()) != 3 {
		t.Errorf("LockedOut = %v, Sent = %q", s.LockedOut(), s.Sent())
	}
	_, resp, err := chatDial(t, botURL(s, "Bot", "tok&en=1"))
	if err == nil || resp == nil || resp.StatusCode != http.StatusTooManyRequests {
		t.Errorf("redial while locked: %v %v, want 429", err, resp)
	}
	if s.Refused() != 1 {
		t.Errorf("Refused = %d", s.Refused())
	}
	s.Unlock()
	if c, _, err := chatDial(t, botURL(s, "Bot", "tok&en=1")); err != nil || !authed(t, c) {
		t.Errorf("redial after Unlock: %v", err)
	}
}

func TestChatServerWhisperLimit(t *testing.T) {
	s := newChatServer(t, picartotest.ChatOptions{})
	c, _, err := chatDial(t, botURL(s, "Bot", "tok&en=1"))
	if err != nil || !authed(t, c) {
		t.Fatal(err)
	}
	for range 3 { // 2 per second allowed
		send(t, c, map[string]any{"type": "whisper", "displayName": "Fan", "message": "psst"})
	}
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, _, err := c.ReadMessage(); err == nil || !s.LockedOut() {
		t.Errorf("3 whispers in a second: err=%v locked=%v", err, s.LockedOut())
	}
}

func TestChatServerClosesUnansweredPings(t *testing.T) {
	s := newChatServer(t, picartotest.ChatOptions{PingInterval: 10 * time.Millisecond, PongTimeout: 100 * time.Millisecond})
	c, _, err := chatDial(t, botURL(s, "Bot", "tok&en=1"))
	if err != nil || !authed(t, c) {
		t.Fatal(err)
	}
	c.SetPingHandler(func(string) error { return nil }) // never pong
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _, err = c.ReadMessage()
	if ne, ok := errors.AsType[net.Error](err); err == nil || (ok && ne.Timeout()) {
		t.Errorf("server did not close a silent socket: %v", err)
	}
}

func TestChatServerSiteChat(t *testing.T) {
	s := newChatServer(t, picartotest.ChatOptions{StreamInterval: 10 * time.Millisecond})
	s.AddViewerToken("anon-jwt", 42, "Chan", "")
	bad, _, err := chatDial(t, s.SiteURL()+"token=bogus")
	if err != nil {
		t.Fatal(err)
	}
	if m := readFrame(t, bad); m["success"] != false || m["code"] != "JWT_TOKEN" {
		t.Errorf("bad token answer = %v", m)
	}
	anon, _, err := chatDial(t, s.SiteURL()+"token=anon-jwt")
	if err != nil {
		t.Fatal(err)
	}
	send(t, anon, map[string]any{"type": "chat", "message": "hi"})
	for { // stream frames arrive on the timer; skip them
		m := readFrame(t, anon)
		if m["type"] == "stream" {
			msgs := m["messages"].(map[string]any)
			if msgs["id"] != float64(42) {
				t.Errorf("stream frame = %v", m)
			}
			continue
		}
		if m["success"] != false || m["code"] != "INVALID_USER" {
			t.Errorf("anonymous send answer = %v", m)
		}
		break
	}
	if len(s.Sent()) != 0 {
		t.Errorf("anonymous send accepted: %q", s.Sent())
	}
	_ = bad.SetReadDeadline(time.Now().Add(50 * time.Millisecond))
	if _, b, err := bad.ReadMessage(); err == nil {
		t.Errorf("refused token still receives frames: %s", b)
	}
}

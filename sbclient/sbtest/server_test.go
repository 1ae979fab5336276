package sbtest_test

import (
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"testing"
	"time"

	"github.com/gorilla/websocket"
	"go.uber.org/goleak"

	"github.com/picarto-bridge/picarto-bridge/sbclient"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func newServer(t *testing.T, opts sbtest.Options) *sbtest.Server {
	t.Helper()
	opts.Logger = slog.New(slog.NewTextHandler(t.Output(), nil))
	s, err := sbtest.New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// raw is a bare protocol client for checking the fake frame by frame.
type raw struct {
	t  *testing.T
	ws *websocket.Conn
}

func dial(t *testing.T, s *sbtest.Server) *raw {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(s.URL(), nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return &raw{t: t, ws: ws}
}

func (r *raw) send(v map[string]any) {
	r.t.Helper()
	if err := r.ws.WriteJSON(v); err != nil {
		r.t.Fatal(err)
	}
}

// recv reads one frame (failing the test on a read error).
func (r *raw) recv() map[string]any {
	r.t.Helper()
	m, err := r.tryRecv(5 * time.Second)
	if err != nil {
		r.t.Fatal(err)
	}
	return m
}

func (r *raw) tryRecv(d time.Duration) (map[string]any, error) {
	_ = r.ws.SetReadDeadline(time.Now().Add(d))
	var m map[string]any
	err := r.ws.ReadJSON(&m)
	return m, err
}

// expectClosed asserts the server closes the socket.
func (r *raw) expectClosed(within time.Duration) {
	r.t.Helper()
	for {
		m, err := r.tryRecv(within)
		if err == nil {
			r.t.Logf("frame before close: %v", m)
			continue
		}
		var ne interface{ Timeout() bool }
		if errors.As(err, &ne) && ne.Timeout() {
			r.t.Fatalf("socket still open after %v", within)
		}
		return
	}
}

func (r *raw) call(v map[string]any) map[string]any {
	r.t.Helper()
	r.send(v)
	for {
		m := r.recv()
		if m["id"] == v["id"] {
			return m
		}
	}
}

func (r *raw) authenticate(password string, hello map[string]any) map[string]any {
	auth := hello["authentication"].(map[string]any)
	return r.call(map[string]any{"request": "Authenticate", "id": "auth",
		"authentication": sbclient.Authentication(password, auth["salt"].(string), auth["challenge"].(string))})
}

func TestHelloAndAuth(t *testing.T) {
	open := newServer(t, sbtest.Options{})
	c := dial(t, open)
	hello := c.recv()
	if hello["request"] != "Hello" || hello["authentication"] != nil || hello["info"].(map[string]any)["instanceId"] != open.InstanceID() {
		t.Fatalf("Hello without password = %v", hello)
	}
	if _, ok := hello["timestamp"].(string); !ok {
		t.Fatalf("Hello has no timestamp: %v", hello)
	}

	locked := newServer(t, sbtest.Options{Password: "pw"})
	c = dial(t, locked)
	if rep := c.authenticate("pw", c.recv()); rep["status"] != "ok" {
		t.Fatalf("right password: %v", rep)
	}
	c = dial(t, locked)
	if rep := c.authenticate("wrong", c.recv()); rep["status"] != "error" || rep["error"] == "" {
		t.Fatalf("wrong password: %v", rep)
	}
	c.expectClosed(2 * time.Second)

	// Auth on but not enforced: requests work unauthenticated, SendMessage does not.
	c = dial(t, locked)
	c.recv()
	if rep := c.call(map[string]any{"request": "GetInfo", "id": "1"}); rep["status"] != "ok" {
		t.Fatalf("GetInfo unauthenticated: %v", rep)
	}
	if rep := c.call(map[string]any{"request": "SendMessage", "id": "2", "platform": "twitch", "message": "x"}); rep["status"] != "error" {
		t.Fatalf("SendMessage unauthenticated: %v", rep)
	}

	// SetAuth affects new connections.
	locked.SetAuth("", false)
	c = dial(t, locked)
	if hello := c.recv(); hello["authentication"] != nil {
		t.Fatalf("Hello after SetAuth(\"\") = %v", hello)
	}
}

func TestEnforce(t *testing.T) {
	s := newServer(t, sbtest.Options{Password: "pw", Enforce: true, AuthTimeout: 300 * time.Millisecond})
	c := dial(t, s)
	c.recv()
	c.send(map[string]any{"request": "GetInfo", "id": "1"})
	c.expectClosed(2 * time.Second)

	c = dial(t, s) // silent client: closed after AuthTimeout
	c.recv()
	start := time.Now()
	c.expectClosed(3 * time.Second)
	if d := time.Since(start); d < 250*time.Millisecond {
		t.Fatalf("closed after %v, before the auth timeout", d)
	}

	c = dial(t, s) // authenticated in time: the deadline is lifted
	if rep := c.authenticate("pw", c.recv()); rep["status"] != "ok" {
		t.Fatal(rep)
	}
	if _, err := c.tryRecv(500 * time.Millisecond); err == nil {
		t.Fatal("unexpected frame")
	}
}

func TestRequestsAndEvents(t *testing.T) {
	s := newServer(t, sbtest.Options{})
	s.AddSetGlobalAction("Picarto Set Global")
	s.AddAction("a1")
	a, b := dial(t, s), dial(t, s)
	a.recv()
	b.recv()

	if rep := a.call(map[string]any{"request": "Nope", "id": "1"}); rep["status"] != "error" {
		t.Fatalf("unknown request: %v", rep)
	}
	ev := a.call(map[string]any{"request": "GetEvents", "id": "2"})["events"].(map[string]any)
	for _, src := range []string{"General", "Custom", "Misc"} {
		if ev[src] == nil {
			t.Fatalf("GetEvents lacks %s: %v", src, ev)
		}
	}
	rep := a.call(map[string]any{"request": "Subscribe", "id": "3", "events": map[string]any{"Misc": []string{"GlobalVariableCreated", "GlobalVariableUpdated"}}})
	if rep["status"] != "ok" || len(rep["events"].(map[string]any)["Misc"].([]any)) != 2 {
		t.Fatalf("Subscribe echo: %v", rep)
	}
	if rep := a.call(map[string]any{"request": "DoAction", "id": "4", "action": map[string]any{"name": "missing"}}); rep["status"] != "error" {
		t.Fatalf("DoAction unknown: %v", rep)
	}

	// The helper types its value; only the subscribed socket (a) hears it.
	cases := []struct {
		in   string
		want any
	}{{"True", true}, {"false", false}, {"9005", 9005.0}, {"-3", -3.0}, {"12.5", "12.5"}, {"hello", "hello"}}
	for i, tc := range cases {
		a.call(map[string]any{"request": "DoAction", "id": "set", "action": map[string]any{"name": "Picarto Set Global"},
			"args": map[string]any{"name": "v", "value": tc.in, "persisted": "false"}})
		if got, ok := s.Global("v", false); !ok || got != tc.want {
			t.Fatalf("value %q stored as %#v, want %#v", tc.in, got, tc.want)
		}
		ev := a.recv()
		wantType := "GlobalVariableUpdated"
		if i == 0 {
			wantType = "GlobalVariableCreated"
		}
		if ev["event"].(map[string]any)["type"] != wantType || ev["data"].(map[string]any)["persisted"] != false {
			t.Fatalf("event %v, want %s", ev, wantType)
		}
	}
	if m, err := b.tryRecv(200 * time.Millisecond); err == nil {
		t.Fatalf("unsubscribed socket got %v", m)
	}

	// GetGlobal sends both shapes; GetGlobals is keyed by name.
	g := a.call(map[string]any{"request": "GetGlobal", "id": "5", "variable": "v", "persisted": false})
	if g["variable"].(map[string]any)["value"] != "hello" || g["variables"].(map[string]any)["v"] == nil {
		t.Fatalf("GetGlobal: %v", g)
	}
	if g := a.call(map[string]any{"request": "GetGlobal", "id": "6", "variable": "nope"}); g["status"] != "error" {
		t.Fatalf("GetGlobal missing: %v", g)
	}
	gs := a.call(map[string]any{"request": "GetGlobals", "id": "7", "persisted": false})
	if gs["count"] != 1.0 || gs["variables"].(map[string]any)["v"] == nil {
		t.Fatalf("GetGlobals: %v", gs)
	}

	// sbClientResponse: Custom.Event, held until the requester subscribes.
	a.call(map[string]any{"request": "DoAction", "id": "8", "action": map[string]any{"name": "a1"},
		"args": map[string]any{"x": 1, "sbClientResponse": "resp-1"}})
	a.send(map[string]any{"request": "Subscribe", "id": "9", "events": map[string]any{"Custom": []string{"Event"}}})
	for {
		m := a.recv()
		if m["id"] == "9" {
			continue
		}
		data := m["data"].(map[string]any)
		if m["event"].(map[string]any)["type"] != "Event" || data["eventName"] != "resp-1" || data["args"].(map[string]any)["x"] != 1.0 {
			t.Fatalf("custom response %v", m)
		}
		break
	}
	// Deleted events; UnSubscribe removes and echoes what is left.
	a.call(map[string]any{"request": "Subscribe", "id": "10", "events": map[string]any{"Misc": []string{"GlobalVariableDeleted"}}})
	s.DeleteGlobal("v", false)
	if ev := a.recv(); ev["event"].(map[string]any)["type"] != "GlobalVariableDeleted" ||
		ev["data"].(map[string]any)["name"] != "v" || ev["data"].(map[string]any)["persisted"] != false {
		t.Fatalf("deleted event %v", ev)
	}
	rep = a.call(map[string]any{"request": "UnSubscribe", "id": "11",
		"events": map[string]any{"Misc": []string{"GlobalVariableCreated", "GlobalVariableUpdated", "GlobalVariableDeleted"}}})
	if left := rep["events"].(map[string]any); left["Misc"] != nil || left["Custom"] == nil {
		t.Fatalf("UnSubscribe echo %v", rep)
	}
	s.SetGlobal("w", 1, true)
	if m, err := a.tryRecv(200 * time.Millisecond); err == nil {
		t.Fatalf("event after UnSubscribe: %v", m)
	}

	runs := s.ActionRuns()
	if len(runs) != len(cases)+1 || runs[len(runs)-1].Name != "a1" {
		t.Fatalf("runs %+v", runs)
	}
	if !slices.ContainsFunc(s.Requests(), func(r sbtest.Request) bool { return r.Request == "GetEvents" && r.ID == "2" }) {
		t.Fatal("request log incomplete")
	}
}

func TestStopStartSamePort(t *testing.T) {
	s := newServer(t, sbtest.Options{})
	url := s.URL()
	c := dial(t, s)
	c.recv()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	c.expectClosed(2 * time.Second)
	if _, _, err := websocket.DefaultDialer.Dial(url, nil); err == nil {
		t.Fatal("dial succeeded while stopped")
	}
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	if s.URL() != url {
		t.Fatalf("URL changed: %s -> %s", url, s.URL())
	}
	c = dial(t, s)
	c.recv()
	s.DropAll()
	c.expectClosed(2 * time.Second)
}

func TestChangedFires(t *testing.T) {
	s := newServer(t, sbtest.Options{})
	ch := s.Changed()
	c := dial(t, s)
	c.recv()
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		t.Fatal("Changed did not fire on a new connection")
	}
	ch = s.Changed()
	c.send(map[string]any{"request": "GetInfo", "id": "1"})
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		t.Fatal("Changed did not fire on a request")
	}
	var m map[string]any
	if err := json.Unmarshal(s.Requests()[0].Raw, &m); err != nil || m["request"] != "GetInfo" {
		t.Fatalf("raw request %v %v", m, err)
	}
}

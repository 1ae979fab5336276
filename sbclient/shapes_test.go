package sbclient_test

import (
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

// scripted is a hand-rolled server for reply shapes sbtest does not produce
// (other Streamer.bot versions): answer maps a request to a reply object
// (without id; nil: no reply).
type scripted struct {
	srv   *httptest.Server
	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []*websocket.Conn
}

func newScripted(t *testing.T, hello bool, answer func(req map[string]any) map[string]any) *scripted {
	s := &scripted{}
	up := websocket.Upgrader{}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.wg.Add(1)
		defer s.wg.Done()
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		s.mu.Lock()
		s.conns = append(s.conns, ws)
		s.mu.Unlock()
		defer ws.Close()
		if hello {
			_ = ws.WriteJSON(map[string]any{"request": "Hello", "info": map[string]any{"instanceId": "i-1", "version": "1.0.1"}})
		}
		for {
			var req map[string]any
			if err := ws.ReadJSON(&req); err != nil {
				return
			}
			rep := answer(req)
			if rep == nil {
				continue
			}
			rep["id"] = req["id"]
			if err := ws.WriteJSON(rep); err != nil {
				return
			}
		}
	}))
	t.Cleanup(func() {
		s.mu.Lock()
		for _, c := range s.conns {
			c.Close()
		}
		s.mu.Unlock()
		s.srv.Close()
		s.wg.Wait()
	})
	return s
}

func (s *scripted) url() string { return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/" }

func TestGetGlobalReplyShapes(t *testing.T) {
	g := map[string]any{"name": "picartoPort", "value": 9005, "lastWrite": "2025-07-22T11:32:17.9350000-07:00"}
	shapes := map[string]map[string]any{
		"variable only":       {"status": "ok", "variable": g},
		"variables keyed":     {"status": "ok", "variables": map[string]any{"picartoPort": g}},
		"both":                {"status": "ok", "variable": g, "variables": map[string]any{"picartoPort": g}},
		"variables array":     {"status": "ok", "count": 1, "variables": []any{g}},
		"missing in ok reply": {"status": "ok", "variables": map[string]any{}},
		"error reply":         {"status": "error", "error": "Variable not found"},
	}
	var mu sync.Mutex
	shape := ""
	srv := newScripted(t, true, func(req map[string]any) map[string]any {
		if req["request"] == "GetGlobal" {
			mu.Lock()
			defer mu.Unlock()
			return shapes[shape]
		}
		return map[string]any{"status": "ok"}
	})
	h := start(t, fastConfig(t, srv.url()))
	h.waitConnect(t)
	for name := range shapes {
		t.Run(name, func(t *testing.T) {
			mu.Lock()
			shape = name
			mu.Unlock()
			got, err := h.c.GetGlobal(t.Context(), "picartoPort", true)
			if strings.HasPrefix(name, "missing") || strings.HasPrefix(name, "error") {
				var re *sbclient.RequestError
				if !errors.As(err, &re) || !errors.Is(err, sbclient.ErrGlobalNotFound) {
					t.Fatalf("GetGlobal = %+v, %v; want a *RequestError matching ErrGlobalNotFound", got, err)
				}
				return
			}
			want := time.Date(2025, 7, 22, 18, 32, 17, 935e6, time.UTC)
			if err != nil || got.Name != "picartoPort" || got.Value != 9005.0 || !got.LastWrite.Equal(want) {
				t.Fatalf("GetGlobal = %+v, %v", got, err)
			}
		})
	}
}

func TestPre025ServerWithoutHello(t *testing.T) {
	srv := newScripted(t, false, func(req map[string]any) map[string]any {
		switch req["request"] {
		case "GetInfo":
			return map[string]any{"status": "ok", "info": map[string]any{"instanceId": "old", "version": "0.2.4"}}
		case "Subscribe":
			return map[string]any{"status": "ok", "events": req["events"]}
		}
		return map[string]any{"status": "error", "error": "unknown"}
	})
	cfg := fastConfig(t, srv.url())
	cfg.HelloTimeout = 100 * time.Millisecond
	cfg.Password = "unused"
	cfg.Subscriptions = map[string][]string{"General": {"Custom"}}
	h := start(t, cfg)
	if info := h.waitConnect(t); info.Version != "0.2.4" || info.InstanceID != "old" {
		t.Fatalf("info = %+v", info)
	}
}

func TestOddFramesAreIgnored(t *testing.T) {
	srv := newScripted(t, true, func(req map[string]any) map[string]any {
		if req["request"] == "GetInfo" {
			return map[string]any{"status": "ok", "event": "not-an-object", "info": map[string]any{"version": "x"}}
		}
		return map[string]any{"status": "ok"}
	})
	h := start(t, fastConfig(t, srv.url()))
	h.waitConnect(t)
	info, err := h.c.GetInfo(t.Context())
	if err != nil || info.Version != "x" {
		t.Fatalf("GetInfo with an odd field = %+v, %v", info, err)
	}
}

func TestAppendStringMatchesEncodingJSON(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uo\te`, "tab\tnl\nctl\x01\x1f", "ünïcødé ✓ 🎉", "bad\xffutf8", "<html>&"} {
		raw, err := json.Marshal(map[string]string{"k": s})
		if err != nil {
			t.Fatal(err)
		}
		var back map[string]string
		if err := json.Unmarshal(raw, &back); err != nil {
			t.Fatal(err)
		}
		got := sbclient.AppendJSONStringForTest(s)
		var decoded string
		if err := json.Unmarshal(got, &decoded); err != nil {
			t.Fatalf("appendString(%q) = %s: invalid JSON: %v", s, got, err)
		}
		if decoded != back["k"] {
			t.Fatalf("appendString(%q) decodes to %q, encoding/json to %q", s, decoded, back["k"])
		}
	}
}

// TestCompressionFallback: a server that accepts permessage-deflate with
// context takeover (gorilla cannot do that) makes the first dial fail; the
// client then connects without compression.
func TestCompressionFallback(t *testing.T) {
	var offers []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	up := websocket.Upgrader{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		wg.Add(1)
		defer wg.Done()
		ext := r.Header.Get("Sec-Websocket-Extensions")
		mu.Lock()
		offers = append(offers, ext)
		mu.Unlock()
		if ext != "" {
			sum := sha1.Sum([]byte(r.Header.Get("Sec-Websocket-Key") + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
			w.Header().Set("Upgrade", "websocket")
			w.Header().Set("Connection", "Upgrade")
			w.Header().Set("Sec-WebSocket-Accept", base64.StdEncoding.EncodeToString(sum[:]))
			w.Header().Set("Sec-WebSocket-Extensions", "permessage-deflate")
			w.WriteHeader(http.StatusSwitchingProtocols)
			return
		}
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		_ = ws.WriteJSON(map[string]any{"request": "Hello", "info": map[string]any{"version": "1.0.0"}})
		for {
			if _, _, err := ws.ReadMessage(); err != nil {
				return
			}
		}
	}))
	defer func() { srv.CloseClientConnections(); srv.Close(); wg.Wait() }()
	h := start(t, fastConfig(t, "ws"+strings.TrimPrefix(srv.URL, "http")+"/"))
	if info := h.waitConnect(t); info.Version != "1.0.0" {
		t.Fatalf("info = %+v", info)
	}
	h.stop(t)
	mu.Lock()
	defer mu.Unlock()
	if len(offers) != 2 || !strings.Contains(offers[0], "permessage-deflate") || offers[1] != "" {
		t.Fatalf("extension offers %q, want deflate then none", offers)
	}
}

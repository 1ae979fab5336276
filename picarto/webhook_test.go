package picarto_test

import (
	"github.com/picarto-bridge/picarto-bridge/internal/testlog"

	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

const formCT = "application/x-www-form-urlencoded"

func TestDecodeWebhookShapes(t *testing.T) {
	at := time.Unix(1700000000, 0).UTC()
	mp := &bytes.Buffer{}
	mw := multipart.NewWriter(mp)
	_ = mw.WriteField("type", "subscribe")
	_ = mw.WriteField("user", "MultiFan")
	_ = mw.WriteField("timestamp", "1700000000")
	mw.Close()
	for _, tc := range []struct {
		name, ct, body string
		want           picarto.WebhookEvent
	}{
		{"fake default JSON", "application/json",
			`{"type":"follow","channel_id":15623,"channel":"Goat","user_id":42,"user":"SomeFan","timestamp":1700000000}`,
			picarto.WebhookEvent{Type: "follow", ChannelID: 15623, Channel: "Goat", UserID: "42", User: "SomeFan", UserName: "somefan", Timestamp: at}},
		{"form", formCT, "type=unfollow&channel_id=15623&channel=Goat&user_id=42&user=SomeFan&timestamp=1700000000",
			picarto.WebhookEvent{Type: "unfollow", ChannelID: 15623, Channel: "Goat", UserID: "42", User: "SomeFan", UserName: "somefan", Timestamp: at}},
		{"alternative keys, no content type", "",
			`{"event":"SUBSCRIBE","user_name":"Fan","userId":"7","user_avatar":"ptvimages/7/a.png","channel_name":"Goat","timestamp":1700000000000}`,
			picarto.WebhookEvent{Type: "subscribe", Channel: "Goat", UserID: "7", User: "Fan", UserName: "fan",
				Avatar: "https://images.picarto.tv/ptvimages/7/a.png", Timestamp: at}},
		{"nested user and channel", "application/json; charset=utf-8",
			`{"type":"stream.online","channel":{"user_id":15623,"name":"Goat"},"user":{"user_name":"Goat","id":15623,"avatar":"https://x/a.png"},"timestamp":"2023-11-14T22:13:20Z"}`,
			picarto.WebhookEvent{Type: "online", ChannelID: 15623, Channel: "Goat", UserID: "15623", User: "Goat", UserName: "goat", Avatar: "https://x/a.png", Timestamp: at}},
		{"wrapped in data, naive time", "application/json",
			`{"event":"stream_offline","data":{"username":"Goat","channel_id":"15623","time":"2023-11-14 22:13:20"}}`,
			picarto.WebhookEvent{Type: "offline", ChannelID: 15623, User: "Goat", UserName: "goat", Timestamp: at}},
		{"php form nesting", formCT, "event=event-start&user%5Bname%5D=Host&user%5Bid%5D=9&ts=1700000000",
			picarto.WebhookEvent{Type: "event_start", UserID: "9", User: "Host", UserName: "host", Timestamp: at}},
		{"multipart", mw.FormDataContentType(), mp.String(),
			picarto.WebhookEvent{Type: "subscribe", User: "MultiFan", UserName: "multifan", Timestamp: at}},
		{"json with a form content type", formCT, `{"type":"event_end"}`,
			picarto.WebhookEvent{Type: "event_end"}},
		{"one-element array", "application/json", `[{"type":"follow","user":"A"}]`,
			picarto.WebhookEvent{Type: "follow", User: "A", UserName: "a"}},
		{"test alert", "application/json", `{"type":"follow","user":"SYSTEM"}`,
			picarto.WebhookEvent{Type: "follow", User: "SYSTEM", UserName: "system", Test: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ev, err := picarto.DecodeWebhook(tc.ct, []byte(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if string(ev.Raw) != tc.body || ev.ID == "" {
				t.Errorf("raw %q id %q", ev.Raw, ev.ID)
			}
			ev.Raw, ev.ID = nil, ""
			got, want := ev, tc.want
			if !got.Timestamp.Equal(want.Timestamp) {
				t.Errorf("timestamp %v, want %v", got.Timestamp, want.Timestamp)
			}
			got.Timestamp, want.Timestamp = time.Time{}, time.Time{}
			if !webhookEventEqual(got, want) {
				t.Errorf("got  %+v\nwant %+v", got, want)
			}
		})
	}
}

func webhookEventEqual(a, b picarto.WebhookEvent) bool {
	return a.Type == b.Type && a.ChannelID == b.ChannelID && a.Channel == b.Channel && a.UserID == b.UserID &&
		a.User == b.User && a.UserName == b.UserName && a.Avatar == b.Avatar && a.Test == b.Test
}

func TestDecodeWebhookErrors(t *testing.T) {
	for _, tc := range []struct{ ct, body string }{
		{"application/json", `not json`},
		{"application/json", `{"type":"follow"`},
		{"application/json", `[1,2]`},
		{"application/json", `"follow"`},
		{"application/json", `{"type":"follow"} {"type":"follow"}`},
		{"", ``},
		{"text/plain", `%zz`},
		{"multipart/form-data", `x`},
	} {
		if _, err := picarto.DecodeWebhook(tc.ct, []byte(tc.body)); !errors.Is(err, picarto.ErrWebhookPayload) {
			t.Errorf("%q %q: err = %v, want ErrWebhookPayload", tc.ct, tc.body, err)
		}
	}
	for _, body := range []string{`{}`, `{"type":"tip"}`, `{"user":"x"}`, `hello world`} {
		if _, err := picarto.DecodeWebhook("", []byte(body)); !errors.Is(err, picarto.ErrWebhookType) {
			t.Errorf("%q: err = %v, want ErrWebhookType", body, err)
		}
	}
}

func TestWebhookIDs(t *testing.T) {
	id := func(body string) string {
		ev, err := picarto.DecodeWebhook("", []byte(body))
		if err != nil {
			t.Fatal(err)
		}
		return ev.ID
	}
	a := id(`{"type":"follow","channel_id":1,"user":"Fan","timestamp":1700000000}`)
	if b := id(`type=follow&channel_id=1&user=fan&timestamp=1700000000000`); a != b {
		t.Errorf("same event, two encodings: %s != %s", a, b)
	}
	if b := id(`{"type":"follow","channel_id":1,"user":"Other","timestamp":1700000000}`); a == b {
		t.Error("different users share an id")
	}
	if b := id(`{"type":"unfollow","channel_id":1,"user":"Fan","timestamp":1700000000}`); a == b {
		t.Error("different types share an id")
	}
	if got := id(`{"type":"follow","event_id":"ev-123"}`); got != "ev-123" {
		t.Errorf("event_id: %s", got)
	}
	if got := id(`{"type":"follow","uuid":"u-1"}`); got != "u-1" {
		t.Errorf("uuid: %s", got)
	}
	x, y := id(`{"type":"follow","id":"77","timestamp":1}`), id(`{"type":"online","id":"77","timestamp":1}`)
	if x == y || !strings.Contains(x, "77") {
		t.Errorf("plain id must be qualified by type: %s %s", x, y)
	}
}

type webhookRecv struct {
	mu   sync.Mutex
	evs  []picarto.WebhookEvent
	fail error
}

func (r *webhookRecv) fn(ctx context.Context, ev picarto.WebhookEvent) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.evs = append(r.evs, ev)
	return nil
}

func (r *webhookRecv) events() []picarto.WebhookEvent {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]picarto.WebhookEvent(nil), r.evs...)
}

func TestWebhookHandler(t *testing.T) {
	var logBuf testlog.Buffer
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	recv := &webhookRecv{}
	h := picarto.NewWebhookHandler(recv.fn, picarto.WebhookOptions{
		MaxBody: 1024, Now: func() time.Time { return now },
		Logger: slog.New(slog.NewTextHandler(&logBuf, &slog.HandlerOptions{Level: slog.LevelInfo})),
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	url := srv.URL + "/webhook/0123456789abcdef"
	do := func(method, ct, body string) (int, string, http.Header) {
		t.Helper()
		req, _ := http.NewRequest(method, url, strings.NewReader(body))
		if ct != "" {
			req.Header.Set("Content-Type", ct)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp.Header
	}
	const marker = "MARKER-body-text-9f3"
	if s, _, _ := do("POST", "application/json", `{"type":"follow","user":"`+marker+`","timestamp":1700000000}`); s != 200 {
		t.Errorf("json: %d", s)
	}
	if s, _, _ := do("POST", formCT, "type=subscribe&user="+marker); s != 200 {
		t.Errorf("form: %d", s)
	}
	if s, _, _ := do("POST", formCT, "type=subscribe&user="+marker); s != 200 {
		t.Errorf("form again: %d", s)
	}
	req, _ := http.NewRequest("POST", url+"?type=online&channel=Goat", nil)
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != 200 {
		t.Errorf("query-only POST: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	evs := recv.events()
	if len(evs) != 4 || evs[0].Type != "follow" || evs[1].Type != "subscribe" || evs[3].Type != "online" || evs[3].Channel != "Goat" {
		t.Fatalf("events %+v", evs)
	}
	if !evs[1].Timestamp.Equal(now) || evs[1].ID != evs[2].ID || evs[1].ID == evs[0].ID {
		t.Errorf("no-timestamp events: %v %s %s", evs[1].Timestamp, evs[1].ID, evs[2].ID)
	}
	now = now.Add(2 * time.Minute)
	do("POST", formCT, "type=subscribe&user="+marker)
	if evs = recv.events(); evs[4].ID == evs[1].ID {
		t.Error("the same body two minutes later got the same id")
	}

	if s, body, _ := do("POST", "application/json", `{"type":`+marker); s != 400 || !strings.Contains(body, "neither a JSON object") {
		t.Errorf("garbage: %d %q", s, body)
	}
	if s, body, _ := do("POST", "application/json", `{"type":"tip","user":"`+marker+`"}`); s != 400 || !strings.Contains(body, "recognisable type") {
		t.Errorf("unknown type: %d %q", s, body)
	}
	if s, _, _ := do("POST", "application/json", `{"type":"follow","user":"`+strings.Repeat("x", 2000)+`"}`); s != 413 {
		t.Errorf("oversized: %d", s)
	}
	if s, body, _ := do("GET", "", ""); s != 200 || body != "" {
		t.Errorf("probe GET: %d %q", s, body)
	}
	if s, _, _ := do("HEAD", "", ""); s != 200 {
		t.Errorf("probe HEAD: %d", s)
	}
	req, _ = http.NewRequest("GET", url+"?challenge=abc123", nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "abc123" {
			t.Errorf("challenge echo %q", b)
		}
	}
	if s, _, hdr := do("PUT", "application/json", `{"type":"follow"}`); s != 405 || hdr.Get("Allow") == "" {
		t.Errorf("PUT: %d allow %q", s, hdr.Get("Allow"))
	}
	n := len(recv.events())
	recv.mu.Lock()
	recv.fail = errors.New("disk full")
	recv.mu.Unlock()
	if s, _, hdr := do("POST", "application/json", `{"type":"follow"}`); s != 503 || hdr.Get("Retry-After") == "" {
		t.Errorf("fn failed: %d", s)
	}
	if len(recv.events()) != n {
		t.Error("an event was stored although fn failed")
	}
	if strings.Contains(logBuf.String(), marker) {
		t.Errorf("the body reached an info-level log line:\n%s", logBuf.String())
	}
	if strings.Contains(logBuf.String(), "0123456789abcdef") {
		t.Errorf("the webhook path secret was logged:\n%s", logBuf.String())
	}
}

// The fake's sender and the real receiver agree, in JSON and in form.
func TestFireWebhookIntoHandler(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	ctx := testCtx(t, 10*time.Second)
	recv := &webhookRecv{}
	srv := httptest.NewServer(picarto.NewWebhookHandler(recv.fn, picarto.WebhookOptions{}))
	defer srv.Close()
	e.fake.AddFollower(apiChannelID, picartotest.User{ID: 77, Name: "NewFan"})
	for _, typ := range []picarto.WebhookType{picarto.WebhookFollow, picarto.WebhookOnline} {
		if _, err := e.c.CreateWebhook(ctx, typ, srv.URL+"/webhook/s"); err != nil {
			t.Fatal(err)
		}
	}
	st, err := e.fake.FireWebhook(ctx, "follow", nil, false)
	if err != nil || len(st) != 1 || st[0] != 200 {
		t.Fatalf("fire json: %v %v", st, err)
	}
	st, err = e.fake.FireWebhook(ctx, "online", map[string]any{"user": nil, "user_id": nil, "event": "online", "type": nil}, true)
	if err != nil || len(st) != 1 || st[0] != 200 {
		t.Fatalf("fire form: %v %v", st, err)
	}
	evs := recv.events()
	if len(evs) != 2 {
		t.Fatalf("events %+v", evs)
	}
	if f := evs[0]; f.Type != "follow" || f.User != "NewFan" || f.UserID != "77" || f.ChannelID != apiChannelID || f.Channel != "Goat" {
		t.Errorf("follow %+v", f)
	}
	if o := evs[1]; o.Type != "online" || o.ChannelID != apiChannelID || o.UserID != "" || time.Since(o.Timestamp) > time.Minute {
		t.Errorf("online %+v", o)
	}
	if st, _ := e.fake.FireWebhook(ctx, "unsubscribe", nil, false); len(st) != 0 {
		t.Errorf("no registration, statuses %v", st)
	}
}

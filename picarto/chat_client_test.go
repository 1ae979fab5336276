package picarto_test

import (
	"github.com/picarto-bridge/picarto-bridge/internal/testlog"

	"bytes"
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sourcegraph/conc"
	"go.uber.org/goleak"

	"github.com/picarto-bridge/picarto-bridge/internal/ratelimit"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

const (
	chatTestUser  = "SacaBot"
	chatTestToken = "tok-S3CRET/+&=value" // needs escaping in the path
)

// chatHarness runs one Chat against one fake and checks, at cleanup, that
// Run returned, nothing leaked and no token reached the log or an error.
type chatHarness struct {
	t       *testing.T
	srv     *picartotest.ChatServer
	chat    *picarto.Chat
	log     *testlog.Buffer
	connect chan struct{}
	cancel  context.CancelFunc
	runErr  chan error
	wg      conc.WaitGroup
}

func newChatHarness(t *testing.T, opts picartotest.ChatOptions, cfg picarto.ChatConfig) *chatHarness {
	t.Helper()
	ignore := goleak.IgnoreCurrent()
	srv, err := picartotest.NewChatServer(opts)
	if err != nil {
		t.Fatal(err)
	}
	srv.AddBot(chatTestUser, chatTestToken, 1489462, "Saca")
	h := &chatHarness{t: t, srv: srv, log: &testlog.Buffer{}, connect: make(chan struct{}, 16), runErr: make(chan error, 1)}
	if cfg.URL == "" {
		cfg.URL = srv.URL()
	}
	if cfg.Username == "" {
		cfg.Username = chatTestUser
	}
	if cfg.Token == "" {
		cfg.Token = chatTestToken
	}
	cfg.Logger = h.log.Logger()
	cfg.OnConnect = func() { h.connect <- struct{}{} }
	if cfg.BackoffInitial == 0 {
		cfg.BackoffInitial, cfg.BackoffMax = 10*time.Millisecond, 50*time.Millisecond
	}
	h.chat = picarto.NewChat(cfg)
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.wg.Go(func() { h.runErr <- h.chat.Run(ctx) })
	t.Cleanup(func() {
		h.cancel()
		h.wg.Wait()
		srv.Close()
		goleak.VerifyNone(t, ignore)
		h.noToken(h.log.String())
	})
	return h
}

func (h *chatHarness) noToken(text string) {
	h.t.Helper()
	for _, v := range []string{chatTestToken, "S3CRET", "tok-S3CRET%2F"} {
		if strings.Contains(text, v) {
			h.t.Errorf("token leaked: %q", text)
		}
	}
}

func (h *chatHarness) waitConnected() {
	h.t.Helper()
	select {
	case <-h.connect:
	case err := <-h.runErr:
		h.t.Fatalf("Run returned before connecting: %v", err)
	case <-time.After(5 * time.Second):
		h.t.Fatal("no connection")
	}
}

func (h *chatHarness) next() picarto.ChatEvent {
	h.t.Helper()
	select {
	case ev := <-h.chat.Events():
		return ev
	case <-time.After(5 * time.Second):
		h.t.Fatal("no event")
		return nil
	}
}

// waitFake waits for cond on the fake, woken by its Changed channel.
func waitFake(t *testing.T, srv *picartotest.ChatServer, what string, cond func() bool) {
	t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		ch := srv.Changed()
		if cond() {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

func TestChatAuthOKAndFrames(t *testing.T) {
	h := newChatHarness(t, picartotest.ChatOptions{}, picarto.ChatConfig{})
	h.waitConnected()
	if !h.chat.Connected() {
		t.Error("Connected() = false after connect")
	}
	if ua := h.srv.UserAgents(); len(ua) != 1 || ua[0] != "PTV-BOT-"+chatTestUser {
		t.Errorf("User-Agent = %q", ua)
	}
	h.srv.History(picartotest.ChatLine{UserID: 5, Name: "Old", Text: "history"}) // skipped
	h.srv.Say(picartotest.ChatLine{UserID: 777, Name: "Fan", Text: "hello :ptv-hearts:", Color: "ffc2dd"})
	m, ok := h.next().(picarto.ChatMessage)
	if !ok || m.Text != "hello :ptv-hearts:" || m.UserID != "777" || m.UserName != "fan" || m.ChannelID != "1489462" ||
		m.Color != "#ffc2dd" || m.ID == "" || m.Time.IsZero() || m.Self || !strings.HasPrefix(m.Avatar, "https://images.picarto.tv/") {
		t.Errorf("message = %#v", m)
	}
	if err := h.chat.Send(context.Background(), "hi from the bot"); err != nil {
		t.Fatalf("Send: %v", err)
	}
	if echo, ok := h.next().(picarto.ChatMessage); !ok || !echo.Self || echo.Text != "hi from the bot" || !echo.IsBot {
		t.Errorf("echo = %#v", echo)
	}
	if got := h.srv.Sent(); len(got) != 1 || got[0] != "hi from the bot" {
		t.Errorf("fake Sent() = %q", got)
	}

	h.srv.Tip(picartotest.ChatLine{UserID: 778, Name: "Tipper", Text: "kudo50"}, 50)
	h.srv.Raid("Raider", 42)
	h.srv.Join(779, "Newbie")
	h.srv.Leave(779, "Newbie")
	h.srv.Subscription(picartotest.ChatSub{Name: "Gifter", Recipient: "Lucky", Gift: true, Months: 3})
	h.srv.RemoveMessage("msg-1", "<message deleted>")
	h.srv.ClearUser(779)
	h.srv.System("Welcome to Saca's Chat", false)
	h.srv.Stream(1489462, 57, true)
	h.srv.SendRaw([]byte(`{"type":"welcomeMessage"}`))
	on := true
	want := []picarto.ChatEvent{
		nil, // tip, checked below
		picarto.ChatRaid{From: "Raider", To: "Saca", Message: "Raider is raiding Saca with 42 viewers!", Viewers: 42},
		picarto.ChatUserJoined{UserID: "779", Name: "Newbie"},
		picarto.ChatUserLeft{UserID: "779", Name: "Newbie"},
		picarto.ChatSubscription{Name: "Gifter", Recipient: "Lucky", Channel: "Saca", Months: 3, Gift: true, GiftCount: 1},
		picarto.ChatMessageRemoved{ID: "msg-1", Replacement: "<message deleted>"},
		picarto.ChatUserCleared{UserID: "779"},
		picarto.ChatSystemNotice{Text: "Welcome to Saca's Chat"},
		picarto.ChatViewerCount{ChannelID: "1489462", Name: "Saca", Viewers: 57, Online: &on},
		picarto.ChatUnknown{Type: "welcomeMessage", Raw: []byte(`{"type":"welcomeMessage"}`)},
	}
	for i, w := range want {
		got := h.next()
		if i == 0 {
			if tip, ok := got.(picarto.ChatTip); !ok || tip.Amount != 50 || tip.DisplayName != "Tipper" || tip.Text != "kudo50" {
				t.Errorf("tip = %#v", got)
			}
			continue
		}
		if !chatEventEqual(got, w) {
			t.Errorf("event %d = %#v, want %#v", i, got, w)
		}
	}
}

func chatEventEqual(a, b picarto.ChatEvent) bool {
	if va, ok := a.(picarto.ChatViewerCount); ok {
		vb, ok := b.(picarto.ChatViewerCount)
		return ok && va.ChannelID == vb.ChannelID && va.Name == vb.Name && va.Viewers == vb.Viewers &&
			(va.Online == nil) == (vb.Online == nil) && (va.Online == nil || *va.Online == *vb.Online)
	}
	if ua, ok := a.(picarto.ChatUnknown); ok {
		ub, ok := b.(picarto.ChatUnknown)
		return ok && ua.Type == ub.Type && bytes.Equal(ua.Raw, ub.Raw)
	}
	return a == b
}

func TestChatAuthRejected(t *testing.T) {
	h := newChatHarness(t, picartotest.ChatOptions{}, picarto.ChatConfig{Token: "wrong-token-value"})
	var err error
	select {
	case err = <-h.runErr:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not return on a rejected token")
	}
	if !errors.Is(err, picarto.ErrChatAuth) {
		t.Fatalf("Run = %v, want ErrChatAuth", err)
	}
	h.noToken(err.Error())
	if strings.Contains(err.Error(), "wrong-token-value") {
		t.Errorf("token in error: %v", err)
	}
	if n := h.srv.Connections(); n != 1 {
		t.Errorf("fake saw %d connections, want exactly 1", n)
	}
	if err := h.chat.Send(context.Background(), "x"); !errors.Is(err, picarto.ErrChatNotConnected) {
		t.Errorf("Send after auth failure = %v", err)
	}
}

func TestChatReconnectAfterDrop(t *testing.T) {
	h := newChatHarness(t, picartotest.ChatOptions{NoEcho: true}, picarto.ChatConfig{})
	h.waitConnected()
	for round := range 2 {
		h.srv.DropAll()
		h.waitConnected()
		h.srv.Say(picartotest.ChatLine{UserID: 1, Name: "Fan", Text: "after drop"})
		if m, ok := h.next().(picarto.ChatMessage); !ok || m.Text != "after drop" {
			t.Fatalf("round %d: event = %#v", round, m)
		}
		if err := h.chat.Send(context.Background(), "still here"); err != nil {
			t.Fatalf("round %d: Send: %v", round, err)
		}
	}
	if n := h.srv.Connections(); n != 3 {
		t.Errorf("connections = %d, want 3", n)
	}
}

// TestChatSendBurst: 100 concurrent Sends over real TCP never trip the
// fake's lockout. Both sides use a short window; the client's is twice the
// fake's so that scheduling jitter under -race on a loaded machine cannot
// bunch two windows together at the fake. TestChatSendBurstRealWindow
// proves the exact production numbers (20 per 30 s on both sides) on a
// fake clock.
func TestChatSendBurst(t *testing.T) {
	const window = 150 * time.Millisecond
	h := newChatHarness(t,
		picartotest.ChatOptions{Limit: 20, Window: window, NoEcho: true},
		picarto.ChatConfig{SendLimiter: ratelimit.New(20, 2*window)})
	h.waitConnected()
	var wg conc.WaitGroup
	errs := make(chan error, 100)
	for i := range 100 {
		wg.Go(func() { errs <- h.chat.Send(context.Background(), "burst "+strconv.Itoa(i)) })
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("Send: %v", err)
		}
	}
	if h.srv.LockedOut() {
		t.Fatal("the fake locked the bot out")
	}
	waitFake(t, h.srv, "100 messages", func() bool { return len(h.srv.Sent()) == 100 })
	if n := h.srv.MaxInWindow(window); n > 20 {
		t.Errorf("%d messages in one %v window", n, window)
	}
	if n := h.srv.Connections(); n != 1 {
		t.Errorf("connections = %d", n)
	}
}

// TestChatSlowConsumer: nobody reads Events, yet the reader keeps going:
// it processes a whole flood and then the auth-failure frame behind it.
func TestChatSlowConsumer(t *testing.T) {
	h := newChatHarness(t, picartotest.ChatOptions{}, picarto.ChatConfig{EventBuffer: 4})
	h.waitConnected()
	for i := range 100 {
		h.srv.Say(picartotest.ChatLine{UserID: int64(i), Name: "Flood", Text: "spam"})
	}
	h.srv.SendRaw([]byte(`{"t":"authentication","success":false}`)) // ends Run, after the flood
	select {
	case err := <-h.runErr:
		if !errors.Is(err, picarto.ErrChatAuth) {
			t.Fatalf("Run = %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("reader stalled behind a full Events channel")
	}
	if d := h.chat.Dropped(); d != 96 {
		t.Errorf("Dropped() = %d, want 96", d)
	}
	if n := len(h.chat.Events()); n != 4 {
		t.Errorf("buffered = %d, want 4", n)
	}
	if n := strings.Count(h.log.String(), "dropping events"); n != 1 {
		t.Errorf("%d drop warnings, want 1 (throttled)", n)
	}
}

func TestChatKeepalive(t *testing.T) {
	h := newChatHarness(t,
		picartotest.ChatOptions{PingInterval: 20 * time.Millisecond, PongTimeout: 200 * time.Millisecond},
		picarto.ChatConfig{PingInterval: 20 * time.Millisecond})
	h.waitConnected()
	waitFake(t, h.srv, "protocol pings and websocket pongs", func() bool {
		pings := 0
		for _, f := range h.srv.Frames() {
			if f.Type == "ping" && strings.Contains(string(f.Raw), `"__ping__"`) {
				pings++
			}
		}
		return pings >= 3 && h.srv.Pongs() >= 3
	})
	if n := h.srv.Connections(); n != 1 {
		t.Errorf("connections = %d, want 1 (pongs and PONGs kept it alive)", n)
	}
	if len(h.chat.Events()) != 0 {
		t.Error("PONG replies leaked into Events()")
	}
}

// TestChatDeadSocket: a connection with no frames at all for ReadTimeout is
// dropped and redialled.
func TestChatDeadSocket(t *testing.T) {
	h := newChatHarness(t,
		picartotest.ChatOptions{PingInterval: -1},
		picarto.ChatConfig{PingInterval: time.Hour, ReadTimeout: 150 * time.Millisecond})
	h.waitConnected()
	h.waitConnected()
	if !strings.Contains(h.log.String(), "timeout") {
		t.Errorf("no read timeout logged:\n%s", h.log.String())
	}
}

func TestChatStopAndNotConnected(t *testing.T) {
	c := picarto.NewChat(picarto.ChatConfig{Username: "x", Token: secret.Secret("abcdefgh")})
	if err := c.Send(context.Background(), "hi"); !errors.Is(err, picarto.ErrChatNotConnected) {
		t.Errorf("Send before Run = %v", err)
	}
	h := newChatHarness(t, picartotest.ChatOptions{}, picarto.ChatConfig{})
	h.waitConnected()
	if err := h.chat.Send(context.Background(), "  "); err == nil {
		t.Error("empty Send accepted")
	}
	h.cancel()
	if err := <-h.runErr; err != nil {
		t.Errorf("Run after cancel = %v, want nil", err)
	}
	waitFake(t, h.srv, "the connection to close", func() bool { return h.srv.Active() == 0 })
	if err := h.chat.Send(context.Background(), "late"); !errors.Is(err, picarto.ErrChatNotConnected) {
		t.Errorf("Send after stop = %v", err)
	}
}

// TestChatNoTokenInErrors drives the failure paths whose errors mention the
// URL: refused dials (a closed port, and a 429 from a locked-out bot).
func TestChatNoTokenInErrors(t *testing.T) {
	srv, err := picartotest.NewChatServer(picartotest.ChatOptions{Limit: 1, Window: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	url := srv.URL()
	srv.Close()
	h := newChatHarness(t, picartotest.ChatOptions{Limit: 1, Window: time.Minute, NoEcho: true},
		picarto.ChatConfig{SendLimiter: ratelimit.New(100, time.Second)})
	h.waitConnected()
	_ = h.chat.Send(context.Background(), "one")
	_ = h.chat.Send(context.Background(), "two: trips the lockout")
	waitFake(t, h.srv, "a lockout", h.srv.LockedOut)
	waitFake(t, h.srv, "two refused redials", func() bool { return h.srv.Refused() >= 2 })
	if !strings.Contains(h.log.String(), "429") {
		t.Errorf("refused dial not logged:\n%s", h.log.String())
	}
	if err := h.chat.Send(context.Background(), "x"); err != nil {
		h.noToken(err.Error())
	}

	closed := &testlog.Buffer{}
	c := picarto.NewChat(picarto.ChatConfig{URL: url, Username: chatTestUser, Token: chatTestToken, Logger: closed.Logger(),
		BackoffInitial: time.Millisecond, BackoffMax: time.Millisecond})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	if err := c.Run(ctx); err != nil {
		t.Errorf("Run = %v", err)
	}
	if !strings.Contains(closed.String(), "password=REDACTED") {
		t.Errorf("dial errors not logged with a redacted URL:\n%s", closed.String())
	}
	h.noToken(closed.String())
	bad := picarto.NewChat(picarto.ChatConfig{URL: "http://example.invalid/bot/", Username: "u", Token: chatTestToken})
	if err := bad.Run(context.Background()); err == nil || errors.Is(err, picarto.ErrChatAuth) {
		t.Errorf("Run with an http URL = %v", err)
	}
}

// TestChatSetCredentials: after a rejected token, new credentials and a new
// Run connect; changing them while connected redials with the new ones.
func TestChatSetCredentials(t *testing.T) {
	h := newChatHarness(t, picartotest.ChatOptions{}, picarto.ChatConfig{Token: "wrong-token-value"})
	if err := <-h.runErr; !errors.Is(err, picarto.ErrChatAuth) {
		t.Fatalf("Run = %v", err)
	}
	h.srv.AddBot("OtherBot", "other-token-value", 1489462, "Saca")
	h.chat.SetCredentials(chatTestUser, chatTestToken)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	h.wg.Go(func() { h.runErr <- h.chat.Run(ctx) })
	h.waitConnected()
	h.chat.SetCredentials("OtherBot", "other-token-value")
	h.waitConnected()
	ua := h.srv.UserAgents()
	if len(ua) != 3 || ua[1] != "PTV-BOT-"+chatTestUser || ua[2] != "PTV-BOT-OtherBot" {
		t.Errorf("User-Agents = %q", ua)
	}
	cancel()
	if err := <-h.runErr; err != nil {
		t.Errorf("Run = %v", err)
	}
}

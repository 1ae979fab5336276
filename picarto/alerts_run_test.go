package picarto_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

func TestAlertsRunDecodesBothDialects(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newAlertHarness(t, picartotest.AlertsOptions{RequireOrigin: true})
	defer h.srv.Close()
	a := picarto.NewAlerts(h.config())
	run := h.run(a)
	h.waitConnect()
	h.waitServer("one open socket", func() bool { return h.srv.Open() == 1 })
	if !a.Connected() {
		t.Error("Connected() = false after connect")
	}
	hs := h.srv.Handshakes()
	if len(hs) != 1 || !hs[0].Accepted || hs[0].Origin != "https://picarto.tv" || !strings.HasPrefix(hs[0].UserAgent, "Mozilla/5.0") {
		t.Fatalf("handshakes = %+v", hs)
	}

	S, L := picartotest.AlertDialectShort, picartotest.AlertDialectLong
	h.srv.Follow(S, "Fan1")
	h.srv.Follow(L, "FanL")
	h.srv.Subscribe(S, "Fan2", "14.97")
	h.srv.Subscribe(L, "Fan2L", "9.99")
	h.srv.Gift(S, "Gifter", "4.99", "a", "b", "c", "d", "e")
	h.srv.Gift(L, "GifterL", "14.97", "x", "y")
	h.srv.Tip(S, "Fan3", 562, "great stream")
	h.srv.Tip(L, "Fan3L", 100, "hi")
	h.srv.TestAlert(S, "follow")
	h.srv.TestAlert(L, "subscribe")
	h.srv.Garbage()
	h.srv.Send([]byte(`{"t":"zz","m":{"n":"who"}}`))

	next := func() picarto.AlertEvent { return h.nextEvent(a) }
	for _, user := range []string{"Fan1", "FanL"} {
		if f, ok := next().(picarto.AlertFollow); !ok || f.User != user || f.UserName != strings.ToLower(user) || f.Channel != alertTestChannel || f.IsTest {
			t.Errorf("follow %s = %+v", user, f)
		}
	}
	for _, want := range []struct {
		user, tier string
		months     int
	}{{"Fan2", "tier 1", 3}, {"Fan2L", "tier 2", 1}} {
		if s, ok := next().(picarto.AlertSubscription); !ok || s.User != want.user || s.Tier != want.tier || s.Months != want.months || s.Gift {
			t.Errorf("sub %s = %+v", want.user, s)
		}
	}
	if g, ok := next().(picarto.AlertSubscription); !ok || !g.Gift || g.Quantity != 5 || g.PriceCents != 2495 || g.Tier != "tier 1" || g.Months != 1 ||
		!reflect.DeepEqual(g.Recipients, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("short gift = %+v", g)
	}
	if g, ok := next().(picarto.AlertSubscription); !ok || !g.Gift || g.Quantity != 2 || g.PriceCents != 2994 || g.Months != 3 {
		t.Errorf("long gift = %+v", g)
	}
	if tip, ok := next().(picarto.AlertTip); !ok || tip.User != "Fan3" || tip.Amount != 562 || tip.Message != "great stream" {
		t.Errorf("short tip = %+v", tip)
	}
	if tip, ok := next().(picarto.AlertTip); !ok || tip.User != "Fan3L" || tip.Amount != 100 || tip.Message != "hi" {
		t.Errorf("long tip = %+v", tip)
	}
	if f, ok := next().(picarto.AlertFollow); !ok || !f.IsTest || f.User != "SYSTEM" {
		t.Errorf("test follow = %+v", f)
	}
	if s, ok := next().(picarto.AlertSubscription); !ok || !s.IsTest || s.Tier != "tier 1" {
		t.Errorf("test sub = %+v", s)
	}
	if u, ok := next().(picarto.AlertUnknown); !ok || u.Reason != "not JSON" || string(u.Raw) != "\x00not json {{" {
		t.Errorf("garbage = %#v", u)
	}
	if u, ok := next().(picarto.AlertUnknown); !ok || u.Type != "zz" || string(u.Raw) != `{"t":"zz","m":{"n":"who"}}` {
		t.Errorf("unknown type = %#v", u)
	}

	var frames [][]byte
	decoded := 0
	for range 12 {
		f := <-h.frames
		frames = append(frames, f.raw)
		if f.decoded {
			decoded++
		}
	}
	st := a.Stats()
	if st.Frames != 12 || st.Decoded != 10 || st.Unknown != 2 || st.Malformed != 1 || decoded != 10 ||
		st.Events != 12 || st.Connections != 1 || st.Tokens != 1 || st.GraphQL != 2 {
		t.Errorf("stats = %+v, OnFrame decoded %d", st, decoded)
	}
	if err := run.stop(); err != nil {
		t.Errorf("Run = %v, want nil after cancel", err)
	}
	if a.Connected() {
		t.Error("Connected() = true after Run returned")
	}
	h.checkNoTokens(frames...)
	h.srv.Close()
}

func TestAlertsReconnectsWithNewToken(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	h.srv.SetReplay(1)
	a := picarto.NewAlerts(h.config())
	run := h.run(a)
	h.waitConnect()
	h.waitServer("first socket", func() bool { return h.srv.Open() == 1 })
	h.srv.Tip(picartotest.AlertDialectShort, "Fan", 50, "")
	first := h.nextEvent(a).Base().ID

	if n := h.srv.DropAll(); n != 1 {
		t.Fatalf("DropAll cut %d sockets", n)
	}
	h.waitConnect()
	if err := <-h.downs; err == nil {
		t.Error("OnDisconnect got a nil error for a dropped socket")
	}
	// The fake replays the last alert on connect: same alert, same id.
	if again := h.nextEvent(a).Base().ID; again != first {
		t.Errorf("replayed tip id %q, first %q", again, first)
	}
	hs := h.srv.Handshakes()
	if len(hs) != 2 || hs[0].Token == hs[1].Token {
		t.Fatalf("handshakes = %d, tokens equal: %v", len(hs), len(hs) == 2 && hs[0].Token == hs[1].Token)
	}
	if got := h.srv.TokensIssued(); got != 2 {
		t.Errorf("widget tokens issued = %d, want 2 (a fresh one per connect)", got)
	}
	h.srv.CloseAll(1011, "restart")
	h.waitConnect()
	if got := h.srv.TokensIssued(); got != 3 {
		t.Errorf("widget tokens issued = %d, want 3", got)
	}
	if err := run.stop(); err != nil {
		t.Errorf("Run = %v", err)
	}
	h.checkNoTokens()
	h.srv.Close()
}

func TestAlertsRejectedTokenNotRetried(t *testing.T) {
	for name, mode := range map[string]picartotest.AlertsRejectMode{
		"message": picartotest.AlertsRejectMessage,
		"close":   picartotest.AlertsRejectClose,
	} {
		t.Run(name, func(t *testing.T) {
			defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
			h := newAlertHarness(t, picartotest.AlertsOptions{RejectMode: mode})
			defer h.srv.Close()
			h.srv.RejectTokens(true)
			a := picarto.NewAlerts(h.config())
			err := h.run(a).wait()
			if !errors.Is(err, picarto.ErrAlertsRejected) {
				t.Fatalf("Run = %v, want ErrAlertsRejected", err)
			}
			h.errs = append(h.errs, err.Error(), a.Stats().LastError)
			if c, g := h.srv.Connections(), len(h.srv.GraphQLRequests()); c != 1 || g != 2 {
				t.Errorf("connections %d, GraphQL requests %d; want 1 and 2 (no retry loop)", c, g)
			}
			h.checkNoTokens()
			h.srv.Close()
		})
	}
}

func TestAlertsStalledPongsReconnect(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	cfg := h.config()
	cfg.PingInterval, cfg.PongTimeout = 30*time.Millisecond, 30*time.Millisecond
	a := picarto.NewAlerts(cfg)
	h.srv.StallPings(true)
	run := h.run(a)
	h.waitConnect()
	h.waitConnect() // the first link was declared dead
	if err := <-h.downs; err == nil || !strings.Contains(err.Error(), "no pong") {
		t.Errorf("disconnect reason = %v", err)
	}
	if err := run.stop(); err != nil {
		t.Error(err)
	}
	h.srv.Close()
}

func TestAlertsQuietLinkStaysUp(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	cfg := h.config()
	cfg.PingInterval, cfg.PongTimeout = 10*time.Millisecond, 5*time.Second
	a := picarto.NewAlerts(cfg)
	run := h.run(a)
	h.waitConnect()
	// Twenty ping periods without a single frame: no silence watchdog.
	h.waitServer("20 pings", func() bool { return h.srv.Pings() >= 20 })
	if c := h.srv.Connections(); c != 1 || !a.Connected() {
		t.Errorf("connections = %d, connected %v: a silent link was dropped", c, a.Connected())
	}
	if err := run.stop(); err != nil {
		t.Error(err)
	}
	h.srv.Close()
}

func TestAlertsTokenServiceOutageRetried(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	h.srv.FailGraphQL(503, 3)
	a := picarto.NewAlerts(h.config())
	run := h.run(a)
	h.waitConnect()
	if g := len(h.srv.GraphQLRequests()); g != 5 {
		t.Errorf("GraphQL requests = %d, want 3 failed + 2", g)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "token service unavailable") {
		t.Errorf("no 'unavailable' line after 3 failures:\n%s", logs)
	}
	if st := a.Stats(); st.Failures != 0 || st.Tokens != 1 {
		t.Errorf("stats = %+v", st)
	}
	if err := run.stop(); err != nil {
		t.Error(err)
	}
	h.checkNoTokens()
	h.srv.Close()
}

func TestAlertsRefreshesBeforeExpiry(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newAlertHarness(t, picartotest.AlertsOptions{WidgetTokenTTL: 3 * time.Second})
	defer h.srv.Close()
	cfg := h.config()
	cfg.RefreshBefore, cfg.StableAfter = 3*time.Second, 50*time.Millisecond
	a := picarto.NewAlerts(cfg)
	run := h.run(a)
	h.waitConnect()
	h.waitConnect()
	if got := h.srv.TokensIssued(); got < 2 {
		t.Errorf("tokens issued = %d", got)
	}
	if err := run.stop(); err != nil {
		t.Error(err)
	}
	if logs := h.logs.String(); !strings.Contains(logs, "about to expire") {
		t.Errorf("no refresh log:\n%s", logs)
	}
	h.srv.Close()
}

func TestAlertsScrubsEchoedTokenAndRunsOnce(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	h := newAlertHarness(t, picartotest.AlertsOptions{})
	defer h.srv.Close()
	a := picarto.NewAlerts(h.config())
	run := h.run(a)
	h.waitConnect()
	h.waitServer("socket", func() bool { return h.srv.Open() == 1 })
	if err := a.Run(t.Context()); err == nil {
		t.Error("a second concurrent Run was allowed")
	}
	tok := h.srv.Handshakes()[0].Token
	h.srv.Send([]byte(`{"t":"echo","token":"` + tok + `"}`))
	u, ok := h.nextEvent(a).(picarto.AlertUnknown)
	f := <-h.frames
	if !ok || strings.Contains(string(u.Raw), tok) || strings.Contains(string(f.raw), tok) || !strings.Contains(string(f.raw), "REDACTED") {
		t.Errorf("echoed token not scrubbed: event %s, frame %s", u.Raw, f.raw)
	}
	if err := run.stop(); err != nil {
		t.Error(err)
	}
	h.checkNoTokens(f.raw)
	h.srv.Close()
}

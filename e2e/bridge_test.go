package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

var (
	followAction = actions.ActionName(actions.KindFollow)
	subAction    = actions.ActionName(actions.KindSubscribe)
	chatAction   = actions.ActionName(actions.KindChat)
)

func TestStartupGlobalsAndBaseline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.api.AddFollower(channelID, picartotest.User{ID: 11, Name: "OldFan"})
	e.api.AddSubscriber(channelID, picartotest.User{ID: 12, Name: "OldSub"})
	e.start()
	e.waitGlobal(actions.GlobalChannelID, channelID, 30*time.Second)
	e.waitGlobal(actions.GlobalFollowerCount, 1, 10*time.Second)
	e.waitGlobal(actions.GlobalSubCount, 1, 10*time.Second)
	e.waitGlobal(actions.GlobalOnline, false, 10*time.Second)
	e.waitPolled(2)
	if n := len(e.runs(followAction)) + len(e.runs(subAction)); n != 0 {
		t.Fatalf("baseline poll ran %d follow/sub actions, want 0", n)
	}
	// Written only on change: a second poll does not rewrite the counts.
	writes := 0
	for _, r := range e.runs(actions.SetGlobalAction) {
		if r.Args["name"] == actions.GlobalFollowerCount {
			writes++
		}
	}
	if writes != 1 {
		t.Fatalf("picartoFollowerCount written %d times over two polls, want 1", writes)
	}
	if e.healthz() != 200 {
		t.Fatalf("healthz = %d, want 200 while connected", e.healthz())
	}
	if n := len(e.alerts.GraphQLRequests()); n != 0 {
		t.Fatalf("alert route off, yet %d GraphQL requests", n)
	}
}

func TestPollDetectedFollowAndRestartKeepsBaseline(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	p := e.start()
	e.waitPolled(1)
	e.api.AddFollower(channelID, picartotest.User{ID: 21, Name: "NewFan", Avatar: "https://images.picarto.tv/a/newfan.png"})
	runs := e.waitRuns(followAction, 1, 30*time.Second)
	a := runs[0].Args
	for k, want := range map[string]any{"user": "NewFan", "userName": "newfan", "avatar": "https://images.picarto.tv/a/newfan.png",
		"userType": "picarto", "fromPicarto": true, "isTest": false, "picartoEvent": "follow"} {
		if fmt.Sprint(a[k]) != fmt.Sprint(want) {
			t.Errorf("arg %s = %v, want %v", k, a[k], want)
		}
	}
	e.waitGlobal(actions.GlobalLastFollower, "NewFan", 10*time.Second)

	// While the bridge is off someone follows; after restart they alert once,
	// and NewFan does not alert again.
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit %d after SIGTERM, want 0", code)
	}
	e.api.AddFollower(channelID, picartotest.User{ID: 22, Name: "WhileAway"})
	e.start()
	runs = e.waitRuns(followAction, 2, 30*time.Second)
	if runs[1].Args["user"] != "WhileAway" {
		t.Fatalf("second follow = %v, want WhileAway", runs[1].Args["user"])
	}
	e.waitPolled(4)
	if n := len(e.runs(followAction)); n != 2 {
		t.Fatalf("%d follow runs, want 2", n)
	}
}

func TestWebhooksRegisteredAndDelivered(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.start()
	e.waitPolled(1)
	e.sb.SetGlobal(actions.GlobalInit, "True", false)
	for _, typ := range []string{"follow", "unfollow", "subscribe", "unsubscribe", "online", "offline", "event_start", "event_end"} {
		e.waitFor(30*time.Second, "hook global for "+typ, func() bool {
			v, ok := e.global(actions.HookGlobal(typ))
			return ok && fmt.Sprint(v) != ""
		})
	}
	e.waitGlobal(actions.GlobalInit, false, 10*time.Second)
	if n := len(e.api.Webhooks()); n != 8 {
		t.Fatalf("%d webhooks at Picarto, want 8", n)
	}
	// Register again: still exactly one per type.
	e.sb.Broadcast(map[string]any{"picartoBridge": "register-webhooks"})
	e.waitFor(10*time.Second, "second registration", func() bool {
		return len(e.api.Webhooks()) == 8
	})

	statuses, err := e.api.FireWebhook(ctxT(t, 10*time.Second), "follow", map[string]any{"user": "HookFan", "user_id": 31}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range statuses {
		if s/100 != 2 {
			t.Fatalf("webhook answered %d", s)
		}
	}
	runs := e.waitRuns(followAction, 1, 10*time.Second)
	if runs[0].Args["user"] != "HookFan" || runs[0].Args["userName"] != "hookfan" {
		t.Fatalf("args %v", runs[0].Args)
	}
	// The same follow again (re-sent webhook) and by polling: still once.
	if _, err := e.api.FireWebhook(ctxT(t, 10*time.Second), "follow", map[string]any{"user": "HookFan", "user_id": 31}, true); err != nil {
		t.Fatal(err)
	}
	e.api.AddFollower(channelID, picartotest.User{ID: 31, Name: "HookFan"})
	e.waitPolled(3)
	e.api.AddFollower(channelID, picartotest.User{ID: 32, Name: "Marker"})
	e.waitRuns(followAction, 2, 30*time.Second)
	if got := e.runs(followAction); len(got) != 2 || got[1].Args["user"] != "Marker" {
		t.Fatalf("follow runs %v, want HookFan once then Marker", names(got))
	}
}

func TestStreamerbotDownDeliversAllInOrderOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.start()
	e.waitPolled(1)
	e.sb.SetGlobal(actions.GlobalInit, "True", false)
	e.waitGlobal(actions.GlobalInit, false, 30*time.Second)
	if err := e.sb.Stop(); err != nil {
		t.Fatal(err)
	}
	e.waitFor(10*time.Second, "healthz 503", func() bool { return e.healthz() == 503 })
	for i := range 20 {
		st, err := e.api.FireWebhook(ctxT(t, 10*time.Second), "follow", map[string]any{"user": fmt.Sprintf("Fan%02d", i), "user_id": 100 + i}, false)
		if err != nil || len(st) != 1 || st[0]/100 != 2 {
			t.Fatalf("webhook %d: %v %v", i, st, err)
		}
	}
	if err := e.sb.Start(); err != nil {
		t.Fatal(err)
	}
	runs := e.waitRuns(followAction, 20, 30*time.Second)
	for i, r := range runs {
		if want := fmt.Sprintf("Fan%02d", i); r.Args["user"] != want {
			t.Fatalf("run %d user %v, want %s (order)", i, r.Args["user"], want)
		}
	}
	e.waitPolled(3)
	if n := len(e.runs(followAction)); n != 20 {
		t.Fatalf("%d runs, want exactly 20", n)
	}
}

func TestSIGKILLWithQueuedEventsDeliversOnceAfterRestart(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	p := e.start()
	e.waitPolled(1)
	e.sb.SetGlobal(actions.GlobalInit, "True", false)
	e.waitGlobal(actions.GlobalInit, false, 30*time.Second)
	if err := e.sb.Stop(); err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		if _, err := e.api.FireWebhook(ctxT(t, 10*time.Second), "follow", map[string]any{"user": fmt.Sprintf("K%d", i), "user_id": 200 + i}, false); err != nil {
			t.Fatal(err)
		}
	}
	p.kill()
	if err := e.sb.Start(); err != nil {
		t.Fatal(err)
	}
	e.start()
	runs := e.waitRuns(followAction, 5, 30*time.Second)
	for i, r := range runs {
		if r.Args["user"] != fmt.Sprintf("K%d", i) {
			t.Fatalf("run %d = %v", i, r.Args["user"])
		}
	}
	e.waitPolled(3)
	if n := len(e.runs(followAction)); n != 5 {
		t.Fatalf("%d runs after SIGKILL, want 5", n)
	}
}

func TestMissingActionDoesNotBlockOthers(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.sb.RemoveAction(followAction)
	p := e.start()
	e.waitPolled(1)
	e.api.AddFollower(channelID, picartotest.User{ID: 41, Name: "Nobody"})
	e.api.AddSubscriber(channelID, picartotest.User{ID: 42, Name: "Payer"})
	e.waitRuns(subAction, 1, 30*time.Second)
	e.api.AddFollower(channelID, picartotest.User{ID: 43, Name: "Nobody2"})
	e.api.AddSubscriber(channelID, picartotest.User{ID: 44, Name: "Payer2"})
	e.waitRuns(subAction, 2, 30*time.Second)
	out := p.output()
	if c := strings.Count(out, "Streamer.bot refused the action"); c != 1 {
		t.Fatalf("missing action reported %d times, want once:\n%s", c, out)
	}
	var health struct {
		MissingActions []string `json:"missingActions"`
	}
	resp, err := http.Get(fmt.Sprintf("http://127.0.0.1:%d/healthz", e.port))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&health); err != nil {
		t.Fatal(err)
	}
	if len(health.MissingActions) != 1 || health.MissingActions[0] != followAction {
		t.Fatalf("healthz missingActions = %v, want [%s]", health.MissingActions, followAction)
	}
}

func TestWrongPasswordExits2(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{sbPassword: sbPassword})
	e.extra["SB_WS_PASSWORD"] = "not-the-password"
	p := e.start()
	if code := p.wait(t, 20*time.Second); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	if !strings.Contains(p.output(), "SB_WS_PASSWORD") {
		t.Fatalf("output does not name SB_WS_PASSWORD:\n%s", p.output())
	}
	if strings.Contains(p.output(), "not-the-password") {
		t.Fatal("output contains the password")
	}
}

func TestRightPasswordAuthenticatesFirst(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{sbPassword: sbPassword})
	e.sb.SetAuth(sbPassword, true)
	e.extra["SB_WS_PASSWORD"] = sbPassword
	e.start()
	e.waitGlobal(actions.GlobalChannelID, channelID, 30*time.Second)
	byConn := map[int]string{}
	for _, r := range e.sb.Requests() {
		if _, seen := byConn[r.Conn]; !seen {
			byConn[r.Conn] = r.Request
		}
	}
	for c, first := range byConn {
		if first != "Authenticate" {
			t.Fatalf("connection %d began with %s, want Authenticate", c, first)
		}
	}
}

func TestBadConfigExits2ListingAll(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.extra["BRIDGE_POLL_INTERVAL"] = "often"
	e.extra["BRIDGE_PORT"] = "99999"
	p := e.start()
	if code := p.wait(t, 10*time.Second); code != 2 {
		t.Fatalf("exit %d, want 2", code)
	}
	for _, want := range []string{"BRIDGE_POLL_INTERVAL", "BRIDGE_PORT"} {
		if !strings.Contains(p.output(), want) {
			t.Errorf("output does not name %s:\n%s", want, p.output())
		}
	}
}

func TestStopCommandExits0(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	p := e.start()
	e.waitGlobal(actions.GlobalChannelID, channelID, 30*time.Second)
	e.sb.Broadcast(map[string]any{"picartoBridge": "stop"})
	if code := p.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("exit %d after stop, want 0", code)
	}
}

func TestRestartCommandReconnectsAndRereads(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.start()
	e.waitGlobal(actions.GlobalChannelID, channelID, 30*time.Second)
	before := countRequests(e, "GetGlobals")
	e.sb.Broadcast(map[string]any{"picartoBridge": "restart"})
	e.waitFor(20*time.Second, "a new connection re-reading globals", func() bool {
		return countRequests(e, "GetGlobals") >= before+2 && maxConn(e) >= 2
	})
}

func TestTakeover(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	first := e.start()
	e.waitGlobal(actions.GlobalChannelID, channelID, 30*time.Second)
	second := e.start()
	if code := first.wait(t, 15*time.Second); code != 0 {
		t.Fatalf("first instance exit %d, want 0 (taken over)", code)
	}
	e.waitFor(20*time.Second, "second instance serving", func() bool { return e.healthz() == 200 })
	select {
	case <-second.done:
		t.Fatalf("second instance exited: %s", second.output())
	default:
	}
}

func TestChatToActionAndChatCommand(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.sb.SetGlobal(actions.GlobalChannelToken, chatToken, true)
	e.start()
	e.waitFor(30*time.Second, "chat connected", func() bool { return e.chat.Connections() > 0 })
	e.chat.Say(picartotest.ChatLine{UserID: 55, Name: "Chatter", Text: "hello bridge"})
	runs := e.waitRuns(chatAction, 1, 20*time.Second)
	if runs[0].Args["message"] != "hello bridge" || runs[0].Args["rawInput"] != "hello bridge" || runs[0].Args["user"] != "Chatter" {
		t.Fatalf("chat args %v", runs[0].Args)
	}
	e.sb.Broadcast(map[string]any{"picartoBridge": "chat", "message": "thanks for the follow!"})
	e.waitFor(20*time.Second, "message sent to Picarto chat", func() bool {
		for _, s := range e.chat.Sent() {
			if s == "thanks for the follow!" {
				return true
			}
		}
		return false
	})
	// The fake echoes the bot's own line back, as Picarto does: it must not
	// run Process Picarto Chat; the next viewer line does.
	e.chat.Say(picartotest.ChatLine{UserID: 56, Name: "Marker", Text: "marker"})
	runs = e.waitRuns(chatAction, 2, 20*time.Second)
	if got := runs[1].Args["message"]; got != "marker" {
		t.Fatalf("second chat run %q, want the marker (the bridge's own echo must be skipped)", got)
	}
}

func TestRejectedChatTokenReportedOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.sb.SetGlobal(actions.GlobalChannelToken, "wrong-token", true)
	p := e.start()
	e.waitGlobal(actions.GlobalBridgeStatus, "degraded: chat token rejected", 30*time.Second)
	e.waitPolled(2)
	if n := e.chat.Connections(); n != 1 {
		t.Fatalf("%d chat connections with a rejected token, want 1 (no retry)", n)
	}
	if c := strings.Count(p.output(), "rejected the chat token"); c != 1 {
		t.Fatalf("reported %d times", c)
	}
	// A new token is tried.
	e.sb.SetGlobal(actions.GlobalChannelToken, chatToken, true)
	e.waitFor(20*time.Second, "reconnect with new token", func() bool { return e.chat.Connections() >= 2 })
}

func TestRefollowWithin24hAlertsOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.start()
	e.waitPolled(1)
	e.api.AddFollower(channelID, picartotest.User{ID: 61, Name: "Flaky"})
	e.waitRuns(followAction, 1, 30*time.Second)
	e.api.RemoveFollower(channelID, 61)
	e.waitRuns(actions.ActionName(actions.KindUnfollow), 1, 30*time.Second)
	e.api.AddFollower(channelID, picartotest.User{ID: 61, Name: "Flaky"})
	e.api.AddFollower(channelID, picartotest.User{ID: 62, Name: "Marker"})
	runs := e.waitRuns(followAction, 2, 30*time.Second)
	if runs[1].Args["user"] != "Marker" {
		t.Fatalf("follow runs %v, want Flaky once then Marker", names(runs))
	}
}

func TestHealthz503WithoutStreamerbot(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	if err := e.sb.Stop(); err != nil {
		t.Fatal(err)
	}
	e.start()
	e.waitFor(20*time.Second, "healthz 503", func() bool { return e.healthz() == 503 })
}

func names(runs []sbtest.ActionRun) []string {
	var out []string
	for _, r := range runs {
		out = append(out, fmt.Sprint(r.Args["user"]))
	}
	return out
}

func countRequests(e *env, name string) int {
	n := 0
	for _, r := range e.sb.Requests() {
		if r.Request == name {
			n++
		}
	}
	return n
}

func maxConn(e *env) int {
	m := 0
	for _, r := range e.sb.Requests() {
		m = max(m, r.Conn)
	}
	return m
}

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

// A follow seen on the alert socket and again by polling runs once; a tip
// runs Process Picarto Tip with amount; subscriptions carry tier and months.
func TestAlertSocketFollowTipAndDedupWithPolling(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.start()
	e.waitPolled(1)
	e.sb.SetGlobal(actions.GlobalAlerts, "True", true)
	e.waitFor(30*time.Second, "alert socket open", func() bool { return e.alerts.Open() > 0 })

	e.alerts.Follow(picartotest.AlertDialectShort, "AlertFan")
	e.waitRuns(followAction, 1, 20*time.Second)
	e.api.AddFollower(channelID, picartotest.User{ID: 71, Name: "AlertFan"})
	e.waitPolled(3)
	e.api.AddFollower(channelID, picartotest.User{ID: 72, Name: "Marker"})
	runs := e.waitRuns(followAction, 2, 30*time.Second)
	if got := names(runs); len(got) != 2 || got[0] != "AlertFan" || got[1] != "Marker" {
		t.Fatalf("follow runs %v, want [AlertFan Marker]", got)
	}

	e.alerts.Tip(picartotest.AlertDialectLong, "Tipper", 250, "nice")
	tip := e.waitRuns(actions.ActionName(actions.KindTip), 1, 20*time.Second)[0]
	if fmt.Sprint(tip.Args["amount"]) != "250" || tip.Args["user"] != "Tipper" {
		t.Fatalf("tip args %v", tip.Args)
	}

	e.alerts.Subscribe(picartotest.AlertDialectShort, "Subber", "4.99")
	sub := e.waitRuns(subAction, 1, 20*time.Second)[0]
	if sub.Args["tier"] != "tier 1" || fmt.Sprint(sub.Args["monthsSubscribed"]) != "1" || sub.Args["isGift"] != false {
		t.Fatalf("subscription args %v", sub.Args)
	}

	e.alerts.TestAlert(picartotest.AlertDialectShort, "follow")
	e.waitFor(20*time.Second, "SYSTEM test follow", func() bool {
		for _, r := range e.runs(followAction) {
			if r.Args["isTest"] == true {
				return true
			}
		}
		return false
	})
}

// With a Picarto custom trigger registered, each event also fires
// ExecuteCodeTrigger with the same arguments, once per route.
func TestCustomTriggerFiredOncePerRoute(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.sb.AddCodeTrigger("Follow", actions.TriggerEventName(actions.KindFollow), "Picarto")
	e.start()
	e.waitPolled(1)
	e.api.AddFollower(channelID, picartotest.User{ID: 81, Name: "TriggerFan"})
	runs := e.waitRuns(followAction, 1, 30*time.Second)
	e.waitFor(10*time.Second, "the custom trigger", func() bool { return len(e.sb.TriggerRuns()) >= 1 })
	tr := e.sb.TriggerRuns()
	if len(tr) != 1 || tr[0].TriggerName != actions.TriggerEventName(actions.KindFollow) {
		t.Fatalf("trigger runs %+v", tr)
	}
	if tr[0].Args["picartoEventId"] != runs[0].Args["picartoEventId"] || tr[0].Args["user"] != "TriggerFan" {
		t.Fatalf("trigger args %v differ from action args %v", tr[0].Args, runs[0].Args)
	}
}

// Online by webhook, then the poll sees the same live stream: one alert.
func TestOnlineWebhookAndPollAlertOnce(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.start()
	e.waitPolled(1)
	e.sb.SetGlobal(actions.GlobalInit, "True", false)
	e.waitGlobal(actions.GlobalInit, false, 30*time.Second)
	if _, err := e.api.FireWebhook(ctxT(t, 10*time.Second), "online", map[string]any{}, false); err != nil {
		t.Fatal(err)
	}
	onlineAction := actions.ActionName(actions.KindOnline)
	e.waitRuns(onlineAction, 1, 20*time.Second)
	e.waitGlobal(actions.GlobalOnline, true, 10*time.Second)
	e.api.SetOnline(channelID, true, "Live now", 3)
	n := len(e.api.Requests())
	e.waitFor(30*time.Second, "two more polls", func() bool { return len(e.api.Requests()) > n+4 })
	if got := len(e.runs(onlineAction)); got != 1 {
		t.Fatalf("%d online runs, want 1", got)
	}
}

// Picarto cannot reach the webhook URL (425): a clear status, picartoInit
// back to False, and polling keeps working.
func TestUnreachableWebhookURLDegrades(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.sb.SetGlobal(actions.GlobalWebhookURL, fmt.Sprintf("http://127.0.0.1:%d", freePort(t)), true)
	p := e.start()
	e.waitPolled(1)
	e.sb.SetGlobal(actions.GlobalInit, "True", false)
	e.waitGlobal(actions.GlobalBridgeStatus, "degraded: webhook URL not reachable", 30*time.Second)
	e.waitGlobal(actions.GlobalInit, false, 10*time.Second)
	if !strings.Contains(p.output(), "reachable from the internet") {
		t.Fatalf("no clear log line about the webhook URL:\n%s", p.output())
	}
	e.api.AddFollower(channelID, picartotest.User{ID: 91, Name: "StillPolled"})
	e.waitRuns(followAction, 1, 30*time.Second)
}

// A new picartoPort moves the HTTP server without a restart.
func TestPortChangeMovesHTTPServer(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	e.start()
	e.waitFor(20*time.Second, "healthz on the first port", func() bool { return e.healthz() == 200 })
	old := e.port
	e.port = freePort(t)
	e.sb.SetGlobal(actions.GlobalPort, fmt.Sprint(e.port), true)
	e.waitFor(20*time.Second, "healthz on the new port", func() bool { return e.healthz() == 200 })
	e.port = old
	e.waitFor(10*time.Second, "old port closed", func() bool { return e.healthz() == 0 })
}

package actions

import (
	"slices"
	"testing"
)

func TestNames(t *testing.T) {
	tests := []struct {
		kind                   Kind
		action, event, display string
	}{
		{KindFollow, "Process Picarto Follow", "picartoFollow", "Follow"},
		{KindUnfollow, "Process Picarto Unfollow", "picartoUnfollow", "Unfollow"},
		{KindSubscribe, "Process Picarto Subscriber", "picartoSubscribe", "Subscriber"},
		{KindUnsubscribe, "Process Picarto Unsubscribe", "picartoUnsubscribe", "Unsubscribe"},
		{KindOnline, "Process Picarto Online", "picartoOnline", "Stream Online"},
		{KindOffline, "Process Picarto Offline", "picartoOffline", "Stream Offline"},
		{KindEventStart, "Process Picarto Event Start", "picartoEventStart", "Event Start"},
		{KindEventEnd, "Process Picarto Event End", "picartoEventEnd", "Event End"},
		{KindChat, "Process Picarto Chat", "picartoChat", "Chat Message"},
		{KindRaid, "Process Picarto Raid", "picartoRaid", "Raid"},
		{KindTip, "Process Picarto Tip", "picartoTip", "Tip"},
	}
	if got := AllKinds(); len(got) != len(tests) {
		t.Fatalf("AllKinds() has %d kinds, want %d", len(got), len(tests))
	}
	for i, tt := range tests {
		if k := AllKinds()[i]; k != tt.kind {
			t.Errorf("AllKinds()[%d] = %q, want %q", i, k, tt.kind)
		}
		if !tt.kind.Valid() {
			t.Errorf("%q.Valid() = false", tt.kind)
		}
		if got := ActionName(tt.kind); got != tt.action {
			t.Errorf("ActionName(%q) = %q, want %q", tt.kind, got, tt.action)
		}
		if got := TriggerEventName(tt.kind); got != tt.event {
			t.Errorf("TriggerEventName(%q) = %q, want %q", tt.kind, got, tt.event)
		}
		if got := TriggerDisplayName(tt.kind); got != tt.display {
			t.Errorf("TriggerDisplayName(%q) = %q, want %q", tt.kind, got, tt.display)
		}
		if k, ok := KindForAction(tt.action); !ok || k != tt.kind {
			t.Errorf("KindForAction(%q) = %q, %v", tt.action, k, ok)
		}
		if k, ok := KindForTriggerEvent(tt.event); !ok || k != tt.kind {
			t.Errorf("KindForTriggerEvent(%q) = %q, %v", tt.event, k, ok)
		}
	}
	for _, bad := range []Kind{"", "Follow", "host"} {
		if bad.Valid() || ActionName(bad) != "" || TriggerEventName(bad) != "" || TriggerDisplayName(bad) != "" {
			t.Errorf("unknown kind %q has names", bad)
		}
	}
	if _, ok := KindForAction("Process Picarto Host"); ok {
		t.Error("KindForAction found an unknown action")
	}
	if _, ok := KindForTriggerEvent("picarto_follow"); ok {
		t.Error("KindForTriggerEvent found an unknown event name")
	}
	// AllKinds returns a copy.
	AllKinds()[0] = "x"
	if AllKinds()[0] != KindFollow {
		t.Error("AllKinds shares its slice")
	}
}

func TestHookGlobal(t *testing.T) {
	tests := map[string]string{
		"follow":      "picartoFollowHook",
		"unfollow":    "picartoUnfollowHook",
		"subscribe":   "picartoSubHook",
		"unsubscribe": "picartoUnsubHook",
		"online":      "picartoOnlineHook",
		"offline":     "picartoOfflineHook",
		"event_start": "picartoEvStartHook",
		"event_end":   "picartoEvEndHook",
		"chat":        "",
		"":            "",
		"Follow":      "",
	}
	for typ, want := range tests {
		if got := HookGlobal(typ); got != want {
			t.Errorf("HookGlobal(%q) = %q, want %q", typ, got, want)
		}
		if want != "" && (!Persisted(want) || !slices.Contains(WrittenGlobals(), want)) {
			t.Errorf("%s: want a persisted, written global", want)
		}
	}
}

func TestGlobals(t *testing.T) {
	tests := []struct {
		name             string
		persisted, write bool
	}{
		{"picartoBearer", true, false},
		{"picartoChannelName", true, false},
		{"picartoClientID", true, false},
		{"picartoClientToken", true, false},
		{"picartoRefreshToken", true, false},
		{"picartoChannelToken", true, false},
		{"picartoBotName", true, false},
		{"picartoPort", true, false},
		{"picartoWebhookUrl", true, false},
		{"picartoInit", false, false},
		{"picartoAlerts", true, false},
		{"picartoChannelID", true, true},
		{"picartoOnline", false, true},
		{"picartoFollowerCount", true, true},
		{"picartoSubCount", true, true},
		{"picartoViewerCount", false, true},
		{"picartoLastFollower", true, true},
		{"picartoLastSubscriber", true, true},
		{"picartoFollowHook", true, true},
		{"picartoUnfollowHook", true, true},
		{"picartoSubHook", true, true},
		{"picartoUnsubHook", true, true},
		{"picartoOnlineHook", true, true},
		{"picartoOfflineHook", true, true},
		{"picartoEvStartHook", true, true},
		{"picartoEvEndHook", true, true},
		{"picartoBridgeStatus", false, true},
	}
	all := AllGlobals()
	if len(all) != len(tests) {
		t.Errorf("AllGlobals() has %d names, want %d: %v", len(all), len(tests), all)
	}
	for _, tt := range tests {
		if !slices.Contains(all, tt.name) || !IsGlobal(tt.name) {
			t.Errorf("%s missing from AllGlobals", tt.name)
		}
		if got := Persisted(tt.name); got != tt.persisted {
			t.Errorf("Persisted(%q) = %v, want %v", tt.name, got, tt.persisted)
		}
		if got := slices.Contains(WrittenGlobals(), tt.name); got != tt.write {
			t.Errorf("%s written = %v, want %v", tt.name, got, tt.write)
		}
	}
	if !Persisted("someOtherGlobal") || IsGlobal("someOtherGlobal") {
		t.Error("an unknown global should count as persisted and not ours")
	}
	consts := []string{GlobalBearer, GlobalChannelName, GlobalClientID, GlobalClientToken, GlobalRefreshToken,
		GlobalChannelToken, GlobalBotName, GlobalPort, GlobalWebhookURL, GlobalInit, GlobalAlerts, GlobalChannelID,
		GlobalOnline, GlobalFollowerCount, GlobalSubCount, GlobalViewerCount, GlobalLastFollower,
		GlobalLastSubscriber, GlobalBridgeStatus, GlobalFollowHook, GlobalUnfollowHook, GlobalSubHook,
		GlobalUnsubHook, GlobalOnlineHook, GlobalOfflineHook, GlobalEvStartHook, GlobalEvEndHook}
	slices.Sort(consts)
	slices.Sort(all)
	if !slices.Equal(consts, all) {
		t.Errorf("constants %v\n != AllGlobals %v", consts, all)
	}
}

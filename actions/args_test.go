package actions

import (
	"github.com/picarto-bridge/picarto-bridge/internal/jsonstr"

	"bytes"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

func ptr[T any](v T) *T { return &v }

var (
	t0    = time.Date(2025, 3, 1, 20, 15, 30, 123456789, time.FixedZone("CET", 3600))
	t0s   = "2025-03-01T19:15:30Z"
	alice = &User{Display: "Alice", Login: "alice", ID: "4242", Avatar: "https://images.picarto.tv/alice.png"}
)

// sampleEvents holds one realistic event of every kind.
func sampleEvents() map[Kind]Event {
	return map[Kind]Event{
		KindFollow:      {Kind: KindFollow, ID: "f1", CreatedAt: t0, User: alice, FollowerCount: ptr(101)},
		KindUnfollow:    {Kind: KindUnfollow, ID: "u1", CreatedAt: t0, User: alice},
		KindSubscribe:   {Kind: KindSubscribe, ID: "s1", CreatedAt: t0, User: alice, SubCount: ptr(7), Tier: "tier 2", MonthsSubscribed: ptr(3), IsGift: ptr(false), GiftCount: ptr(0)},
		KindUnsubscribe: {Kind: KindUnsubscribe, ID: "s2", CreatedAt: t0, User: alice, SubCount: ptr(6)},
		KindOnline:      {Kind: KindOnline, ID: "o1", CreatedAt: t0, Title: "Painting <dragons> & more", Category: "Creative", Viewers: ptr(12), StartedAt: t0},
		KindOffline:     {Kind: KindOffline, ID: "o2", CreatedAt: t0, EndedAt: t0.Add(time.Hour), Duration: ptr(3600)},
		KindEventStart:  {Kind: KindEventStart, ID: "e1", CreatedAt: t0, Title: "Art jam"},
		KindEventEnd:    {Kind: KindEventEnd, ID: "e2", CreatedAt: t0, IsTest: true},
		KindChat:        {Kind: KindChat, ID: "c1", CreatedAt: t0, User: alice, Message: "hi \"all\"\n\u2028\x01 é", MsgID: "m-9", Color: "#ff0000", IsModerator: true},
		KindRaid:        {Kind: KindRaid, ID: "r1", CreatedAt: t0, User: &User{Display: "Bob", Login: "bob"}, Viewers: ptr(25)},
		KindTip:         {Kind: KindTip, ID: "t1", CreatedAt: t0, User: alice, Amount: ptr(500), Message: "for the brushes"},
	}
}

func TestArgs(t *testing.T) {
	common := func(kind, id string, extra map[string]any) map[string]any {
		m := map[string]any{"userType": "picarto", "fromPicarto": true, "picartoEvent": kind,
			"picartoEventId": id, "isTest": false, "createdAt": t0s}
		maps.Copy(m, extra)
		return m
	}
	aliceArgs := map[string]any{"user": "Alice", "userName": "alice", "userId": "4242",
		"avatar": "https://images.picarto.tv/alice.png", "userProfileImage": "https://images.picarto.tv/alice.png"}
	with := func(a, b map[string]any) map[string]any {
		m := maps.Clone(a)
		maps.Copy(m, b)
		return m
	}
	ev := sampleEvents()
	tests := []struct {
		kind Kind
		want map[string]any
	}{
		{KindFollow, common("follow", "f1", with(aliceArgs, map[string]any{"followerCount": 101}))},
		{KindUnfollow, common("unfollow", "u1", aliceArgs)},
		{KindSubscribe, common("subscribe", "s1", with(aliceArgs, map[string]any{"subCount": 7, "tier": "tier 2",
			"monthsSubscribed": 3, "isGift": false, "giftCount": 0}))},
		{KindOnline, common("online", "o1", map[string]any{"title": "Painting <dragons> & more", "category": "Creative",
			"viewers": 12, "startedAt": t0s})},
		{KindOffline, common("offline", "o2", map[string]any{"endedAt": "2025-03-01T20:15:30Z", "duration": 3600})},
		{KindEventStart, common("event_start", "e1", map[string]any{"title": "Art jam"})},
		{KindEventEnd, common("event_end", "e2", map[string]any{"isTest": true})},
		{KindChat, common("chat", "c1", with(aliceArgs, map[string]any{"message": "hi \"all\"\n\u2028\x01 é",
			"rawInput": "hi \"all\"\n\u2028\x01 é", "msgId": "m-9", "color": "#ff0000",
			"isStreamer": false, "isBot": false, "isModerator": true}))},
		{KindRaid, common("raid", "r1", map[string]any{"user": "Bob", "userName": "bob", "viewers": 25})},
		{KindTip, common("tip", "t1", with(aliceArgs, map[string]any{"amount": 500, "message": "for the brushes"}))},
	}
	for _, tt := range tests {
		got := Args(ev[tt.kind])
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Args(%s)\n got %v\nwant %v", tt.kind, got, tt.want)
		}
	}
}

func TestArgsTypesAndNames(t *testing.T) {
	numbers := []string{"followerCount", "subCount", "viewers", "duration", "amount", "monthsSubscribed", "giftCount"}
	bools := []string{"fromPicarto", "isTest", "isStreamer", "isBot", "isModerator", "isGift"}
	for k, e := range sampleEvents() {
		names := ArgNames(k)
		for name, v := range Args(e) {
			switch {
			case slices.Contains(numbers, name):
				if _, ok := v.(int); !ok {
					t.Errorf("%s: %s is %T, want int", k, name, v)
				}
			case slices.Contains(bools, name):
				if _, ok := v.(bool); !ok {
					t.Errorf("%s: %s is %T, want bool", k, name, v)
				}
			default:
				if s, ok := v.(string); !ok || s == "" {
					t.Errorf("%s: %s is %T %q, want a non-empty string", k, name, v, v)
				}
			}
			if !slices.Contains(names, name) {
				t.Errorf("%s: argument %s not in ArgNames %v", k, name, names)
			}
		}
	}
}

func TestArgsUnknownLeftOut(t *testing.T) {
	got := Args(Event{Kind: KindFollow, User: &User{Display: "Mixed Case"}})
	want := map[string]any{"userType": "picarto", "fromPicarto": true, "picartoEvent": "follow",
		"isTest": false, "user": "Mixed Case", "userName": "mixed case"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %v\nwant %v", got, want)
	}
	// Chat flags are known for chat only.
	got = Args(Event{Kind: KindTip, IsModerator: true})
	if _, ok := got["isModerator"]; ok {
		t.Errorf("tip carries isModerator: %v", got)
	}
}

// TestAppendArgsJSON proves AppendArgsJSON writes exactly json.Marshal(Args(e)).
func TestAppendArgsJSON(t *testing.T) {
	events := sampleEvents()
	odd := []string{"", "plain", "<>&", "\x00\x1f\x7f", "\b\f\n\r\t\"\\", "\xff\xfe bad", "ok\xe2\x82",
		"\u2028\u2029", "emoji 🎨", "ÅNGSTRÖM Ünïcödé", "İstanbul ǅ", "\ufffd", strings.Repeat("x", 300)}
	for i, s := range odd {
		events[Kind("odd"+string(rune('a'+i)))] = Event{Kind: KindChat, ID: s, Message: s, Tier: s,
			User: &User{Display: s, Login: s, ID: s, Avatar: s}, CreatedAt: t0}
	}
	events["zero"] = Event{}
	events["far"] = Event{Kind: KindOffline, CreatedAt: time.Date(12345, 1, 2, 3, 4, 5, 0, time.UTC), Duration: ptr(-1)}
	for name, e := range events {
		want, err := json.Marshal(Args(e))
		if err != nil {
			t.Fatal(err)
		}
		got := AppendArgsJSON(nil, e)
		if !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
		prefix := AppendArgsJSON([]byte("x"), e)
		if string(prefix[1:]) != string(want) {
			t.Errorf("%s: prefix not kept", name)
		}
	}
}

func TestAppendArgsJSONAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	for k, e := range sampleEvents() {
		if n := testing.AllocsPerRun(100, func() { buf = AppendArgsJSON(buf[:0], e) }); n != 0 {
			t.Errorf("%s: AppendArgsJSON allocates %v times per call, want 0", k, n)
		}
	}
}

func FuzzAppendJSONString(f *testing.F) {
	for _, s := range []string{"", "a", "\x00", "\xff", "<&>", "\u2028", "é\xc3", "\"\\/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		want, _ := json.Marshal(s)
		if got := jsonstr.Append(nil, s); !bytes.Equal(got, want) {
			t.Fatalf("jsonstr.Append(%q) = %s, want %s", s, got, want)
		}
		e := Event{Kind: KindChat, Message: s, User: &User{Login: s}}
		want, _ = json.Marshal(Args(e))
		if got := AppendArgsJSON(nil, e); !bytes.Equal(got, want) {
			t.Fatalf("AppendArgsJSON(%q) = %s, want %s", s, got, want)
		}
	})
}

func BenchmarkArgs(b *testing.B) {
	e := sampleEvents()[KindChat]
	b.ReportAllocs()
	for b.Loop() {
		_ = Args(e)
	}
}

func BenchmarkAppendArgsJSON(b *testing.B) {
	e := sampleEvents()[KindChat]
	buf := make([]byte, 0, 1024)
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendArgsJSON(buf[:0], e)
	}
}

// BenchmarkMarshalArgs is the baseline AppendArgsJSON replaces.
func BenchmarkMarshalArgs(b *testing.B) {
	e := sampleEvents()[KindChat]
	b.ReportAllocs()
	for b.Loop() {
		_, _ = json.Marshal(Args(e))
	}
}

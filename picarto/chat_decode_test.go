package picarto_test

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto"
)

func chatBool(b bool) *bool { return &b }

// TestChatDecodeFixtures decodes every frame kind from testdata/chat.
func TestChatDecodeFixtures(t *testing.T) {
	sacaTime := time.UnixMilli(1788880502781)
	want := map[string][]picarto.ChatEvent{
		"c_real_capture.json": {picarto.ChatMessage{
			ID: "10a4cad0-ab98-11f1-90f7-ab89c31c47cb", ChannelID: "1489462", ChannelName: "Saca",
			UserID: "1489462", DisplayName: "Saca", UserName: "saca",
			Avatar: "https://images.picarto.tv/ptvimages/1/14/1489462/avatars/gjU7pa9Cojx9iEm9Ap4z6AGGNLh8qQ4q8YPKoB4m.png",
			Text:   "Im going to bed.:ptv-sleepy:Thank you everyone, see you tomorrow~:ptv-hearts:",
			Color:  "#ffc2dd", IsStreamer: true, Time: sacaTime,
		}},
		"c_old_keys.json": {
			picarto.ChatMessage{ID: "abc-1", ChannelID: "1489462", ChannelName: "Saca", UserID: "777",
				DisplayName: "FanBoy", UserName: "fanboy", Avatar: "https://cdn.example/a.png", Text: "hello  ",
				Color: "#ff00aa", IsBot: true, Time: time.UnixMilli(1700000000123)},
			picarto.ChatMessage{ID: "abc-2", ChannelID: "1489462", UserID: "778", DisplayName: "Mod",
				UserName: "mod", Text: "hi", IsModerator: true, Time: time.UnixMilli(1700000000999)},
		},
		"c_bad_fields.json": {picarto.ChatMessage{DisplayName: "Odd", UserName: "odd", Text: "42",
			Avatar: "https://images.picarto.tv/ptvimages/x.png"}},
		"ct_tip.json": {picarto.ChatTip{Amount: 100, ChatMessage: picarto.ChatMessage{
			ID: "7f1c0a10-ab98-11f1-90f7-ab89c31c47cb", ChannelID: "1489462", ChannelName: "Saca", UserID: "777",
			DisplayName: "Fan", UserName: "fan", Avatar: "https://images.picarto.tv/ptvimages/1/77/777/avatars/a.png",
			Text: "great stream kudo100", Color: "#66afff", Time: time.UnixMilli(1788880509999)}}},
		"c_tip_v.json": {picarto.ChatTip{Amount: 25, ChatMessage: picarto.ChatMessage{ID: "t-2",
			ChannelID: "1489462", UserID: "779", DisplayName: "Tipper", UserName: "tipper",
			Text: "take my kudos", Time: time.UnixMilli(1788880510000)}}},
		"raid.json":             {picarto.ChatRaid{From: "Raider", To: "Saca", Message: "Raider is raiding Saca with 42 viewers!", Viewers: 42}},
		"raid_no_count.json":    {picarto.ChatRaid{From: "Raider", To: "Saca", Message: "Raider is raiding Saca!"}},
		"raid_count_key.json":   {picarto.ChatRaid{From: "Raider", To: "Saca", Message: "Raider is raiding Saca!", Viewers: 17}},
		"ns_sub.json":           {picarto.ChatSubscription{Name: "Subby", Channel: "Saca", Months: 3, Level: "2"}},
		"ns_gift.json":          {picarto.ChatSubscription{Name: "Gifter", Recipient: "Lucky", Channel: "Saca", Months: 1, Gift: true, GiftCount: 1}},
		"ns_community.json":     {picarto.ChatSubscription{Name: "Generous", Channel: "Saca", Months: 1, Gift: true, GiftCount: 5}},
		"ns_anonymous.json":     {picarto.ChatSubscription{Recipient: "Lucky", Channel: "Saca", Months: 6, Gift: true, Anonymous: true, GiftCount: 1}},
		"un.json":               {picarto.ChatUserJoined{UserID: "777", Name: "Fan"}},
		"ur.json":               {picarto.ChatUserLeft{UserID: "777", Name: "Fan"}},
		"rm.json":               {picarto.ChatMessageRemoved{ID: "10a4cad0-ab98-11f1-90f7-ab89c31c47cb", Replacement: "<message deleted>"}},
		"cm.json":               {picarto.ChatUserCleared{UserID: "777"}},
		"system.json":           {picarto.ChatSystemNotice{Text: "Welcome to Saca's Chat"}},
		"system_mod_links.json": {picarto.ChatSystemNotice{Text: "Read the rules and the FAQ", ModeratorOnly: true}},
		"stream.json":           {picarto.ChatViewerCount{ChannelID: "1489462", Name: "Saca", Viewers: 57, Online: chatBool(true)}},
		"stream_sum.json":       {picarto.ChatViewerCount{ChannelID: "1489462", Viewers: 15}},
		"paginated.json":        nil,
		"history_p.json":        nil,
		"auth_ok.json":          {picarto.ChatStatus{Type: "authentication", Success: true}},
		"auth_fail.json":        {picarto.ChatStatus{Type: "authentication"}},
		"pong.json":             {picarto.ChatStatus{Success: true, Code: "PONG"}},
		"jwt_token.json":        {picarto.ChatStatus{Code: "JWT_TOKEN"}},
		"unknown_welcome.json":  {picarto.ChatUnknown{Type: "welcomeMessage"}},
		"unknown_nk.json":       {picarto.ChatUnknown{Type: "nk"}},
		"not_object.json":       {picarto.ChatUnknown{}},
	}
	files, err := filepath.Glob(filepath.Join("testdata", "chat", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, f := range files {
		name := filepath.Base(f)
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			exp, ok := want[name]
			if !ok {
				t.Fatalf("fixture %s has no expectation", name)
			}
			for i, e := range exp { // unknowns carry the whole frame
				if u, ok := e.(picarto.ChatUnknown); ok {
					u.Raw = b
					exp[i] = u
				}
			}
			got, err := picarto.DecodeChatFrame(b)
			if err != nil {
				t.Fatalf("DecodeChatFrame: %v", err)
			}
			if !reflect.DeepEqual(got, exp) {
				t.Errorf("got  %#v\nwant %#v", got, exp)
			}
		})
	}
	if len(files) != len(want) {
		t.Errorf("%d fixtures, %d expectations", len(files), len(want))
	}
}

func TestChatDecodeEdges(t *testing.T) {
	for _, in := range []string{"", "not json", `{"t":"c"`, "\xff"} {
		if _, err := picarto.DecodeChatFrame([]byte(in)); !errors.Is(err, picarto.ErrChatFrame) {
			t.Errorf("DecodeChatFrame(%q) error = %v, want ErrChatFrame", in, err)
		}
	}
	cases := map[string]int{ // frame -> number of events, never an error
		`null`:               1,
		`{}`:                 1,
		`{"t":"c","m":null}`: 0,
		`{"t":"c","m":{"n":"solo","m":"one line as object"}}`: 1,
		`{"t":"c","m":[{"t":"w","n":"x"}]}`:                   1, // unknown line type -> ChatUnknown
		`{"t":"stream","messages":{"id":1}}`:                  1, // no state -> ChatUnknown
		`{"t":"ns","m":[{"sn":"a"},{"sn":"b"}]}`:              2,
		`{"t":"un","m":"garbage"}`:                            1, // unreadable payload -> ChatUnknown
		`{"t":"raid","m":{"m":"X raids with 1,234 raiders"}}`: 1,
	}
	for in, n := range cases {
		evs, err := picarto.DecodeChatFrame([]byte(in))
		if err != nil || len(evs) != n {
			t.Errorf("DecodeChatFrame(%s) = %d events, %v; want %d", in, len(evs), err, n)
		}
	}
	evs, _ := picarto.DecodeChatFrame([]byte(`{"t":"raid","m":{"m":"X raids with 1,234 raiders"}}`))
	if r := evs[0].(picarto.ChatRaid); r.Viewers != 1234 {
		t.Errorf("raid viewers = %d, want 1234", r.Viewers)
	}
	evs, _ = picarto.DecodeChatFrame([]byte(`{"t":"c","m":[{"t":"w","n":"x"}]}`))
	if u, ok := evs[0].(picarto.ChatUnknown); !ok || u.Type != "c/w" || !strings.Contains(string(u.Raw), `"w"`) {
		t.Errorf("unknown line = %#v", evs[0])
	}
}

// FuzzDecodeChatFrame: never panics; errors only for non-JSON input.
func FuzzDecodeChatFrame(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "chat", "*.json"))
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		evs, err := picarto.DecodeChatFrame(b)
		if json.Valid(b) != (err == nil) {
			t.Fatalf("valid=%v err=%v", json.Valid(b), err)
		}
		for _, ev := range evs {
			if ev == nil {
				t.Fatal("nil event")
			}
		}
	})
}

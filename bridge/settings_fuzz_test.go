package bridge

import (
	"math"
	"strings"
	"testing"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/config"
)

// FuzzSettingsFromGlobals: the globals are typed by hand in Streamer.bot,
// so any of them may hold any text, number or boolean (contract section 3).
// settingsFrom never panics, keeps the port in range, the bearer free of
// surrounding quotes and spaces, every setting read as text trimmed, and the
// webhook URL without a trailing slash. The seeds in
// testdata/fuzz/FuzzSettingsFromGlobals include the inputs this target found.
func FuzzSettingsFromGlobals(f *testing.F) {
	f.Add(uint8(0), "Bearer abc", 9005.0, true, uint8(1))
	f.Add(uint8(7), " 9006 ", 70000.0, false, uint8(0))
	f.Add(uint8(8), "True", math.Inf(1), true, uint8(2))
	f.Add(uint8(9), "'quoted'", math.NaN(), false, uint8(0))
	f.Add(uint8(10), "https://x.example/", -1.0, true, uint8(1))
	names := []string{
		actions.GlobalBearer, actions.GlobalChannelName, actions.GlobalClientID, actions.GlobalClientToken,
		actions.GlobalRefreshToken, actions.GlobalChannelToken, actions.GlobalBotName, actions.GlobalPort,
		actions.GlobalInit, actions.GlobalAlerts, actions.GlobalWebhookURL,
	}
	cfg := config.Config{Port: 9005}
	f.Fuzz(func(t *testing.T, which uint8, text string, num float64, flag bool, kind uint8) {
		var v any
		switch kind % 4 {
		case 0:
			v = text
		case 1:
			v = num
		case 2:
			v = flag
		default:
			v = nil
		}
		g := globalValues{names[int(which)%len(names)]: v, actions.GlobalChannelName: text}
		s := settingsFrom(g, cfg)
		if s.Port <= 0 || s.Port > 65535 {
			t.Fatalf("port %d from %#v", s.Port, v)
		}
		// The bearer loses surrounding quotes and spaces, however nested.
		if b := s.Bearer.Reveal(); strings.Trim(b, `'"`) != b || strings.TrimSpace(b) != b {
			t.Fatalf("bearer %q keeps its quotes or spaces (from %#v)", b, v)
		}
		for _, x := range []string{s.Channel, s.ClientID, s.BotName, s.WebhookURL} {
			if x != strings.TrimSpace(x) {
				t.Fatalf("setting %q not trimmed (from %#v)", x, v)
			}
		}
		if strings.HasSuffix(s.WebhookURL, "/") {
			t.Fatalf("webhook URL %q keeps a trailing slash", s.WebhookURL)
		}
		_ = s.pollKey() + s.chatKey() + s.alertsKey() + s.httpKey() + s.webhookBase()
	})
}

package bridge

import (
	"testing"

	"github.com/picarto-bridge/picarto-bridge/internal/config"
)

func TestSettingsFromGlobalsLenient(t *testing.T) {
	cfg := config.Config{Port: 9005, Bearer: "env-bearer", Channel: "EnvChannel"}
	for _, tc := range []struct {
		name string
		g    globalValues
		want func(Settings) bool
	}{
		{"env fallbacks", globalValues{}, func(s Settings) bool {
			return s.Bearer.Reveal() == "env-bearer" && s.Channel == "EnvChannel" && s.Port == 9005 && s.BotName == "EnvChannel"
		}},
		{"globals win", globalValues{"picartoBearer": "g", "picartoChannelName": "Goat"}, func(s Settings) bool {
			return s.Bearer.Reveal() == "g" && s.Channel == "Goat"
		}},
		{"bearer pasted with prefix", globalValues{"picartoBearer": "Bearer eyABC "}, func(s Settings) bool {
			return s.Bearer.Reveal() == "eyABC"
		}},
		{"port as number", globalValues{"picartoPort": float64(9100)}, func(s Settings) bool { return s.Port == 9100 }},
		{"port as text", globalValues{"picartoPort": "9101"}, func(s Settings) bool { return s.Port == 9101 }},
		{"bad port ignored", globalValues{"picartoPort": "abc"}, func(s Settings) bool { return s.Port == 9005 }},
		{"init True text", globalValues{"picartoInit": "True"}, func(s Settings) bool { return s.Init }},
		{"init true bool", globalValues{"picartoInit": true}, func(s Settings) bool { return s.Init }},
		{"init False", globalValues{"picartoInit": "False"}, func(s Settings) bool { return !s.Init }},
		{"alerts lower true", globalValues{"picartoAlerts": "true"}, func(s Settings) bool { return s.Alerts }},
		{"bot name", globalValues{"picartoBotName": "MyBot"}, func(s Settings) bool { return s.BotName == "MyBot" }},
		{"webhook url trailing slash", globalValues{"picartoWebhookUrl": "https://x.example/"}, func(s Settings) bool {
			return s.webhookBase() == "https://x.example"
		}},
		{"default webhook base", globalValues{}, func(s Settings) bool { return s.webhookBase() == "http://localhost:9005" }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if s := settingsFrom(tc.g, cfg); !tc.want(s) {
				t.Fatalf("settings %+v", s)
			}
		})
	}
}

func TestComponentKeysChangeOnlyWithTheirSettings(t *testing.T) {
	cfg := config.Config{Port: 9005}
	a := settingsFrom(globalValues{"picartoChannelName": "A", "picartoChannelToken": "t1"}, cfg)
	b := settingsFrom(globalValues{"picartoChannelName": "A", "picartoChannelToken": "t2"}, cfg)
	if a.pollKey() != b.pollKey() || a.httpKey() != b.httpKey() {
		t.Fatal("a chat token change must not restart polling or HTTP")
	}
	if a.chatKey() == b.chatKey() {
		t.Fatal("a chat token change must restart chat")
	}
	c := settingsFrom(globalValues{"picartoChannelName": "A", "picartoChannelToken": "t1", "picartoPort": "9006"}, cfg)
	if a.httpKey() == c.httpKey() || a.chatKey() != c.chatKey() {
		t.Fatal("a port change moves only the HTTP server")
	}
}

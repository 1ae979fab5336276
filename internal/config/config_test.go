package config

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDefaults(t *testing.T) {
	cfg, err := Parse(map[string]string{"BRIDGE_DATA_DIR": "/tmp/x"})
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SBURL != "ws://127.0.0.1:8080/" || cfg.Port != 9005 || cfg.PollInterval != 30*time.Second ||
		cfg.RateLimit != 30 || cfg.EventTTL != 15*time.Minute || cfg.LogLevel != slog.LevelInfo ||
		cfg.Host != "127.0.0.1" || cfg.PicartoChatURL != "wss://chat.picarto.tv/bot/" {
		t.Fatalf("defaults wrong: %+v", cfg)
	}
}

func TestAllProblemsListedAtOnce(t *testing.T) {
	_, err := Parse(map[string]string{
		"BRIDGE_POLL_INTERVAL": "soon",
		"BRIDGE_PORT":          "70000",
		"SB_WS_URL":            "127.0.0.1:8080",
		"PICARTO_API_URL":      "api.picarto.tv",
		"SB_WS_PASSWORD":       "hunter2",
	})
	var ce *Error
	if !errors.As(err, &ce) {
		t.Fatalf("err = %v, want *Error", err)
	}
	msg := err.Error()
	for _, want := range []string{"BRIDGE_POLL_INTERVAL", "BRIDGE_PORT", "SB_WS_URL", "PICARTO_API_URL"} {
		if !strings.Contains(msg, want) {
			t.Errorf("message %q does not name %s", msg, want)
		}
	}
	if strings.Contains(msg, "hunter2") {
		t.Errorf("secret in message: %s", msg)
	}
}

func TestTable(t *testing.T) {
	for _, tc := range []struct {
		name, key, value, wantErr string
	}{
		{"poll below minimum", "BRIDGE_POLL_INTERVAL", "2s", "BRIDGE_POLL_INTERVAL"},
		{"port zero", "BRIDGE_PORT", "0", "BRIDGE_PORT"},
		{"port text", "BRIDGE_PORT", "abc", "BRIDGE_PORT"},
		{"bad level", "BRIDGE_LOG_LEVEL", "loud", "BRIDGE_LOG_LEVEL"},
		{"bad ttl", "BRIDGE_EVENT_TTL", "-1m", "BRIDGE_EVENT_TTL"},
		{"rate zero", "PICARTO_RATE_LIMIT", "0", "PICARTO_RATE_LIMIT"},
		{"chat http", "PICARTO_CHAT_URL", "http://x/", "PICARTO_CHAT_URL"},
		{"ok debug", "BRIDGE_LOG_LEVEL", "debug", ""},
		{"ok wss", "SB_WS_URL", "wss://sb.example:443/", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(map[string]string{tc.key: tc.value, "BRIDGE_DATA_DIR": "/tmp/x"})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("unexpected %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("err = %v, want mention of %s", err, tc.wantErr)
			}
		})
	}
}

func TestDotEnvLoadedRealEnvWins(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, ".env")
	if err := os.WriteFile(f, []byte("BRIDGE_PORT=9100\nPICARTO_CHANNEL=fromfile\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PICARTO_CHANNEL", "fromenv")
	t.Setenv("BRIDGE_DATA_DIR", dir)
	cfg, err := Load(f)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Port != 9100 || cfg.Channel != "fromenv" {
		t.Fatalf("port %d channel %q", cfg.Port, cfg.Channel)
	}
}

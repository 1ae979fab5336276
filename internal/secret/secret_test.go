package secret

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	s := Secret("hunter2-token")
	var buf bytes.Buffer
	log := slog.New(slog.NewTextHandler(&buf, nil))
	log.Info("x", "tok", s)
	js, _ := json.Marshal(struct{ T Secret }{s})
	outs := []string{
		fmt.Sprint(s), fmt.Sprintf("%v %s %q %#v %+v", s, s, s, s, struct{ T Secret }{s}),
		buf.String(), string(js),
	}
	for _, o := range outs {
		if strings.Contains(o, "hunter2") {
			t.Errorf("secret leaked: %s", o)
		}
	}
	if s.Reveal() != "hunter2-token" {
		t.Errorf("Reveal = %q", s.Reveal())
	}
}

func TestScrub(t *testing.T) {
	got := Scrub("url wss://x/bot/username=a&password=abcdef", "abcdef", "")
	if strings.Contains(got, "abcdef") || !strings.Contains(got, Redacted) {
		t.Errorf("Scrub = %q", got)
	}
}

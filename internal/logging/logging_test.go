package logging

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestFileAndStderr(t *testing.T) {
	var buf bytes.Buffer
	f := filepath.Join(t.TempDir(), "logs", "bridge.log")
	log, closer, err := New(Options{Level: slog.LevelInfo, Stderr: &buf, File: f})
	if err != nil {
		t.Fatal(err)
	}
	log.Debug("hidden")
	log.Info("hello", "k", 1)
	if err := closer.Close(); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(f)
	if err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{buf.String(), string(b)} {
		if !strings.Contains(out, "hello") || strings.Contains(out, "hidden") {
			t.Errorf("output %q", out)
		}
	}
}

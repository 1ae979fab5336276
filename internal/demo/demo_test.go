package demo

import (
	"bytes"
	"context"
	"strings"
	"testing"
	"time"
)

// TestDemoRunsToTheEnd is `go run . demo` in-process: every scripted step
// must reach the fake Streamer.bot.
func TestDemoRunsToTheEnd(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	var out bytes.Buffer
	if err := Run(ctx, Options{Out: &out}); err != nil {
		t.Fatalf("demo: %v\n%s", err, out.String())
	}
	for _, want := range []string{
		"Process Picarto Follow", "Process Picarto Subscriber", "Process Picarto Online",
		"Process Picarto Chat", "Process Picarto Tip", "picartoEvEndHook", "demo finished",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("demo output lacks %q:\n%s", want, out.String())
		}
	}
}

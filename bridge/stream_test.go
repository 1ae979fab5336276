package bridge

import (
	"context"
	"encoding/json"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/outbox"
)

// testBridge is a Bridge with a real outbox and no Streamer.bot (globals are
// remembered, not written).
func testBridge(t *testing.T) *Bridge {
	t.Helper()
	store, err := outbox.Open(filepath.Join(t.TempDir(), "bridge.db"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	log := slog.New(slog.NewTextHandler(t.Output(), nil))
	return &Bridge{log: log, store: store, globals: newGlobalWriter(log), status: newStatusBoard(),
		missing: &missingReporter{log: log}, triggers: newTriggerSet()}
}

func queuedKinds(t *testing.T, b *Bridge) []actions.Kind {
	t.Helper()
	entries, err := b.store.Peek(0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []actions.Kind
	for _, e := range entries {
		var p payload
		if err := json.Unmarshal(e.Payload, &p); err != nil {
			t.Fatal(err)
		}
		kinds = append(kinds, p.Kind)
	}
	return kinds
}

func TestFlapGuard(t *testing.T) {
	b := testBridge(t)
	m := newStreamMachine(b, "Goat")
	m.guard = 300 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	var wg conc.WaitGroup
	wg.Go(func() { _ = m.run(ctx) })
	defer wg.Wait()
	defer cancel()

	obs := func(online bool) {
		t.Helper()
		if err := m.observe(ctx, streamObs{online: online, title: "t"}); err != nil {
			t.Fatal(err)
		}
	}
	obs(false) // baseline: offline, no alert
	if k := queuedKinds(t, b); len(k) != 0 {
		t.Fatalf("baseline queued %v", k)
	}
	obs(true)
	obs(false) // drops ...
	obs(true)  // ... and is back within the guard
	if k := queuedKinds(t, b); len(k) != 1 || k[0] != actions.KindOnline {
		t.Fatalf("after a flap: %v, want [online]", k)
	}
	if v, _ := b.globals.Wanted(actions.GlobalOnline); v != "True" {
		t.Fatalf("picartoOnline wanted %q during a flap", v)
	}
	obs(false) // a real end: offline once the guard passes
	deadline := time.After(5 * time.Second)
	for len(queuedKinds(t, b)) < 2 {
		select {
		case <-b.store.Notify():
		case <-deadline:
			t.Fatalf("no offline event after the guard: %v", queuedKinds(t, b))
		}
	}
	if k := queuedKinds(t, b); k[1] != actions.KindOffline {
		t.Fatalf("queued %v", k)
	}
	if v, _ := b.globals.Wanted(actions.GlobalOnline); v != "False" {
		t.Fatalf("picartoOnline wanted %q after offline", v)
	}
}

func TestStreamStateSurvivesRestart(t *testing.T) {
	b := testBridge(t)
	run := func(fn func(m *streamMachine, ctx context.Context)) {
		m := newStreamMachine(b, "Goat")
		ctx, cancel := context.WithCancel(t.Context())
		var wg conc.WaitGroup
		wg.Go(func() { _ = m.run(ctx) })
		fn(m, ctx)
		cancel()
		wg.Wait()
	}
	run(func(m *streamMachine, ctx context.Context) {
		_ = m.observe(ctx, streamObs{online: false})
		_ = m.observe(ctx, streamObs{online: true})
	})
	run(func(m *streamMachine, ctx context.Context) {
		_ = m.observe(ctx, streamObs{online: true}) // still live after a restart: no second alert
	})
	if k := queuedKinds(t, b); len(k) != 1 {
		t.Fatalf("queued %v, want one online", k)
	}
}

package bridge

import (
	"sync"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

// triggerSet knows which Picarto custom code triggers Streamer.bot has
// registered (GetCodeTriggers, refreshed on every connect), so each event is
// also fired as `ExecuteCodeTrigger` for users who attach actions to
// "Picarto > Follow" in the trigger menu instead of naming actions exactly.
type triggerSet struct {
	mu      sync.Mutex
	byKind  map[actions.Kind]string
	partial map[uint64]bool // entries whose action ran but whose trigger did not yet
}

func newTriggerSet() *triggerSet {
	return &triggerSet{byKind: map[actions.Kind]string{}, partial: map[uint64]bool{}}
}

// update replaces the known triggers with Streamer.bot's list.
func (t *triggerSet) update(list []sbclient.CodeTrigger) {
	have := map[string]bool{}
	for _, tr := range list {
		have[tr.EventName] = true
	}
	byKind := map[actions.Kind]string{}
	for _, k := range actions.AllKinds() {
		if name := actions.TriggerEventName(k); have[name] {
			byKind[k] = name
		}
	}
	t.mu.Lock()
	t.byKind = byKind
	t.mu.Unlock()
}

func (t *triggerSet) eventFor(k actions.Kind) string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.byKind[k]
}

func (t *triggerSet) retryLater(seq uint64) {
	t.mu.Lock()
	t.partial[seq] = true
	t.mu.Unlock()
}

func (t *triggerSet) actionDone(seq uint64) bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.partial[seq]
}

func (t *triggerSet) forget(seq uint64) {
	t.mu.Lock()
	delete(t.partial, seq)
	t.mu.Unlock()
}

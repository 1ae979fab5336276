package bridge

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

// actionRunner is the part of sbclient.Client the globals writer needs.
type actionRunner interface {
	DoAction(ctx context.Context, action sbclient.ActionRef, args map[string]any) error
	Connected() bool
}

// globalWriter keeps the globals the bridge owns (contract section 3,
// "Written") in step with Streamer.bot: it remembers the wanted value of each,
// knows what Streamer.bot holds, and writes only differences through the
// `Picarto Set Global` helper action. Writes wanted while Streamer.bot is
// away are made after the next connect.
type globalWriter struct {
	log *slog.Logger

	mu            sync.Mutex
	want          map[string]string    // name -> formatted value
	known         map[string]string    // name -> formatted value Streamer.bot holds
	wrote         map[string]time.Time // when the bridge last wrote each global
	helperMissing bool
	flushMu       sync.Mutex    // one flush at a time, so writes keep their order
	kick          chan struct{} // SetLater's wake-up for the flusher (cap 1)
}

func newGlobalWriter(log *slog.Logger) *globalWriter {
	return &globalWriter{log: log, want: map[string]string{}, known: map[string]string{}, wrote: map[string]time.Time{},
		kick: make(chan struct{}, 1)}
}

// setKnown records what Streamer.bot holds (from GetGlobals or a
// Misc.GlobalVariable* event). A nil value with ok=false means deleted.
func (w *globalWriter) setKnown(name string, value any, ok bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !ok {
		delete(w.known, name)
		return
	}
	w.known[name] = actions.ParseString(value)
}

// resetKnown replaces the known set with a full GetGlobals read that began at
// readAt. A global the bridge wrote after readAt keeps the written value: the
// read may predate the write, and rewriting it would be a needless write.
func (w *globalWriter) resetKnown(g globalValues, readAt time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	known := make(map[string]string, len(g))
	for k, v := range g {
		known[k] = actions.ParseString(v)
	}
	for k, at := range w.wrote {
		if at.After(readAt) {
			if v, ok := w.known[k]; ok {
				known[k] = v
			}
		}
	}
	w.known = known
}

// Set records the wanted value and writes it now when connected.
func (w *globalWriter) Set(ctx context.Context, sb actionRunner, name string, value any) {
	w.mu.Lock()
	w.want[name] = actions.FormatValue(value)
	w.mu.Unlock()
	w.Flush(ctx, sb)
}

// SetLater records the wanted value and leaves the write to the session's
// flusher, so a hot path (a webhook answer, a poll) does not wait for a
// Streamer.bot round trip, and a burst of changes to one global (the last
// follower during a follow storm) becomes one write of the newest value.
func (w *globalWriter) SetLater(name string, value any) {
	w.mu.Lock()
	w.want[name] = actions.FormatValue(value)
	w.mu.Unlock()
	select {
	case w.kick <- struct{}{}:
	default:
	}
}

// laterDelay gathers SetLater changes before a flush: during a follow storm
// picartoLastFollower is written a few times a second, not once per follow.
const laterDelay = 100 * time.Millisecond

// runFlusher writes what SetLater recorded until ctx ends.
func (w *globalWriter) runFlusher(ctx context.Context, sb actionRunner) {
	t := time.NewTimer(laterDelay)
	t.Stop()
	defer t.Stop()
	for {
		select {
		case <-w.kick:
			t.Reset(laterDelay)
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
			w.Flush(ctx, sb)
		case <-ctx.Done():
			return
		}
	}
}

// Wanted returns the wanted value of a global, if the bridge set one.
func (w *globalWriter) Wanted(name string) (string, bool) {
	w.mu.Lock()
	defer w.mu.Unlock()
	v, ok := w.want[name]
	return v, ok
}

// Flush writes every wanted global that Streamer.bot lacks or holds with
// another value. It stops at the first transport error (the rest wait for the
// next connect).
func (w *globalWriter) Flush(ctx context.Context, sb actionRunner) {
	if !sb.Connected() {
		return
	}
	w.flushMu.Lock()
	defer w.flushMu.Unlock()
	for _, name := range w.diff() {
		w.mu.Lock()
		value, ok := w.want[name]
		w.mu.Unlock()
		if !ok {
			continue
		}
		args := actions.SetGlobalArgs(name, value, actions.Persisted(name))
		err := sb.DoAction(ctx, sbclient.ActionRef{Name: actions.SetGlobalAction}, args)
		var re *sbclient.RequestError
		switch {
		case err == nil:
			w.mu.Lock()
			if w.helperMissing {
				w.log.Info("helper action found again: globals are written", "action", actions.SetGlobalAction)
			}
			w.helperMissing = false
			w.known[name] = value
			w.wrote[name] = time.Now()
			w.mu.Unlock()
			w.log.Debug("global written", "name", name)
		case errors.As(err, &re):
			w.mu.Lock()
			first := !w.helperMissing
			w.helperMissing = true
			w.mu.Unlock()
			if first {
				w.log.Error("cannot write Streamer.bot globals: the helper action is missing or failed; "+
					"run `picarto-bridge import` and import the Picarto group into Streamer.bot (events still flow)",
					"action", actions.SetGlobalAction, "err", err)
			}
			return
		default:
			w.log.Debug("global write deferred", "name", name, "err", err)
			return
		}
	}
}

// HelperMissing reports whether the last write found no helper action.
func (w *globalWriter) HelperMissing() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.helperMissing
}

func (w *globalWriter) diff() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	var names []string
	for name, v := range w.want {
		if k, ok := w.known[name]; !ok || k != v {
			names = append(names, name)
		}
	}
	slices.Sort(names)
	return names
}

// Package ratelimit is a sliding-window limiter: at most N events in any
// window of length Per. Picarto's REST budget (contract section 8: at most
// PICARTO_RATE_LIMIT requests in any 60 s) and its chat rule (20 sends in any
// 30 s) are both of this kind. A token bucket (golang.org/x/time/rate) refills
// while it bursts and can let nearly 2N through one window, so it cannot keep
// either promise.
package ratelimit

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// Window admits at most N events in any interval of length Per. The whole
// budget may be used at once. PauseUntil stops every caller until a moment,
// as a 429 with Retry-After demands. A Window is safe for concurrent use.
type Window struct {
	n      int
	per    time.Duration
	margin time.Duration

	mu          sync.Mutex
	sent        []time.Time // admission times inside the window, oldest first
	pausedUntil time.Time

	onAdmit atomic.Pointer[func()]
}

// New returns a limiter for n events per window. Each admission counts for
// per plus a small margin (1% of per, at most 500 ms), so that jitter between
// admission and the request reaching the server never lets the server see
// n+1 events in one window.
func New(n int, per time.Duration) *Window {
	if n < 1 {
		n = 1
	}
	return &Window{n: n, per: per, margin: min(per/100, 500*time.Millisecond)}
}

// Limit returns N and the window length.
func (w *Window) Limit() (int, time.Duration) { return w.n, w.per }

// Wait blocks until an event may happen now and counts it, or returns
// ctx.Err() (counting nothing) when ctx ends first. It never holds the lock
// while it sleeps.
func (w *Window) Wait(ctx context.Context) error {
	for {
		d := w.tryAdmit(time.Now())
		if d == 0 {
			w.admitted()
			return nil
		}
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		}
	}
}

// Allow counts an event and reports true when one may happen now; otherwise
// it counts nothing and reports false.
func (w *Window) Allow() bool {
	if w.tryAdmit(time.Now()) != 0 {
		return false
	}
	w.admitted()
	return true
}

// OnAdmit sets a function called (outside the lock) after every admission,
// e.g. to persist Times so the budget survives a restart.
func (w *Window) OnAdmit(fn func()) { w.onAdmit.Store(&fn) }

func (w *Window) admitted() {
	if fn := w.onAdmit.Load(); fn != nil && *fn != nil {
		(*fn)()
	}
}

// Times returns the admission times still inside the window, oldest first.
func (w *Window) Times() []time.Time {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	var out []time.Time
	for _, s := range w.sent {
		if s.Add(w.per + w.margin).After(now) {
			out = append(out, s)
		}
	}
	return out
}

// Restore counts earlier admissions (a previous process's, read back from
// disk) toward the window, so a restart does not start with a full budget
// while those requests are still inside it. Times in the future are taken as
// now; the newest N are kept.
func (w *Window) Restore(times []time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	merged := append([]time.Time(nil), w.sent...)
	for _, t := range times {
		if t.After(now) {
			t = now
		}
		if t.Add(w.per + w.margin).After(now) {
			merged = append(merged, t)
		}
	}
	slices.SortFunc(merged, func(a, b time.Time) int { return a.Compare(b) })
	if len(merged) > w.n {
		merged = merged[len(merged)-w.n:]
	}
	w.sent = merged
}

// tryAdmit admits at now and returns 0, or returns how long to wait.
func (w *Window) tryAdmit(now time.Time) time.Duration {
	w.mu.Lock()
	defer w.mu.Unlock()
	if now.Before(w.pausedUntil) {
		return w.pausedUntil.Sub(now)
	}
	span := w.per + w.margin
	drop := 0
	for drop < len(w.sent) && !w.sent[drop].Add(span).After(now) {
		drop++
	}
	w.sent = w.sent[drop:]
	if len(w.sent) < w.n {
		w.sent = append(w.sent, now)
		return 0
	}
	return w.sent[0].Add(span).Sub(now)
}

// PauseUntil makes every Wait, including those already waiting, hold until t.
// An earlier t than a pause already in force changes nothing.
func (w *Window) PauseUntil(t time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if t.After(w.pausedUntil) {
		w.pausedUntil = t
	}
}

// Exhaust marks the window as used up until t: no event is admitted before
// t. It is what a server's "x-ratelimit-remaining: 0" means.
func (w *Window) Exhaust(t time.Time) { w.PauseUntil(t) }

// InWindow reports how many admissions the current window holds.
func (w *Window) InWindow() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := time.Now()
	c := 0
	for _, s := range w.sent {
		if s.Add(w.per + w.margin).After(now) {
			c++
		}
	}
	return c
}

package ratelimit

import (
	"context"
	"sort"
	"sync"
	"testing"
	"testing/synctest"
	"time"
)

// maxInAnyWindow returns the largest number of times within any span of per.
func maxInAnyWindow(ts []time.Time, per time.Duration) int {
	sort.Slice(ts, func(i, j int) bool { return ts[i].Before(ts[j]) })
	best, lo := 0, 0
	for hi := range ts {
		for ts[hi].Sub(ts[lo]) >= per {
			lo++
		}
		best = max(best, hi-lo+1)
	}
	return best
}

func TestWindowNeverExceeds(t *testing.T) {
	for _, tc := range []struct {
		name    string
		n       int
		per     time.Duration
		callers int
	}{
		{"rest 30/60s, 100 callers", 30, time.Minute, 100},
		{"chat 20/30s, 100 callers", 20, 30 * time.Second, 100},
		{"one per second", 1, time.Second, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				w := New(tc.n, tc.per)
				start := time.Now()
				var mu sync.Mutex
				var got []time.Time
				var wg sync.WaitGroup
				for range tc.callers {
					wg.Go(func() {
						if err := w.Wait(t.Context()); err != nil {
							t.Error(err)
							return
						}
						mu.Lock()
						got = append(got, time.Now())
						mu.Unlock()
					})
				}
				wg.Wait()
				if m := maxInAnyWindow(got, tc.per); m > tc.n {
					t.Fatalf("%d events in one window, limit %d", m, tc.n)
				}
				// The whole budget is usable at once.
				burst := 0
				for _, g := range got {
					if g.Equal(start) {
						burst++
					}
				}
				if burst != tc.n {
					t.Fatalf("first burst %d, want %d", burst, tc.n)
				}
			})
		})
	}
}

func TestPauseHoldsWaiters(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := New(100, time.Minute)
		start := time.Now()
		w.PauseUntil(start.Add(2 * time.Second))
		var wg sync.WaitGroup
		for range 5 {
			wg.Go(func() {
				if err := w.Wait(t.Context()); err != nil {
					t.Error(err)
				}
				if d := time.Since(start); d < 2*time.Second {
					t.Errorf("admitted after %v, during pause", d)
				}
			})
		}
		wg.Wait()
	})
}

func TestWaitHonoursContext(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		w := New(1, time.Minute)
		if !w.Allow() {
			t.Fatal("first Allow refused")
		}
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		if err := w.Wait(ctx); err != context.DeadlineExceeded {
			t.Fatalf("Wait = %v, want deadline", err)
		}
		if w.InWindow() != 1 {
			t.Fatalf("cancelled wait was counted")
		}
	})
}

func TestRestoreCarriesTheBudgetAcrossRestarts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		first := New(3, time.Minute)
		saved := 0
		first.OnAdmit(func() { saved++ })
		for range 3 {
			if !first.Allow() {
				t.Fatal("budget refused")
			}
		}
		if saved != 3 {
			t.Fatalf("OnAdmit ran %d times, want 3", saved)
		}
		times := first.Times()
		time.Sleep(10 * time.Second) // fake clock: the "restart" takes 10 s
		second := New(3, time.Minute)
		second.Restore(times)
		if second.Allow() {
			t.Fatal("a restarted window admitted a 4th request inside the minute")
		}
		start := time.Now()
		if err := second.Wait(t.Context()); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 50*time.Second {
			t.Fatalf("admitted after %v, want the old requests to leave the window first", d)
		}
	})
}

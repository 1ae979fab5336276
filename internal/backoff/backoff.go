// Package backoff computes jittered, capped exponential reconnect delays.
package backoff

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff yields growing delays: Initial, doubling up to Max, each with
// ±25% jitter. It is not safe for concurrent use; each reconnect loop owns
// one.
type Backoff struct {
	// Initial is the first delay (default 500ms).
	Initial time.Duration
	// Max caps every delay (default 10s).
	Max time.Duration

	attempt int
}

// Next returns the next delay and advances the attempt count.
func (b *Backoff) Next() time.Duration {
	initial, maxd := b.Initial, b.Max
	if initial <= 0 {
		initial = 500 * time.Millisecond
	}
	if maxd <= 0 {
		maxd = 10 * time.Second
	}
	d := initial
	for i := 0; i < b.attempt && d < maxd; i++ {
		d *= 2
	}
	d = min(d, maxd)
	b.attempt++
	// jitter in [0.75, 1.25)
	j := time.Duration(float64(d) * (0.75 + rand.Float64()*0.5))
	return min(j, maxd+maxd/4)
}

// Reset starts over at Initial, after a healthy session.
func (b *Backoff) Reset() { b.attempt = 0 }

// Attempt reports how many delays were handed out since the last Reset.
func (b *Backoff) Attempt() int { return b.attempt }

// Sleep waits d or until ctx ends; it returns ctx.Err() in the latter case.
func Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

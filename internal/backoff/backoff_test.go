package backoff

import (
	"testing"
	"time"
)

func TestBackoffGrowsAndCaps(t *testing.T) {
	b := Backoff{Initial: 500 * time.Millisecond, Max: 10 * time.Second}
	first := b.Next()
	if first >= time.Second || first < 375*time.Millisecond {
		t.Fatalf("first delay %v, want within 1s", first)
	}
	var last time.Duration
	for range 20 {
		last = b.Next()
		if last > 12500*time.Millisecond {
			t.Fatalf("delay %v above cap", last)
		}
	}
	if last < 7*time.Second {
		t.Fatalf("delay after 20 attempts %v, want near cap", last)
	}
	b.Reset()
	if d := b.Next(); d >= time.Second {
		t.Fatalf("after reset %v", d)
	}
}

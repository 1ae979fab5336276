package main

import (
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// Dur is a duration written to JSON as milliseconds.
type Dur time.Duration

// MarshalJSON writes milliseconds with microsecond precision.
func (d Dur) MarshalJSON() ([]byte, error) {
	return []byte(strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 3, 64)), nil
}

// UnmarshalJSON reads milliseconds.
func (d *Dur) UnmarshalJSON(b []byte) error {
	var ms float64
	if err := json.Unmarshal(b, &ms); err != nil {
		return err
	}
	*d = Dur(ms * float64(time.Millisecond))
	return nil
}

func (d Dur) String() string { return fmtDur(time.Duration(d)) }

func fmtDur(d time.Duration) string {
	switch {
	case d >= 10*time.Second:
		return fmt.Sprintf("%.1f s", d.Seconds())
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 100*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond))
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond))
	default:
		return fmt.Sprintf("%.2f ms", float64(d)/float64(time.Millisecond))
	}
}

// Summary is a latency distribution.
type Summary struct {
	N   int `json:"n"`
	Min Dur `json:"min"`
	P50 Dur `json:"p50"`
	P90 Dur `json:"p90"`
	P99 Dur `json:"p99"`
	Max Dur `json:"max"`
}

func summarize(lat []time.Duration) Summary {
	if len(lat) == 0 {
		return Summary{}
	}
	s := slices.Clone(lat)
	slices.Sort(s)
	q := func(p float64) Dur {
		i := int(p*float64(len(s))+0.5) - 1
		i = min(max(i, 0), len(s)-1)
		return Dur(s[i])
	}
	return Summary{N: len(s), Min: Dur(s[0]), P50: q(0.50), P90: q(0.90), P99: q(0.99), Max: Dur(s[len(s)-1])}
}

func mb(kb int64) float64 { return float64(kb) / 1024 }

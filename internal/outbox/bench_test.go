package outbox

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var benchPayload = []byte(`{"action":{"name":"Process Picarto Follow"},"args":{"user":"someone","userName":"someone","followerCount":1234}}`)

func reportCommits(b *testing.B, s *Store) {
	st := s.Stats()
	if st.Commits > 0 {
		b.ReportMetric(float64(st.CommitOps)/float64(st.Commits), "ops/commit")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "appends/s")
}

// BenchmarkAppendSerial: one appender, so every Append waits for its own
// fsynced commit (the latency of a lone caller).
func BenchmarkAppendSerial(b *testing.B) {
	s := openT(b, "", Options{})
	ctx := context.Background()
	now := time.Now()
	lat := make([]time.Duration, 0, 1<<16)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		start := time.Now()
		if _, _, err := s.Append(ctx, strconv.Itoa(i), benchPayload, now, 0); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	reportCommits(b, s)
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}

// BenchmarkAppendParallel: 32 goroutines per CPU (64 on two cores) append
// concurrently and share commits.
func BenchmarkAppendParallel(b *testing.B) {
	s := openT(b, "", Options{})
	ctx := context.Background()
	now := time.Now()
	var n atomic.Int64
	b.ReportAllocs()
	b.SetParallelism(32)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, _, err := s.Append(ctx, strconv.FormatInt(n.Add(1), 10), benchPayload, now, 0); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.StopTimer()
	reportCommits(b, s)
}

// BenchmarkAck: one caller acking, oldest first, entries appended
// beforehand (untimed, by 64 goroutines).
func BenchmarkAck(b *testing.B) {
	s := openT(b, "", Options{})
	ctx := context.Background()
	now := time.Now()
	var wg sync.WaitGroup
	for range 64 {
		wg.Go(func() {
			for range (b.N + 63) / 64 {
				if _, _, err := s.Append(ctx, "", benchPayload, now, 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	es, err := s.Peek(b.N)
	if err != nil || len(es) != b.N {
		b.Fatal(len(es), err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if err := s.Ack(ctx, es[i].Seq); err != nil {
			b.Fatal(err)
		}
	}
}

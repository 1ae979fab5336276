package outbox

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestConcurrentAppenders(t *testing.T) {
	const workers, each = 64, 200
	s := openT(t, "", Options{})
	var wg sync.WaitGroup
	errs := make(chan error, workers)
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				key := fmt.Sprintf("%d/%d", w, i)
				if _, dup, err := s.Append(context.Background(), key, []byte(key), t0, 0); err != nil || dup {
					errs <- fmt.Errorf("%s: dup %v err %v", key, dup, err)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	es, err := s.Peek(0)
	if err != nil {
		t.Fatal(err)
	}
	if len(es) != workers*each || s.Len() != workers*each {
		t.Fatalf("stored %d, Len %d, want %d", len(es), s.Len(), workers*each)
	}
	next := make([]int, workers) // each worker's entries appear in its own order
	for i, e := range es {
		var w, n int
		if _, err := fmt.Sscanf(e.Key, "%d/%d", &w, &n); err != nil || string(e.Payload) != e.Key {
			t.Fatalf("entry %+v", e)
		}
		if n != next[w] || (i > 0 && e.Seq <= es[i-1].Seq) {
			t.Fatalf("entry %d: %s out of order (want %d/%d)", i, e.Key, w, next[w])
		}
		next[w]++
	}
	st := s.Stats()
	t.Logf("stats %+v (%.1f ops/commit)", st, float64(st.CommitOps)/float64(st.Commits))
	if st.Commits*2 > st.Appends {
		t.Fatalf("group commit did not batch: %d commits for %d appends", st.Commits, st.Appends)
	}
}

// blockCommitter holds bbolt's writer lock so the committer stalls in its
// next transaction; the returned func releases it.
func blockCommitter(t *testing.T, s *Store) func() {
	t.Helper()
	tx, err := s.db.Begin(true)
	if err != nil {
		t.Fatal(err)
	}
	return func() { _ = tx.Rollback() }
}

// waitQueued spins until n operations sit in the queue.
func waitQueued(t *testing.T, s *Store, n int) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for len(s.ops) < n {
		if time.Now().After(deadline) {
			t.Fatalf("queue has %d ops, want %d", len(s.ops), n)
		}
		runtime.Gosched()
	}
}

func TestGroupCommitBatches(t *testing.T) {
	batches := make(chan int, 10)
	s := openT(t, "", Options{beforeCommit: func(n int) { batches <- n }})
	release := blockCommitter(t, s)
	var wg sync.WaitGroup
	appendAsync := func(key string) {
		wg.Go(func() {
			if _, _, err := s.Append(context.Background(), key, []byte("x"), t0, 0); err != nil {
				t.Error(err)
			}
		})
	}
	appendAsync("")
	if n := <-batches; n != 1 {
		t.Fatalf("first batch %d", n)
	}
	for i := range 50 {
		appendAsync(fmt.Sprint(i))
	}
	waitQueued(t, s, 50)
	release()
	if n := <-batches; n != 50 {
		t.Fatalf("second batch %d, want 50", n)
	}
	wg.Wait()
	if st := s.Stats(); st.Commits != 2 || st.LargestBatch != 50 || st.Appends != 51 {
		t.Fatalf("stats %+v", st)
	}
}

func TestContextCancel(t *testing.T) {
	batches := make(chan int, 10)
	s := openT(t, "", Options{beforeCommit: func(n int) { batches <- n }})

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := s.Append(ctx, "", nil, t0, 0); !errors.Is(err, context.Canceled) {
		t.Fatalf("pre-cancelled: %v", err)
	}

	release := blockCommitter(t, s)
	firstDone := make(chan error, 1)
	go func() { _, _, err := s.Append(context.Background(), "", []byte("a"), t0, 0); firstDone <- err }()
	<-batches // the committer took "a" and waits for the writer lock
	ctx, cancel = context.WithCancel(context.Background())
	secondDone := make(chan error, 1)
	go func() { _, _, err := s.Append(ctx, "b", []byte("b"), t0, 0); secondDone <- err }()
	waitQueued(t, s, 1)
	cancel()
	if err := <-secondDone; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled while waiting: %v", err)
	}
	release()
	if err := <-firstDone; err != nil {
		t.Fatal(err)
	}
	if err := s.Ack(context.Background(), 12345); err != nil { // a barrier: the queue is processed in order
		t.Fatal(err)
	}
	if got := payloads(t, s); strings.Join(got, ",") != "a" || s.Seen("b") {
		t.Fatalf("cancelled append was written: %v", got)
	}
}

package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	bolt "go.etcd.io/bbolt"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ ns atomic.Int64 }

func newClock(t time.Time) *clock { c := &clock{}; c.ns.Store(t.UnixNano()); return c }
func (c *clock) Now() time.Time   { return time.Unix(0, c.ns.Load()) }
func (c *clock) Add(d time.Duration) {
	c.ns.Add(int64(d))
}

func openT(t testing.TB, path string, opts Options) *Store {
	t.Helper()
	if path == "" {
		path = filepath.Join(t.TempDir(), "outbox.db")
	}
	s, err := Open(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func mustAppend(t testing.TB, s *Store, key, payload string, at time.Time) (uint64, bool) {
	t.Helper()
	seq, dup, err := s.Append(context.Background(), key, []byte(payload), at, 0)
	if err != nil {
		t.Fatal(err)
	}
	return seq, dup
}

func payloads(t testing.TB, s *Store) []string {
	t.Helper()
	es, err := s.Peek(0)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, string(e.Payload))
	}
	return out
}

func TestOrderAndPeek(t *testing.T) {
	s := openT(t, "", Options{})
	var last uint64
	for i := range 10 {
		seq, dup := mustAppend(t, s, fmt.Sprintf("k%d", i), fmt.Sprintf("p%d", i), t0.Add(time.Duration(i)*time.Second))
		if dup || seq <= last {
			t.Fatalf("append %d: seq %d (last %d) dup %v", i, seq, last, dup)
		}
		last = seq
	}
	tests := []struct {
		n    int
		want int
	}{{0, 10}, {-1, 10}, {3, 3}, {10, 10}, {50, 10}}
	for _, tc := range tests {
		es, err := s.Peek(tc.n)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != tc.want {
			t.Fatalf("Peek(%d) = %d entries, want %d", tc.n, len(es), tc.want)
		}
		for i, e := range es {
			if e.Key != fmt.Sprintf("k%d", i) || string(e.Payload) != fmt.Sprintf("p%d", i) ||
				!e.CreatedAt.Equal(t0.Add(time.Duration(i)*time.Second)) || (i > 0 && e.Seq <= es[i-1].Seq) {
				t.Fatalf("Peek(%d)[%d] = %+v", tc.n, i, e)
			}
		}
	}
	if s.Len() != 10 {
		t.Fatalf("Len = %d", s.Len())
	}
}

func TestDedup(t *testing.T) {
	type step struct {
		op      string // "append", "remember", "advance"
		key     string
		d       time.Duration // dedupFor / remember-until offset / advance
		wantDup bool
	}
	tests := []struct {
		name  string
		steps []step
		want  int // entries stored
	}{
		{"same key twice", []step{{"append", "a", 0, false}, {"append", "a", 0, true}}, 1},
		{"empty key never dedups", []step{{"append", "", 0, false}, {"append", "", 0, false}}, 2},
		{"different keys", []step{{"append", "a", 0, false}, {"append", "b", 0, false}}, 2},
		{"default ttl holds 23h", []step{{"append", "a", 0, false}, {"advance", "", 23 * time.Hour, false}, {"append", "a", 0, true}}, 1},
		{"default ttl expires at 24h", []step{{"append", "a", 0, false}, {"advance", "", 24 * time.Hour, false}, {"append", "a", 0, false}}, 2},
		{"explicit window", []step{{"append", "a", time.Minute, false}, {"advance", "", 59 * time.Second, false}, {"append", "a", 0, true},
			{"advance", "", time.Second, false}, {"append", "a", time.Minute, false}}, 2},
		{"remember without entry", []step{{"remember", "a", time.Hour, false}, {"append", "a", 0, true}}, 0},
		{"remember expired", []step{{"remember", "a", time.Hour, false}, {"advance", "", time.Hour, false}, {"append", "a", 0, false}}, 1},
		{"remember extends, never shortens", []step{{"append", "a", time.Minute, false}, {"remember", "a", time.Second, false},
			{"advance", "", 30 * time.Second, false}, {"append", "a", 0, true}}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			clk := newClock(t0)
			s := openT(t, "", Options{Now: clk.Now})
			for i, st := range tc.steps {
				switch st.op {
				case "append":
					_, dup, err := s.Append(context.Background(), st.key, []byte("x"), clk.Now(), st.d)
					if err != nil {
						t.Fatal(err)
					}
					if dup != st.wantDup {
						t.Fatalf("step %d: dup = %v, want %v", i, dup, st.wantDup)
					}
				case "remember":
					if err := s.Remember(st.key, clk.Now().Add(st.d)); err != nil {
						t.Fatal(err)
					}
					if !s.Seen(st.key) {
						t.Fatalf("step %d: Seen(%q) = false after Remember", i, st.key)
					}
				case "advance":
					clk.Add(st.d)
				}
			}
			if s.Len() != tc.want {
				t.Fatalf("Len = %d, want %d", s.Len(), tc.want)
			}
		})
	}
}

func TestDedupWithinOneBatch(t *testing.T) {
	s := openT(t, "", Options{})
	mk := func(key string) *op {
		return &op{ctx: context.Background(), kind: opAppend, key: key, val: encodeEntry(key, nil, t0),
			until: time.Now().Add(time.Hour).UnixNano(), done: make(chan struct{})}
	}
	a1, b, a2 := mk("a"), mk("b"), mk("a")
	s.commit([]*op{a1, b, a2}) // the committer is idle; bbolt serialises writers
	if a1.dup || b.dup || !a2.dup || a1.err != nil || a2.err != nil {
		t.Fatalf("a1 %+v b %+v a2 %+v", a1, b, a2)
	}
	if st := s.Stats(); st.Entries != 2 || st.Dups != 1 || st.DedupKeys != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestSeenUsesClock(t *testing.T) {
	clk := newClock(t0)
	s := openT(t, "", Options{Now: clk.Now})
	mustAppend(t, s, "k", "x", t0)
	if !s.Seen("k") || s.Seen("other") || s.Seen("") {
		t.Fatal("Seen wrong before expiry")
	}
	clk.Add(24 * time.Hour)
	if s.Seen("k") {
		t.Fatal("Seen after expiry")
	}
}

func TestAck(t *testing.T) {
	s := openT(t, "", Options{})
	ctx := context.Background()
	var seqs []uint64
	for i := range 3 {
		seq, _ := mustAppend(t, s, "", fmt.Sprint(i), t0)
		seqs = append(seqs, seq)
	}
	for _, seq := range []uint64{seqs[1], seqs[1], 999, 0} { // twice, unknown, zero
		if err := s.Ack(ctx, seq); err != nil {
			t.Fatalf("Ack(%d): %v", seq, err)
		}
	}
	if got := payloads(t, s); strings.Join(got, ",") != "0,2" {
		t.Fatalf("after ack: %v", got)
	}
	if st := s.Stats(); st.Entries != 2 || st.Acks != 1 || s.Len() != 2 {
		t.Fatalf("stats %+v", st)
	}
}

func TestDropOlderThan(t *testing.T) {
	s := openT(t, "", Options{})
	ats := []time.Duration{0, 5 * time.Minute, time.Minute, 20 * time.Minute, 10 * time.Minute} // not monotonic
	for i, d := range ats {
		mustAppend(t, s, "", fmt.Sprint(i), t0.Add(d))
	}
	dropped, err := s.DropOlderThan(t0.Add(10 * time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range dropped {
		got = append(got, string(e.Payload))
	}
	if strings.Join(got, ",") != "0,1,2" {
		t.Fatalf("dropped %v", got)
	}
	if rest := payloads(t, s); strings.Join(rest, ",") != "3,4" || s.Len() != 2 || s.Stats().Dropped != 3 {
		t.Fatalf("rest %v len %d", rest, s.Len())
	}
	if dropped, err := s.DropOlderThan(t0); err != nil || len(dropped) != 0 {
		t.Fatalf("second drop: %v %v", dropped, err)
	}
}

func TestState(t *testing.T) {
	s := openT(t, "", Options{})
	if v, err := s.GetState("secret"); v != nil || err != nil {
		t.Fatalf("absent: %q %v", v, err)
	}
	if err := s.PutState("secret", []byte("abc")); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.GetState("secret"); string(v) != "abc" {
		t.Fatalf("got %q", v)
	}
	if err := s.PutState("secret", nil); err != nil {
		t.Fatal(err)
	}
	if v, _ := s.GetState("secret"); v != nil {
		t.Fatalf("after delete %q", v)
	}
	if err := s.PutState("", []byte("x")); err == nil {
		t.Fatal("empty key accepted")
	}
}

func TestReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	clk := newClock(t0)
	s, err := Open(path, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	mustAppend(t, s, "a", "1", t0)
	seq2, _ := mustAppend(t, s, "b", "2", t0)
	mustAppend(t, s, "c", "3", t0)
	if err := s.Ack(context.Background(), seq2); err != nil {
		t.Fatal(err)
	}
	if err := s.Remember("r", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.PutState("last", []byte("42")); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s = openT(t, path, Options{Now: clk.Now})
	if got := payloads(t, s); strings.Join(got, ",") != "1,3" || s.Len() != 2 {
		t.Fatalf("after reopen %v len %d", got, s.Len())
	}
	for _, k := range []string{"a", "b", "r"} {
		if !s.Seen(k) {
			t.Fatalf("dedup key %q lost", k)
		}
	}
	if v, _ := s.GetState("last"); string(v) != "42" {
		t.Fatalf("state %q", v)
	}
	if st := s.Stats(); st.DedupKeys != 4 || st.Entries != 2 || st.Appends != 0 {
		t.Fatalf("stats %+v", st)
	}
	if _, dup := mustAppend(t, s, "a", "again", t0); !dup {
		t.Fatal("dedup lost across reopen")
	}
	seq4, _ := mustAppend(t, s, "d", "4", t0)
	if seq4 <= seq2+1 {
		t.Fatalf("seq restarted: %d", seq4)
	}
}

func TestNotify(t *testing.T) {
	s := openT(t, "", Options{})
	select {
	case <-s.Notify():
		t.Fatal("notify before append")
	default:
	}
	mustAppend(t, s, "k", "1", t0)
	mustAppend(t, s, "k2", "2", t0) // second send must not block
	<-s.Notify()
	select {
	case <-s.Notify():
		t.Fatal("cap is 1")
	default:
	}
	mustAppend(t, s, "k", "dup", t0) // duplicates do not notify
	select {
	case <-s.Notify():
		t.Fatal("notify on dup")
	default:
	}
}

func TestPrune(t *testing.T) {
	clk := newClock(t0)
	s := openT(t, "", Options{Now: clk.Now, PruneLimit: 100, PruneInterval: -1})
	for i := range 250 {
		if err := s.Remember(fmt.Sprint(i), t0.Add(time.Minute)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Remember("long", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	clk.Add(time.Minute)
	if err := s.PutState("x", []byte("1")); err != nil { // any commit prunes, bounded
		t.Fatal(err)
	}
	if st := s.Stats(); st.Pruned != 100 || st.DedupKeys != 151 {
		t.Fatalf("after one commit %+v", st)
	}
	s.pruneIdle()
	s.pruneIdle()
	s.pruneIdle() // nothing left: no-op
	if st := s.Stats(); st.Pruned != 250 || st.DedupKeys != 1 || !s.Seen("long") {
		t.Fatalf("after idle prunes %+v", st)
	}
	var n int
	_ = s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(bktDedup).Stats().KeyN + tx.Bucket(bktDedupExp).Stats().KeyN
		return nil
	})
	if n != 2 {
		t.Fatalf("buckets hold %d keys, want 2", n)
	}
}

func TestClosedAndInUse(t *testing.T) {
	path := filepath.Join(t.TempDir(), "outbox.db")
	s := openT(t, path, Options{})
	_, err := Open(path, Options{LockTimeout: 50 * time.Millisecond})
	if !errors.Is(err, ErrInUse) || !strings.Contains(err.Error(), "data directory is in use") {
		t.Fatalf("second open: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	ctx := context.Background()
	if _, _, err := s.Append(ctx, "", nil, t0, 0); !errors.Is(err, ErrClosed) {
		t.Fatalf("append after close: %v", err)
	}
	if err := s.Ack(ctx, 1); !errors.Is(err, ErrClosed) {
		t.Fatalf("ack after close: %v", err)
	}
	if _, err := s.Peek(1); !errors.Is(err, ErrClosed) {
		t.Fatalf("peek after close: %v", err)
	}
	if _, err := s.GetState("x"); !errors.Is(err, ErrClosed) {
		t.Fatalf("get state after close: %v", err)
	}
	if s.Seen("x") {
		t.Fatal("seen after close")
	}
}

func TestEntryCodec(t *testing.T) {
	tests := []struct {
		key     string
		payload []byte
	}{{"", nil}, {"k", []byte{}}, {"ключ", []byte("{\"a\":1}")}, {strings.Repeat("k", 300), bytes.Repeat([]byte{0}, 70000)}}
	for _, tc := range tests {
		e, err := decodeEntry(seqKey(7), encodeEntry(tc.key, tc.payload, t0))
		if err != nil || e.Seq != 7 || e.Key != tc.key || !bytes.Equal(e.Payload, tc.payload) || !e.CreatedAt.Equal(t0) {
			t.Fatalf("%q: %+v %v", tc.key, e, err)
		}
	}
	for _, bad := range [][]byte{nil, {2, 0, 0, 0, 0, 0, 0, 0, 0, 0}, {1, 0, 0, 0, 0, 0, 0, 0, 0, 5, 'a'}} {
		if _, err := decodeEntry(seqKey(1), bad); err == nil {
			t.Fatalf("decoded %v", bad)
		}
	}
}

func TestAckManySharesCommits(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "q.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var seqs []uint64
	for i := range 50 {
		seq, _, err := s.Append(t.Context(), fmt.Sprintf("k%d", i), []byte("p"), time.Now(), time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, seq)
	}
	before := s.Stats().Commits
	if err := s.AckMany(t.Context(), seqs); err != nil {
		t.Fatal(err)
	}
	if s.Len() != 0 {
		t.Fatalf("%d entries left", s.Len())
	}
	if c := s.Stats().Commits - before; c > 10 {
		t.Fatalf("50 acks took %d commits, want them batched", c)
	}
}

func TestAppendManyKeepsOrderDedupsAndShares(t *testing.T) {
	s, err := Open(filepath.Join(t.TempDir(), "q.db"), Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var items []Item
	for i := range 100 {
		items = append(items, Item{Key: fmt.Sprintf("k%d", i%90), Payload: []byte(fmt.Sprint(i)), At: time.Now(), DedupFor: time.Hour})
	}
	before := s.Stats().Commits
	res := s.AppendMany(t.Context(), items)
	dups := 0
	for _, r := range res {
		if r.Err != nil {
			t.Fatal(r.Err)
		}
		if r.Dup {
			dups++
		}
	}
	if dups != 10 {
		t.Fatalf("%d duplicates, want 10", dups)
	}
	entries, _ := s.Peek(0)
	for i, e := range entries {
		if string(e.Payload) != fmt.Sprint(i) {
			t.Fatalf("entry %d holds %s: order lost", i, e.Payload)
		}
	}
	if c := s.Stats().Commits - before; c > 20 {
		t.Fatalf("100 appends took %d commits, want them batched", c)
	}
}

// Package outbox is the durable, ordered, deduplicating event queue the
// bridge delivers through. It knows neither platform: an entry is a dedup
// key, opaque payload bytes and a creation time, stored in a bbolt file.
//
// Every write (Append, Ack, Remember, PutState, DropOlderThan) goes to a
// single committer goroutine that takes whatever is queued at that moment
// and commits it in one fsynced bbolt transaction (group commit): a lone
// caller waits for one commit, many concurrent callers share one. A write
// method returns nil only after its transaction is on disk.
package outbox

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc"
	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// Bucket names. bktDedupExp indexes dedup keys by expiry so pruning is a
// bounded prefix scan.
var (
	bktEntries  = []byte("entries")   // seq (uint64 BE) -> encoded entry
	bktDedup    = []byte("dedup")     // key -> expiry unix nanos (int64 BE)
	bktDedupExp = []byte("dedup_exp") // expiry (8 bytes, ordered) + key -> empty
	bktState    = []byte("state")     // string -> bytes
	bktMeta     = []byte("meta")      // format version
)

const formatVersion = 1

// MaxKeyLen bounds dedup and state keys.
const MaxKeyLen = 4096

var (
	// ErrClosed is returned by every method called after Close.
	ErrClosed = errors.New("outbox: store is closed")
	// ErrInUse is wrapped by Open when another process holds the file.
	ErrInUse = errors.New("outbox: data directory is in use by another process (is another picarto-bridge running?)")
)

// Options configures a Store. The zero value is usable.
type Options struct {
	// Logger receives warnings about failed commits; nil discards.
	Logger *slog.Logger
	// DedupTTL is how long a key is remembered when Append is called with
	// dedupFor <= 0 (default 24h).
	DedupTTL time.Duration
	// Now is the clock dedup expiry is checked against (default time.Now).
	Now func() time.Time
	// MaxBatch caps the operations committed in one transaction (default 1024).
	MaxBatch int
	// PruneLimit caps the expired dedup keys removed per commit (default 256).
	PruneLimit int
	// PruneInterval is how often an idle store looks for expired dedup keys
	// (default 1 minute; < 0 disables the timer, pruning still happens on
	// every commit).
	PruneInterval time.Duration
	// LockTimeout is how long Open waits for the file lock (default 1s).
	LockTimeout time.Duration

	// beforeCommit, when set (tests), is called by the committer with the
	// size of each batch before its transaction starts.
	beforeCommit func(n int)
}

// Entry is one queued event.
type Entry struct {
	Seq       uint64    // position in the queue, increasing, never reused
	Key       string    // dedup key given to Append ("" for none)
	Payload   []byte    // the caller's bytes, a copy owned by the receiver
	CreatedAt time.Time // the at given to Append
}

// Stats are counters for doctor and bug reports. The *since open* counters
// start at zero on every Open.
type Stats struct {
	Entries   int // entries in the queue now
	DedupKeys int // dedup keys stored now (some may be expired, not yet pruned)

	Appends uint64 // entries stored since open
	Dups    uint64 // appends rejected as duplicates since open
	Acks    uint64 // entries removed by Ack since open
	Dropped uint64 // entries removed by DropOlderThan since open
	Pruned  uint64 // expired dedup keys removed since open

	Commits      uint64 // write transactions committed by the committer since open
	CommitOps    uint64 // operations carried by those commits (CommitOps/Commits = batch size)
	LargestBatch int    // largest number of operations in one commit
}

// Store is an open outbox file. All methods are safe for concurrent use.
type Store struct {
	db     *bolt.DB
	log    *slog.Logger
	now    func() time.Time
	ttl    time.Duration
	maxB   int
	pruneN int
	pruneT time.Duration
	hook   func(n int)

	ops    chan *op
	notify chan struct{}
	dead   chan struct{} // closed when the committer has exited
	wg     conc.WaitGroup

	mu     sync.RWMutex // guards closed against sends on ops
	closed bool

	entries, dedupKeys                   atomic.Int64
	appends, dups, acks, dropped, pruned atomic.Uint64
	commits, commitOps                   atomic.Uint64
	maxBatch                             atomic.Int64
}

// Open opens (creating if needed) the outbox file at path and starts its
// committer. A file held by another process fails after Options.LockTimeout
// with an error wrapping ErrInUse.
func Open(path string, opts Options) (*Store, error) {
	s := &Store{
		log: opts.Logger, now: opts.Now, ttl: opts.DedupTTL,
		maxB: opts.MaxBatch, pruneN: opts.PruneLimit, pruneT: opts.PruneInterval,
		hook:   opts.beforeCommit,
		notify: make(chan struct{}, 1),
		dead:   make(chan struct{}),
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.ttl <= 0 {
		s.ttl = 24 * time.Hour
	}
	if s.maxB <= 0 {
		s.maxB = 1024
	}
	if s.pruneN <= 0 {
		s.pruneN = 256
	}
	if s.pruneT == 0 {
		s.pruneT = time.Minute
	}
	timeout := opts.LockTimeout
	if timeout <= 0 {
		timeout = time.Second
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: timeout, FreelistType: bolt.FreelistMapType})
	if err != nil {
		if errors.Is(err, bolterrors.ErrTimeout) {
			return nil, fmt.Errorf("outbox: open %s: %w: %w", path, ErrInUse, err)
		}
		return nil, fmt.Errorf("outbox: open %s: %w", path, err)
	}
	if err := s.init(db); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("outbox: open %s: %w", path, err)
	}
	s.db = db
	s.ops = make(chan *op, s.maxB)
	s.wg.Go(s.run)
	return s, nil
}

// init creates the buckets, checks the format and counts what is stored.
func (s *Store) init(db *bolt.DB) error {
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{bktEntries, bktDedup, bktDedupExp, bktState, bktMeta} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return fmt.Errorf("create bucket %s: %w", name, err)
			}
		}
		meta := tx.Bucket(bktMeta)
		if v := meta.Get([]byte("version")); v == nil {
			if err := meta.Put([]byte("version"), []byte{formatVersion}); err != nil {
				return err
			}
		} else if len(v) != 1 || v[0] != formatVersion {
			return fmt.Errorf("unsupported file format version %v", v)
		}
		s.entries.Store(int64(tx.Bucket(bktEntries).Stats().KeyN))
		s.dedupKeys.Store(int64(tx.Bucket(bktDedup).Stats().KeyN))
		return nil
	})
}

// Close waits for queued writes to commit, stops the committer and closes
// the file. It is safe to call more than once.
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	close(s.ops)
	s.mu.Unlock()
	s.wg.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("outbox: close: %w", err)
	}
	return nil
}

// Append stores payload under the next sequence number, durably. A
// non-empty key that is remembered and not expired (by Options.Now) makes it
// a duplicate: dup is true, seq is 0 and nothing is stored. Otherwise the key
// is remembered until at+dedupFor (dedupFor <= 0: Options.DedupTTL), counted
// from now instead when at is in the past, so an old event time cannot make
// the key expire at once; key "" never deduplicates. at is stored as the
// entry's CreatedAt (zero: Options.Now()). Within one group commit the decisions are applied in
// arrival order, so of two Appends with one key only the first is stored.
//
// A non-nil error means the entry is not acknowledged. When ctx ends after
// the write was queued it may still be committed; callers retry, and the
// dedup key turns the retry into a duplicate.
func (s *Store) Append(ctx context.Context, key string, payload []byte, at time.Time, dedupFor time.Duration) (seq uint64, dup bool, err error) {
	o, err := s.appendOp(Item{Key: key, Payload: payload, At: at, DedupFor: dedupFor})
	if err != nil {
		return 0, false, err
	}
	if err := s.do(ctx, o); err != nil {
		return 0, false, fmt.Errorf("outbox: append: %w", err)
	}
	return o.seq, o.dup, nil
}

// Item is one entry for AppendMany: the arguments of Append.
type Item struct {
	Key      string
	Payload  []byte
	At       time.Time
	DedupFor time.Duration
}

// Result is what Append returns, for one item of AppendMany.
type Result struct {
	Seq uint64
	Dup bool
	Err error
}

// AppendMany appends items in order, handing them to the committer together
// so a burst (a flooded chat) shares commits instead of paying one each. It
// returns when every item is on disk or failed; items keep their order in the
// queue.
func (s *Store) AppendMany(ctx context.Context, items []Item) []Result {
	res := make([]Result, len(items))
	ops := make([]*op, len(items))
	for i, it := range items {
		o, err := s.appendOp(it)
		if err == nil {
			err = s.submit(ctx, o)
		}
		if err != nil {
			res[i].Err = fmt.Errorf("outbox: append: %w", err)
			continue
		}
		ops[i] = o
	}
	for i, o := range ops {
		if o == nil {
			continue
		}
		if err := s.wait(ctx, o); err != nil {
			res[i].Err = fmt.Errorf("outbox: append: %w", err)
			continue
		}
		res[i].Seq, res[i].Dup = o.seq, o.dup
	}
	return res
}

func (s *Store) appendOp(it Item) (*op, error) {
	if len(it.Key) > MaxKeyLen {
		return nil, fmt.Errorf("outbox: append: key longer than %d bytes", MaxKeyLen)
	}
	dedupFor := it.DedupFor
	if dedupFor <= 0 {
		dedupFor = s.ttl
	}
	now := s.now()
	at := it.At
	if at.IsZero() {
		at = now
	}
	from := at
	if from.Before(now) {
		from = now // an old at must not make the key expire at once
	}
	return &op{kind: opAppend, key: it.Key, val: encodeEntry(it.Key, it.Payload, at), until: from.Add(dedupFor).UnixNano()}, nil
}

// Ack removes the entry seq, durably. Acking an unknown or already acked
// seq is not an error.
func (s *Store) Ack(ctx context.Context, seq uint64) error {
	if err := s.do(ctx, &op{kind: opAck, seq: seq}); err != nil {
		return fmt.Errorf("outbox: ack %d: %w", seq, err)
	}
	return nil
}

// AckMany removes several delivered entries. They are handed to the
// committer together, so they usually share one commit; it returns after all
// of them are on disk, or with the first error.
func (s *Store) AckMany(ctx context.Context, seqs []uint64) error {
	ops := make([]*op, 0, len(seqs))
	var first error
	for _, seq := range seqs {
		o := &op{kind: opAck, seq: seq}
		if err := s.submit(ctx, o); err != nil {
			first = err
			break
		}
		ops = append(ops, o)
	}
	for _, o := range ops {
		if err := s.wait(ctx, o); err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return fmt.Errorf("outbox: ack: %w", first)
	}
	return nil
}

// Remember makes key a duplicate until until (or its current expiry if
// later) without storing an entry.
func (s *Store) Remember(key string, until time.Time) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("outbox: remember: key must be 1..%d bytes", MaxKeyLen)
	}
	if err := s.do(context.Background(), &op{kind: opRemember, key: key, until: until.UnixNano()}); err != nil {
		return fmt.Errorf("outbox: remember: %w", err)
	}
	return nil
}

// PutState stores value under key, durably; a nil value deletes the key.
func (s *Store) PutState(key string, value []byte) error {
	if key == "" || len(key) > MaxKeyLen {
		return fmt.Errorf("outbox: put state: key must be 1..%d bytes", MaxKeyLen)
	}
	o := &op{kind: opPutState, key: key, val: bytes.Clone(value), del: value == nil}
	if err := s.do(context.Background(), o); err != nil {
		return fmt.Errorf("outbox: put state %q: %w", key, err)
	}
	return nil
}

// DropOlderThan removes, durably, every entry whose CreatedAt is before t
// and returns them oldest first.
func (s *Store) DropOlderThan(t time.Time) ([]Entry, error) {
	o := &op{kind: opDrop, cutoff: t}
	if err := s.do(context.Background(), o); err != nil {
		return nil, fmt.Errorf("outbox: drop older than: %w", err)
	}
	return o.dropped, nil
}

// do queues o for the committer and waits for its commit, ctx or the
// committer's end.
func (s *Store) do(ctx context.Context, o *op) error {
	if err := s.submit(ctx, o); err != nil {
		return err
	}
	return s.wait(ctx, o)
}

// submit hands o to the committer without waiting for its commit.
func (s *Store) submit(ctx context.Context, o *op) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	o.ctx = ctx
	o.done = make(chan struct{})
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	select {
	case s.ops <- o:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.dead:
		return ErrClosed
	}
}

// wait returns o's result once its transaction is on disk.
func (s *Store) wait(ctx context.Context, o *op) error {
	select {
	case <-o.done:
		return o.err
	case <-ctx.Done():
		return ctx.Err()
	case <-s.dead:
		select {
		case <-o.done:
			return o.err
		default:
			return ErrClosed
		}
	}
}

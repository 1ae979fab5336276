package outbox

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	bolt "go.etcd.io/bbolt"
)

type opKind uint8

const (
	opAppend opKind = iota
	opAck
	opRemember
	opPutState
	opDrop
)

// op is one queued write. The committer fills the result fields and closes
// done; the caller reads them only after done is closed.
type op struct {
	ctx    context.Context
	kind   opKind
	key    string
	val    []byte // encoded entry (append) or state value
	del    bool   // put state: delete key
	until  int64  // dedup expiry, unix nanos
	seq    uint64 // ack
	cutoff time.Time
	done   chan struct{}

	// results, valid after done (seq too, for an append)
	dup     bool
	dropped []Entry
	err     error

	// deltas applied to the counters once the transaction commits
	dEntries, dKeys int64
}

// run is the committer: it takes whatever is queued right now (up to
// MaxBatch), commits it in one transaction and wakes the callers. It exits
// when ops is closed and drained.
func (s *Store) run() {
	defer close(s.dead)
	var tick <-chan time.Time
	if s.pruneT > 0 {
		t := time.NewTicker(s.pruneT)
		defer t.Stop()
		tick = t.C
	}
	batch := make([]*op, 0, s.maxB)
	for {
		var first *op
		select {
		case o, ok := <-s.ops:
			if !ok {
				return
			}
			first = o
		case <-tick:
			s.pruneIdle()
			continue
		}
		batch = append(batch[:0], first)
	drain:
		for len(batch) < s.maxB {
			select {
			case o, ok := <-s.ops:
				if !ok {
					break drain // closed: commit what we have, the next receive returns
				}
				batch = append(batch, o)
			default:
				break drain
			}
		}
		s.commit(batch)
		clear(batch)
	}
}

// commit applies batch in one transaction. An operation whose apply fails
// is failed alone and the rest retried; a failed commit fails them all.
func (s *Store) commit(batch []*op) {
	live := batch[:0]
	for _, o := range batch {
		if err := o.ctx.Err(); err != nil {
			o.err = err // the caller gave up before we started: do not write
			close(o.done)
			continue
		}
		live = append(live, o)
	}
	for len(live) > 0 {
		if s.hook != nil {
			s.hook(len(live))
		}
		bad := -1
		var pruned int64
		err := s.db.Update(func(tx *bolt.Tx) error {
			b := buckets(tx)
			now := s.now().UnixNano()
			for i, o := range live {
				if err := o.apply(b, now); err != nil {
					bad = i
					return err
				}
			}
			var err error
			pruned, err = prune(b, now, s.pruneN)
			return err
		})
		if err != nil && bad >= 0 {
			s.log.Warn("outbox: operation failed", "err", err)
			live[bad].err = err
			close(live[bad].done)
			live = append(live[:bad], live[bad+1:]...)
			continue
		}
		if err != nil {
			s.log.Warn("outbox: commit failed", "ops", len(live), "err", err)
			for _, o := range live {
				o.err = err
				close(o.done)
			}
			return
		}
		s.committed(live, pruned)
		return
	}
}

// committed updates the counters, wakes the callers and notifies.
func (s *Store) committed(live []*op, pruned int64) {
	s.commits.Add(1)
	s.commitOps.Add(uint64(len(live)))
	if n := int64(len(live)); n > s.maxBatch.Load() {
		s.maxBatch.Store(n) // only the committer writes it
	}
	s.pruned.Add(uint64(pruned))
	s.dedupKeys.Add(-pruned)
	stored := false
	for _, o := range live {
		s.entries.Add(o.dEntries)
		s.dedupKeys.Add(o.dKeys)
		switch o.kind {
		case opAppend:
			if o.dup {
				s.dups.Add(1)
			} else {
				s.appends.Add(1)
				stored = true
			}
		case opAck:
			s.acks.Add(uint64(-o.dEntries))
		case opDrop:
			s.dropped.Add(uint64(len(o.dropped)))
		}
	}
	if stored { // before waking callers: when Append returns, the signal is pending
		select {
		case s.notify <- struct{}{}:
		default:
		}
	}
	for _, o := range live {
		close(o.done)
	}
}

// pruneIdle commits a prune-only transaction when expired keys exist.
func (s *Store) pruneIdle() {
	now := s.now().UnixNano()
	expired := false
	_ = s.db.View(func(tx *bolt.Tx) error {
		k, _ := tx.Bucket(bktDedupExp).Cursor().First()
		expired = k != nil && expOf(k) <= now
		return nil
	})
	if !expired {
		return
	}
	var pruned int64
	err := s.db.Update(func(tx *bolt.Tx) error {
		var err error
		pruned, err = prune(buckets(tx), now, s.pruneN)
		return err
	})
	if err != nil {
		s.log.Warn("outbox: prune failed", "err", err)
		return
	}
	s.pruned.Add(uint64(pruned))
	s.dedupKeys.Add(-pruned)
}

type bkts struct{ entries, dedup, exp, state *bolt.Bucket }

func buckets(tx *bolt.Tx) bkts {
	return bkts{tx.Bucket(bktEntries), tx.Bucket(bktDedup), tx.Bucket(bktDedupExp), tx.Bucket(bktState)}
}

// apply performs o inside the transaction. It resets its results first so
// a retried transaction starts clean.
func (o *op) apply(b bkts, now int64) error {
	o.dup, o.dropped, o.dEntries, o.dKeys = false, nil, 0, 0
	switch o.kind {
	case opAppend:
		o.seq = 0
		if o.key != "" {
			exp, ok := getExpiry(b.dedup, []byte(o.key))
			if ok && exp > now {
				o.dup = true
				return nil
			}
			if err := setExpiry(b, o.key, o.until, exp, ok); err != nil {
				return err
			}
			if !ok {
				o.dKeys = 1
			}
		}
		seq, err := b.entries.NextSequence()
		if err != nil {
			return err
		}
		if err := b.entries.Put(seqKey(seq), o.val); err != nil {
			return err
		}
		o.seq, o.dEntries = seq, 1
	case opAck:
		k := seqKey(o.seq)
		if b.entries.Get(k) == nil {
			return nil
		}
		if err := b.entries.Delete(k); err != nil {
			return err
		}
		o.dEntries = -1
	case opRemember:
		exp, ok := getExpiry(b.dedup, []byte(o.key))
		if ok && exp >= o.until {
			return nil
		}
		if !ok {
			o.dKeys = 1
		}
		return setExpiry(b, o.key, o.until, exp, ok)
	case opPutState:
		if o.del {
			return b.state.Delete([]byte(o.key))
		}
		return b.state.Put([]byte(o.key), o.val)
	case opDrop:
		cutoff := o.cutoff.UnixNano()
		c := b.entries.Cursor()
		for k, v := c.First(); k != nil; k, v = c.Next() {
			if len(v) >= 9 && int64(binary.BigEndian.Uint64(v[1:9])) < cutoff {
				e, err := decodeEntry(k, v)
				if err != nil {
					return err
				}
				o.dropped = append(o.dropped, e)
			}
		}
		for _, e := range o.dropped {
			if err := b.entries.Delete(seqKey(e.Seq)); err != nil {
				return err
			}
		}
		o.dEntries = -int64(len(o.dropped))
	}
	return nil
}

// prune removes up to limit dedup keys whose expiry is <= now.
func prune(b bkts, now int64, limit int) (int64, error) {
	var dead [][]byte
	c := b.exp.Cursor()
	for k, _ := c.First(); k != nil && len(dead) < limit && expOf(k) <= now; k, _ = c.Next() {
		dead = append(dead, k) // valid until the transaction ends
	}
	for _, k := range dead {
		if err := b.exp.Delete(k); err != nil {
			return 0, err
		}
		if err := b.dedup.Delete(k[8:]); err != nil {
			return 0, err
		}
	}
	return int64(len(dead)), nil
}

// setExpiry stores key's expiry and keeps the expiry index in step.
func setExpiry(b bkts, key string, until, old int64, hadOld bool) error {
	if hadOld {
		if err := b.exp.Delete(expKey(old, key)); err != nil {
			return err
		}
	}
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], uint64(until))
	if err := b.dedup.Put([]byte(key), v[:]); err != nil {
		return err
	}
	return b.exp.Put(expKey(until, key), nil)
}

func getExpiry(b *bolt.Bucket, key []byte) (int64, bool) {
	v := b.Get(key)
	if len(v) != 8 {
		return 0, false
	}
	return int64(binary.BigEndian.Uint64(v)), true
}

// expKey orders by expiry: the sign bit is flipped so negative times sort
// first.
func expKey(exp int64, key string) []byte {
	k := make([]byte, 8+len(key))
	binary.BigEndian.PutUint64(k, uint64(exp)^(1<<63))
	copy(k[8:], key)
	return k
}

func expOf(k []byte) int64 { return int64(binary.BigEndian.Uint64(k) ^ (1 << 63)) }

func seqKey(seq uint64) []byte {
	k := make([]byte, 8)
	binary.BigEndian.PutUint64(k, seq)
	return k
}

// Entry value layout: version byte (1), createdAt unix nanos (int64 BE),
// key length (uvarint), key, payload.
func encodeEntry(key string, payload []byte, at time.Time) []byte {
	buf := make([]byte, 9, 9+binary.MaxVarintLen64+len(key)+len(payload))
	buf[0] = 1
	binary.BigEndian.PutUint64(buf[1:9], uint64(at.UnixNano()))
	buf = binary.AppendUvarint(buf, uint64(len(key)))
	buf = append(buf, key...)
	return append(buf, payload...)
}

var errCorrupt = errors.New("corrupt entry")

func decodeEntry(k, v []byte) (Entry, error) {
	if len(k) != 8 || len(v) < 10 || v[0] != 1 {
		return Entry{}, errCorrupt
	}
	n, w := binary.Uvarint(v[9:])
	if w <= 0 || uint64(len(v)-9-w) < n {
		return Entry{}, errCorrupt
	}
	rest := v[9+w:]
	return Entry{
		Seq:       binary.BigEndian.Uint64(k),
		Key:       string(rest[:n]),
		Payload:   append([]byte{}, rest[n:]...),
		CreatedAt: time.Unix(0, int64(binary.BigEndian.Uint64(v[1:9]))),
	}, nil
}

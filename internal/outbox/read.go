package outbox

import (
	"bytes"
	"fmt"

	bolt "go.etcd.io/bbolt"
)

// Peek returns up to n entries, oldest first, without removing them
// (n <= 0: all of them).
func (s *Store) Peek(n int) ([]Entry, error) {
	var out []Entry
	err := s.view(func(tx *bolt.Tx) error {
		c := tx.Bucket(bktEntries).Cursor()
		for k, v := c.First(); k != nil && (n <= 0 || len(out) < n); k, v = c.Next() {
			e, err := decodeEntry(k, v)
			if err != nil {
				return err
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: peek: %w", err)
	}
	return out, nil
}

// Len returns the number of entries in the queue.
func (s *Store) Len() int { return int(s.entries.Load()) }

// Notify returns a channel that receives (capacity 1, never blocking the
// sender) after each Append that stored an entry.
func (s *Store) Notify() <-chan struct{} { return s.notify }

// Seen reports whether key is remembered and not expired. Errors (a closed
// store) report false.
func (s *Store) Seen(key string) bool {
	if key == "" {
		return false
	}
	seen := false
	_ = s.view(func(tx *bolt.Tx) error {
		exp, ok := getExpiry(tx.Bucket(bktDedup), []byte(key))
		seen = ok && exp > s.now().UnixNano()
		return nil
	})
	return seen
}

// GetState returns a copy of the value stored under key, or nil, nil when
// there is none.
func (s *Store) GetState(key string) ([]byte, error) {
	var out []byte
	err := s.view(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bktState).Get([]byte(key)); v != nil {
			out = bytes.Clone(v)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("outbox: get state %q: %w", key, err)
	}
	return out, nil
}

// Stats returns the current counters.
func (s *Store) Stats() Stats {
	return Stats{
		Entries: int(s.entries.Load()), DedupKeys: int(s.dedupKeys.Load()),
		Appends: s.appends.Load(), Dups: s.dups.Load(), Acks: s.acks.Load(),
		Dropped: s.dropped.Load(), Pruned: s.pruned.Load(),
		Commits: s.commits.Load(), CommitOps: s.commitOps.Load(), LargestBatch: int(s.maxBatch.Load()),
	}
}

// view runs a read transaction unless the store is closed.
func (s *Store) view(fn func(tx *bolt.Tx) error) error {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.closed {
		return ErrClosed
	}
	return s.db.View(fn)
}

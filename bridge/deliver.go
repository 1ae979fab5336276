package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/outbox"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

// deliveryClient is the part of sbclient.Client that delivery needs.
type deliveryClient interface {
	DoActionJSON(ctx context.Context, action sbclient.ActionRef, args json.RawMessage) error
	ExecuteCodeTriggerJSON(ctx context.Context, triggerName string, args json.RawMessage) error
	Connected() bool
}

// signal is a level-triggered broadcast: Wait returns a channel closed at the
// next Fire.
type signal struct {
	mu sync.Mutex
	ch chan struct{}
}

func (s *signal) Wait() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch == nil {
		s.ch = make(chan struct{})
	}
	return s.ch
}

func (s *signal) Fire() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ch != nil {
		close(s.ch)
		s.ch = nil
	}
}

// deliverer is the single path of every event to Streamer.bot (contract
// section 4, "Delivery"): it takes entries from the outbox in order, runs
// their action (and the matching custom code trigger, when Streamer.bot has
// one), and removes each entry only when Streamer.bot answered ok or reported
// the action missing. While Streamer.bot is away it waits; entries older than
// the TTL are dropped with a log line.
type deliverer struct {
	store    *outbox.Store
	sb       deliveryClient
	log      *slog.Logger
	ttl      time.Duration
	conn     *signal // fired on every connect
	triggers *triggerSet
	missing  *missingReporter
	status   *statusBoard
}

const deliverBatch = 64

func (d *deliverer) run(ctx context.Context) error {
	var delivered []uint64
	for {
		if ctx.Err() != nil {
			return nil
		}
		entries, err := d.store.Peek(deliverBatch)
		if err != nil {
			d.log.Error("outbox read failed", "err", err)
			if !sleepCtx(ctx, time.Second) {
				return nil
			}
			continue
		}
		if len(entries) == 0 {
			select {
			case <-d.store.Notify():
			case <-ctx.Done():
				return nil
			}
			continue
		}
		if !d.sb.Connected() {
			select {
			case <-d.conn.Wait():
			case <-time.After(time.Second):
			case <-ctx.Done():
				return nil
			}
			continue
		}
		delivered = delivered[:0]
		for _, e := range entries {
			ok := d.deliverOne(ctx, e)
			if !ok {
				break
			}
			delivered = append(delivered, e.Seq)
		}
		if len(delivered) > 0 {
			if err := d.store.AckMany(context.WithoutCancel(ctx), delivered); err != nil {
				d.log.Error("outbox ack failed", "err", err)
			}
		}
		if len(delivered) < len(entries) {
			// Streamer.bot went away mid-batch: wait for the next connect.
			select {
			case <-d.conn.Wait():
			case <-time.After(time.Second):
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// deliverOne reports whether the entry is done (delivered, skipped or
// expired); false means retry it after a reconnect.
func (d *deliverer) deliverOne(ctx context.Context, e outbox.Entry) bool {
	if d.ttl > 0 && time.Since(e.CreatedAt) > d.ttl {
		d.log.Warn("event dropped: older than BRIDGE_EVENT_TTL", "seq", e.Seq, "age", time.Since(e.CreatedAt).Round(time.Second), "ttl", d.ttl)
		return true
	}
	var p payload
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		d.log.Error("event dropped: unreadable queue entry", "seq", e.Seq, "err", err)
		return true
	}
	if !d.triggers.actionDone(e.Seq) {
		err := d.sb.DoActionJSON(ctx, sbclient.ActionRef{Name: p.Action}, p.Args)
		if !d.settle(p.Action, err) {
			return false
		}
	}
	if trig := d.triggers.eventFor(p.Kind); trig != "" {
		err := d.sb.ExecuteCodeTriggerJSON(ctx, trig, p.Args)
		if !d.settle("trigger "+trig, err) {
			// The action already ran; do not run it twice for the trigger.
			// The trigger is retried alone on the next attempt.
			d.triggers.retryLater(e.Seq)
			return false
		}
	}
	d.triggers.forget(e.Seq)
	d.status.delivered(time.Since(e.CreatedAt))
	return true
}

// settle classifies a delivery result: true when the route is done.
func (d *deliverer) settle(name string, err error) bool {
	var re *sbclient.RequestError
	switch {
	case err == nil:
		d.missing.found(name)
		return true
	case errors.As(err, &re):
		d.missing.report(name, re)
		return true
	default:
		d.log.Debug("delivery deferred", "route", name, "err", err)
		return false
	}
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// missingReporter says once per name that an action is missing (contract
// section 4), and again only after it was found in between.
type missingReporter struct {
	log *slog.Logger
	mu  sync.Mutex
	set map[string]string
}

func (m *missingReporter) report(name string, err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.set == nil {
		m.set = map[string]string{}
	}
	if _, seen := m.set[name]; seen {
		return
	}
	m.set[name] = err.Error()
	m.log.Error("Streamer.bot refused the action: create it (or run `picarto-bridge import`); other events keep flowing",
		"action", name, "err", err)
}

func (m *missingReporter) found(name string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.set, name)
}

// Missing lists the names currently reported missing.
func (m *missingReporter) Missing() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []string
	for k := range m.set {
		out = append(out, k)
	}
	sortStrings(out)
	return out
}

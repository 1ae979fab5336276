package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/outbox"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

// deliveryClient is the part of sbclient.Client that delivery needs.
type deliveryClient interface {
	Pipeline(ctx context.Context, calls []sbclient.Call) []error
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
			if !d.waitConnect(ctx) {
				return nil
			}
			continue
		}
		done, again := d.deliverBatch(ctx, entries)
		if len(done) > 0 {
			if err := d.store.AckMany(context.WithoutCancel(ctx), done); err != nil {
				d.log.Error("outbox ack failed", "err", err)
			}
		}
		if again && !d.waitConnect(ctx) {
			return nil
		}
	}
}

// waitConnect waits for the next connect (or a second, to re-check).
func (d *deliverer) waitConnect(ctx context.Context) bool {
	select {
	case <-d.conn.Wait():
	case <-time.After(time.Second):
	case <-ctx.Done():
		return false
	}
	return true
}

// routeCall is one entry's part of a pipelined batch.
type routeCall struct {
	entry   outbox.Entry
	p       payload
	action  int // index in the batch's calls, -1: not sent
	trigger int
}

// deliverBatch sends the entries' actions (and custom triggers) as one
// pipelined batch, in order, and returns the entries that are done
// (delivered, skipped or expired) and whether some must be retried after a
// reconnect. An entry whose action ran but whose trigger did not is retried
// for the trigger alone.
func (d *deliverer) deliverBatch(ctx context.Context, entries []outbox.Entry) (done []uint64, again bool) {
	var calls []sbclient.Call
	routes := make([]routeCall, 0, len(entries))
	for _, e := range entries {
		if d.ttl > 0 && time.Since(e.CreatedAt) > d.ttl {
			d.log.Warn("event dropped: older than BRIDGE_EVENT_TTL", "seq", e.Seq,
				"age", time.Since(e.CreatedAt).Round(time.Second), "ttl", d.ttl)
			done = append(done, e.Seq)
			continue
		}
		rc := routeCall{entry: e, action: -1, trigger: -1}
		if err := json.Unmarshal(e.Payload, &rc.p); err != nil {
			d.log.Error("event dropped: unreadable queue entry", "seq", e.Seq, "err", err)
			done = append(done, e.Seq)
			continue
		}
		if !d.triggers.actionDone(e.Seq) {
			rc.action = len(calls)
			calls = append(calls, sbclient.Call{Action: sbclient.ActionRef{Name: rc.p.Action}, Args: rc.p.Args})
		}
		if trig := d.triggers.eventFor(rc.p.Kind); trig != "" {
			rc.trigger = len(calls)
			calls = append(calls, sbclient.Call{Trigger: trig, Args: rc.p.Args})
		}
		routes = append(routes, rc)
	}
	errs := d.sb.Pipeline(ctx, calls)
	for _, rc := range routes {
		actionOK := rc.action < 0 || d.settle(rc.p.Action, errs[rc.action])
		triggerOK := rc.trigger < 0 || d.settle("trigger "+calls[rc.trigger].Trigger, errs[rc.trigger])
		switch {
		case actionOK && triggerOK:
			d.triggers.forget(rc.entry.Seq)
			d.status.delivered()
			done = append(done, rc.entry.Seq)
		case actionOK:
			// The action already ran; do not run it twice for the trigger.
			d.triggers.retryLater(rc.entry.Seq)
			again = true
		default:
			again = true
		}
	}
	return done, again
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
	slices.Sort(out)
	return out
}

package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

// flapGuard: a stream that goes offline and back online within this long
// stays "online" (contract section 4).
const flapGuard = 60 * time.Second

// streamObs is one sighting of the stream's state, from a poll or a webhook.
type streamObs struct {
	online   bool
	title    string
	category string
	viewers  int
	at       time.Time
	reply    chan error // nil: fire and forget
}

// streamRecord is the persisted stream state, so a restart neither repeats an
// online alert nor forgets a pending offline.
type streamRecord struct {
	Online       bool      `json:"online"`
	StartedAt    time.Time `json:"startedAt,omitzero"`
	OfflineSince time.Time `json:"offlineSince,omitzero"` // offline seen, flap guard running
	Title        string    `json:"title,omitempty"`
	Category     string    `json:"category,omitempty"`
}

// streamMachine owns the online/offline state of one channel: it turns
// sightings into Online/Offline events with the flap guard, and keeps the
// picartoOnline global right.
type streamMachine struct {
	b       *Bridge
	channel string
	obs     chan streamObs
	done    chan struct{} // closed when run returns
	guard   time.Duration
}

func newStreamMachine(b *Bridge, channel string) *streamMachine {
	return &streamMachine{b: b, channel: strings.ToLower(channel), obs: make(chan streamObs),
		done: make(chan struct{}), guard: flapGuard}
}

// observe hands a sighting to the machine and waits until it is durable.
func (m *streamMachine) observe(ctx context.Context, o streamObs) error {
	o.reply = make(chan error, 1)
	select {
	case m.obs <- o:
	case <-ctx.Done():
		return ctx.Err()
	case <-m.done:
		return errStreamStopped
	}
	select {
	case err := <-o.reply:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *streamMachine) stateKey() string { return "stream:" + m.channel }

// errStreamStopped: the machine stopped (its channel setting changed); the
// source is not acknowledged and will send again.
var errStreamStopped = errors.New("bridge: stream state is restarting")

func (m *streamMachine) run(ctx context.Context) error {
	defer close(m.done)
	var rec streamRecord
	known := false
	if raw, err := m.b.store.GetState(m.stateKey()); err == nil && raw != nil {
		known = json.Unmarshal(raw, &rec) == nil
	}
	var timer *time.Timer
	var timerC <-chan time.Time
	arm := func() {
		if timer != nil {
			timer.Stop()
		}
		timer = time.NewTimer(max(0, m.guard-time.Since(rec.OfflineSince)))
		timerC = timer.C
	}
	disarm := func() {
		if timer != nil {
			timer.Stop()
		}
		timer, timerC = nil, nil
	}
	defer disarm()
	if known && rec.Online && !rec.OfflineSince.IsZero() {
		arm()
	}
	if known {
		m.b.globals.Set(ctx, m.b.sbRunner(), actions.GlobalOnline, rec.Online)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-timerC:
			disarm()
			if err := m.goOffline(ctx, &rec); err != nil {
				m.b.log.Error("offline event not queued", "err", err)
			}
		case o := <-m.obs:
			err := m.apply(ctx, &rec, &known, o, arm, disarm)
			if o.reply != nil {
				o.reply <- err
			}
		}
	}
}

func (m *streamMachine) apply(ctx context.Context, rec *streamRecord, known *bool, o streamObs, arm, disarm func()) error {
	if o.at.IsZero() {
		o.at = time.Now().UTC()
	}
	if !*known {
		// First sighting ever: a baseline, no alert.
		*known = true
		*rec = streamRecord{Online: o.online, Title: o.title, Category: o.category}
		if o.online {
			rec.StartedAt = o.at
		}
		m.b.globals.Set(ctx, m.b.sbRunner(), actions.GlobalOnline, o.online)
		return m.save(rec)
	}
	switch {
	case o.online && rec.Online && !rec.OfflineSince.IsZero():
		// Back within the flap guard: it never went offline.
		disarm()
		rec.OfflineSince = time.Time{}
		return m.save(rec)
	case o.online && rec.Online:
		if o.title != "" {
			rec.Title = o.title
		}
		return nil
	case o.online && !rec.Online:
		*rec = streamRecord{Online: true, StartedAt: o.at, Title: o.title, Category: o.category}
		ev := actions.Event{Kind: actions.KindOnline, ID: fmt.Sprintf("online-%s-%d", m.channel, o.at.Unix()),
			CreatedAt: o.at, Title: o.title, Category: o.category, StartedAt: o.at, Viewers: intPtr(o.viewers)}
		// The global first, so the Online action already sees picartoOnline True.
		m.b.globals.Set(ctx, m.b.sbRunner(), actions.GlobalOnline, true)
		if err := m.b.emit(ctx, ev); err != nil {
			return err
		}
		return m.save(rec)
	case !o.online && rec.Online && rec.OfflineSince.IsZero():
		rec.OfflineSince = o.at
		if err := m.save(rec); err != nil {
			return err
		}
		arm()
		return nil
	default: // offline and already offline (or already pending)
		return nil
	}
}

func (m *streamMachine) goOffline(ctx context.Context, rec *streamRecord) error {
	ended := rec.OfflineSince
	if ended.IsZero() {
		ended = time.Now().UTC()
	}
	ev := actions.Event{Kind: actions.KindOffline, ID: fmt.Sprintf("offline-%s-%d", m.channel, ended.Unix()),
		CreatedAt: time.Now().UTC(), EndedAt: ended}
	if !rec.StartedAt.IsZero() {
		ev.Duration = intPtr(int(ended.Sub(rec.StartedAt).Seconds()))
	}
	m.b.globals.Set(ctx, m.b.sbRunner(), actions.GlobalOnline, false)
	if err := m.b.emit(ctx, ev); err != nil {
		return err
	}
	*rec = streamRecord{Online: false}
	return m.save(rec)
}

func (m *streamMachine) save(rec *streamRecord) error {
	raw, err := json.Marshal(rec)
	if err != nil {
		return err
	}
	if err := m.b.store.PutState(m.stateKey(), raw); err != nil {
		return fmt.Errorf("bridge: save stream state: %w", err)
	}
	return nil
}

func intPtr(v int) *int { return &v }

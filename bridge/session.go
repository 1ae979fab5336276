package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"sync"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

type outcome int

const (
	outcomeStop outcome = iota
	outcomeRestart
)

// session is one start of everything: a Streamer.bot client, a Picarto
// client, and the components the settings call for. The restart command ends
// a session and starts the next.
type session struct {
	b    *Bridge
	sb   *sbclient.Client
	api  *picarto.Client
	conn signal

	wg         *conc.WaitGroup
	components map[string]*component

	mu        sync.Mutex
	settings  Settings
	values    globalValues // persisted globals overlaid with temporary ones
	persisted map[string]any
	temporary map[string]any
	streamM   *streamMachine
	chat      *picarto.Chat
	initSeen  bool
	commands  chan command
	sent      sentMessages // chat texts the bridge sent, to skip their echo

	// Loop-goroutine state: whether the globals were read at least once, and
	// the commands that need them (webhook registration) until then.
	loaded   bool
	deferred []command
}

// component is a goroutine started for a settings key; it is restarted when
// its key changes.
type component struct {
	key    string
	cancel context.CancelFunc
	done   chan struct{}
}

func (b *Bridge) runSession(parent context.Context, stopRequested <-chan struct{}) (outcome, error) {
	ctx, cancel := context.WithCancel(parent)
	defer cancel()
	s := &session{b: b, wg: conc.NewWaitGroup(), components: map[string]*component{},
		persisted: map[string]any{}, temporary: map[string]any{}, commands: make(chan command, 16)}
	s.sb = sbclient.New(sbclient.Config{
		URL:      b.cfg.SBURL,
		Password: b.cfg.SBPassword,
		Logger:   b.log,
		Subscriptions: map[string][]string{
			"General": {"Custom"},
			"Misc":    {"GlobalVariableCreated", "GlobalVariableUpdated", "GlobalVariableDeleted"},
		},
		OnConnect: func(sbclient.Info) { s.conn.Fire(); b.status.set(compStreamerbot, "connected") },
		OnDisconnect: func(error) {
			b.status.set(compStreamerbot, "disconnected")
		},
	})
	s.api = picarto.NewClient(picarto.Config{
		BaseURL: b.cfg.PicartoAPIURL, HTTPClient: b.httpClient, Limiter: b.limiter,
		Logger: b.log.With("component", "picarto"),
	})
	s.settings = settingsFrom(nil, b.cfg)
	s.applyCredentials()
	b.session.Store(s)
	defer b.session.Store(nil)
	b.status.set(compStreamerbot, "connecting")

	sbErr := make(chan error, 1)
	s.wg.Go(func() { sbErr <- s.sb.Run(ctx) })
	d := &deliverer{store: b.store, sb: s.sb, log: b.log.With("component", "delivery"), ttl: b.cfg.EventTTL,
		conn: &s.conn, triggers: b.triggers, missing: b.missing, status: b.status}
	s.wg.Go(func() { _ = d.run(ctx) })
	s.wg.Go(func() { s.runTokenRefresher(ctx) }) // oauth.go: renews the browser sign-in's token
	s.wg.Go(func() { s.publishStatus(ctx) })
	s.wg.Go(func() { b.globals.runFlusher(ctx, s.sb) })
	s.reconcile(ctx)

	out, err := s.loop(ctx, sbErr, stopRequested)
	cancel()
	s.stopAll()
	s.wg.Wait()
	return out, err
}

func (s *session) loop(ctx context.Context, sbErr <-chan error, stopRequested <-chan struct{}) (outcome, error) {
	b := s.b
	resync := time.NewTicker(b.cfg.PollInterval)
	defer resync.Stop()
	connected := s.conn.Wait()
	for {
		select {
		case <-ctx.Done():
			return outcomeStop, nil
		case <-stopRequested:
			b.log.Info("another picarto-bridge is taking over: stopping")
			return outcomeStop, nil
		case err := <-sbErr:
			if errors.Is(err, sbclient.ErrAuth) {
				b.log.Error("Streamer.bot rejected the password: set SB_WS_PASSWORD to the WebSocket server password")
				return outcomeStop, ErrAuth
			}
			if err != nil {
				return outcomeStop, err
			}
			return outcomeStop, nil
		case <-connected:
			connected = s.conn.Wait()
			s.onConnect(ctx)
		case ev := <-s.sb.Events():
			if out, stop := s.onEvent(ctx, ev); stop {
				return out, nil
			}
		case cmd := <-s.commands:
			if out, stop := s.run(ctx, cmd); stop {
				return out, nil
			}
		case <-resync.C:
			if s.sb.Connected() {
				s.reloadGlobals(ctx)
			}
		}
	}
}

// onConnect re-reads every global, learns the custom triggers and writes the
// globals Streamer.bot lacks or holds wrongly (contract section 3).
func (s *session) onConnect(ctx context.Context) {
	b := s.b
	b.log.Info("connected to Streamer.bot")
	s.reloadGlobals(ctx)
	if trig, err := s.sb.GetCodeTriggers(ctx); err == nil {
		b.triggers.update(trig)
	} else {
		b.log.Debug("custom triggers not read", "err", err)
	}
	b.globals.Set(ctx, s.sb, actions.GlobalBridgeStatus, b.status.bridgeStatus())
	b.globals.Flush(ctx, s.sb)
}

// publishStatus keeps picartoBridgeStatus ("connected" or "degraded:
// <reason>") in step with the status board; the writer skips unchanged values.
func (s *session) publishStatus(ctx context.Context) {
	for {
		changed := s.b.status.changed.Wait()
		s.b.globals.Set(ctx, s.sb, actions.GlobalBridgeStatus, s.b.status.bridgeStatus())
		select {
		case <-changed:
		case <-ctx.Done():
			return
		}
	}
}

// reloadGlobals reads persisted and temporary globals and applies them.
func (s *session) reloadGlobals(ctx context.Context) {
	readAt := time.Now()
	pers, err := s.sb.GetGlobals(ctx, true)
	if err != nil {
		s.b.log.Warn("cannot read Streamer.bot globals", "err", err)
		return
	}
	temp, err := s.sb.GetGlobals(ctx, false)
	if err != nil {
		s.b.log.Warn("cannot read Streamer.bot temporary globals", "err", err)
		return
	}
	s.mu.Lock()
	s.persisted = map[string]any{}
	for k, g := range pers {
		s.persisted[k] = g.Value
	}
	s.temporary = map[string]any{}
	for k, g := range temp {
		s.temporary[k] = g.Value
	}
	s.mu.Unlock()
	s.b.globals.resetKnown(s.merged(), readAt)
	s.reconcile(ctx)
	s.b.globals.Flush(ctx, s.sb)
	if !s.loaded {
		s.loaded = true
		for _, cmd := range s.deferred {
			s.queue(cmd)
		}
		s.deferred = nil
	}
}

func (s *session) merged() globalValues {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := make(globalValues, len(s.persisted)+len(s.temporary))
	for k, v := range s.persisted {
		g[k] = v
	}
	for k, v := range s.temporary {
		g[k] = v
	}
	return g
}

// globalEvent is the data of Misc.GlobalVariableCreated/Updated/Deleted
// (streamerbot-ws spec 4.4; the Created/Deleted shapes are inferred there, so
// both `value` and `newValue` are read).
type globalEvent struct {
	Name      string `json:"name"`
	Value     any    `json:"value"`
	NewValue  any    `json:"newValue"`
	Persisted *bool  `json:"persisted"`
}

func (s *session) onEvent(ctx context.Context, ev sbclient.Event) (outcome, bool) {
	switch ev.Source + "." + ev.Type {
	case "Misc.GlobalVariableCreated", "Misc.GlobalVariableUpdated", "Misc.GlobalVariableDeleted":
		var ge globalEvent
		if err := json.Unmarshal(ev.Data, &ge); err != nil || ge.Name == "" {
			s.b.log.Debug("unreadable global event", "type", ev.Type)
			return 0, false
		}
		value := ge.NewValue
		if ev.Type == "GlobalVariableCreated" && value == nil {
			value = ge.Value
		}
		deleted := ev.Type == "GlobalVariableDeleted"
		s.mu.Lock()
		target := s.persisted
		if ge.Persisted != nil && !*ge.Persisted {
			target = s.temporary
		}
		if deleted {
			delete(target, ge.Name)
		} else {
			target[ge.Name] = value
		}
		s.mu.Unlock()
		v, ok := s.merged()[ge.Name]
		s.b.globals.setKnown(ge.Name, v, ok)
		if isSettingGlobal(ge.Name) {
			s.reconcile(ctx)
		}
	case "General.Custom":
		if cmd, ok := parseCommand(ev.Data); ok {
			return s.run(ctx, cmd)
		}
	}
	return 0, false
}

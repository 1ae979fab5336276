package bridge

import (
	"context"
	"errors"
	"sort"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// reconcile derives the settings from the globals and restarts exactly the
// components whose settings changed (contract section 3: a change takes effect
// without a restart, and only what it affects is reconfigured).
func (s *session) reconcile(ctx context.Context) {
	b := s.b
	next := settingsFrom(s.merged(), b.cfg)
	s.mu.Lock()
	prev := s.settings
	s.settings = next
	firstInit := next.Init && !s.initSeen
	s.initSeen = next.Init
	s.mu.Unlock()
	if prev.Bearer != next.Bearer || prev.ClientID != next.ClientID || prev.ClientSecret != next.ClientSecret {
		s.applyCredentials()
	}

	s.ensure(ctx, "http", next.httpKey(), func(ctx context.Context) error { return b.serveHTTP(ctx, next.Port) })
	s.ensure(ctx, "poll", next.pollKey(), func(ctx context.Context) error {
		m := newStreamMachine(b, next.Channel)
		s.mu.Lock()
		s.streamM = m
		s.mu.Unlock()
		p := &poller{b: b, s: next, api: s.api, stream: m, interval: b.cfg.PollInterval}
		inner, cancel := context.WithCancel(ctx)
		defer cancel()
		var wg conc.WaitGroup
		wg.Go(func() { _ = m.run(inner) })
		_ = p.run(inner)
		cancel()
		wg.Wait()
		return nil
	})
	if key := next.chatKey(); key != "" {
		s.ensure(ctx, "chat", key, func(ctx context.Context) error { return s.runChat(ctx, next) })
	} else {
		s.stop("chat")
		b.status.set(compChat, "off: set picartoChannelToken to read chat")
	}
	if key := next.alertsKey(); key != "" {
		s.ensure(ctx, "alerts", key, func(ctx context.Context) error { return s.runAlerts(ctx, next) })
	} else {
		s.stop("alerts")
		b.status.set(compAlerts, "off")
	}
	if firstInit {
		s.queue(command{Name: cmdRegisterWebhooks})
	}
}

// applyCredentials hands a new bearer or app credential to the Picarto client.
func (s *session) applyCredentials() {
	s.mu.Lock()
	st := s.settings
	s.mu.Unlock()
	s.api.SetToken(st.Bearer)
	s.api.SetAppCredentials(st.ClientID, st.ClientSecret)
}

// ensure starts fn as component name unless it already runs with key.
func (s *session) ensure(ctx context.Context, name, key string, fn func(context.Context) error) {
	if c, ok := s.components[name]; ok {
		if c.key == key {
			return
		}
		s.stop(name)
	}
	cctx, cancel := context.WithCancel(ctx)
	c := &component{key: key, cancel: cancel, done: make(chan struct{})}
	s.components[name] = c
	s.wg.Go(func() {
		defer close(c.done)
		if err := fn(cctx); err != nil && !errors.Is(err, context.Canceled) {
			s.b.log.Warn("component stopped", "component", name, "err", err)
		}
	})
}

func (s *session) stop(name string) {
	c, ok := s.components[name]
	if !ok {
		return
	}
	c.cancel()
	<-c.done
	delete(s.components, name)
}

func (s *session) stopAll() {
	names := make([]string, 0, len(s.components))
	for n := range s.components {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		s.stop(n)
	}
}

func (s *session) stream() *streamMachine {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.streamM
}

func (s *session) currentSettings() Settings {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.settings
}

func (s *session) currentChat() *picarto.Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chat
}

// queue hands a command to the session loop without blocking it.
func (s *session) queue(cmd command) {
	select {
	case s.commands <- cmd:
	default:
		s.b.log.Warn("command dropped: too many pending", "command", cmd.Name)
	}
}

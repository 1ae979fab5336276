package bridge

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// serveHTTP runs the bridge's one HTTP server (contract section 6) on port
// until ctx ends. A port that cannot be bound is reported (log and
// picartoBridgeStatus) and the component waits for a new port setting.
func (b *Bridge) serveHTTP(ctx context.Context, port int) error {
	addr := net.JoinHostPort(b.cfg.Host, strconv.Itoa(port))
	ln, err := (&net.ListenConfig{}).Listen(ctx, "tcp", addr)
	if err != nil {
		b.status.set(compHTTP, "cannot listen on "+addr+": "+err.Error())
		b.status.degrade(compHTTP, fmt.Sprintf("port %d unavailable", port))
		b.log.Error("HTTP server cannot listen: set picartoPort (or BRIDGE_PORT) to a free port", "addr", addr, "err", err)
		<-ctx.Done()
		return nil
	}
	b.status.degrade(compHTTP, "")
	b.status.set(compHTTP, "listening on "+ln.Addr().String())
	b.httpAddr.Store(ln.Addr().String())
	srv := &http.Server{
		Handler:           b.routes(),
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      15 * time.Second,
		IdleTimeout:       60 * time.Second,
	}
	errc := make(chan error, 1)
	var wg conc.WaitGroup
	defer wg.Wait()
	wg.Go(func() { errc <- srv.Serve(ln) })
	b.log.Info("HTTP server listening", "addr", ln.Addr().String())
	select {
	case <-ctx.Done():
	case err := <-errc:
		b.log.Error("HTTP server stopped", "err", err)
		return nil
	}
	shutdownCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	_ = srv.Shutdown(shutdownCtx)
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		b.log.Warn("HTTP server closed", "err", err)
	}
	return nil
}

func (b *Bridge) routes() http.Handler {
	mux := http.NewServeMux()
	hook := picarto.NewWebhookHandler(b.onWebhook, picarto.WebhookOptions{Logger: b.log.With("component", "webhook")})
	mux.HandleFunc("/webhook/{secret}", func(w http.ResponseWriter, r *http.Request) {
		got := r.PathValue("secret")
		if subtle.ConstantTimeCompare([]byte(got), []byte(b.webhookSecret)) != 1 {
			http.NotFound(w, r)
			return
		}
		hook.ServeHTTP(w, r)
	})
	mux.HandleFunc("GET /healthz", b.handleHealth)
	b.statusRoutes(mux)
	return mux
}

// handleHealth: 200 with component states when Streamer.bot is connected,
// 503 otherwise (contract section 6).
func (b *Bridge) handleHealth(w http.ResponseWriter, r *http.Request) {
	states := b.status.snapshot()
	body := map[string]any{
		"status":     b.status.bridgeStatus(),
		"components": states,
		"queued":     b.store.Len(),
		"delivered":  b.status.deliveredCount(),
	}
	// What contract section 3/4 say is reported once: a missing helper or
	// action, here too for tools that watch the bridge.
	if missing := b.missing.Missing(); len(missing) > 0 {
		body["missingActions"] = missing
	}
	if b.globals.HelperMissing() {
		body["helperMissing"] = true
	}
	code := http.StatusOK
	if !b.sbRunner().Connected() {
		code = http.StatusServiceUnavailable
		body["status"] = "streamerbot disconnected"
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(body)
}

// onWebhook turns a decoded Picarto callback into an event in the outbox;
// returning nil lets the handler answer 2xx, so Picarto's delivery is
// acknowledged only once the event is on disk.
func (b *Bridge) onWebhook(ctx context.Context, ev picarto.WebhookEvent) error {
	switch ev.Type {
	case picarto.WebhookOnline, picarto.WebhookOffline:
		if m := b.currentStream(); m != nil {
			return m.observe(ctx, streamObs{online: ev.Type == picarto.WebhookOnline, at: ev.Timestamp})
		}
	}
	e := webhookToEvent(ev, b.counts.Load())
	err := b.emit(ctx, e)
	if err == nil && e.User != nil {
		switch e.Kind {
		case actions.KindFollow:
			b.globals.SetLater(actions.GlobalLastFollower, e.User.Display)
		case actions.KindSubscribe:
			b.globals.SetLater(actions.GlobalLastSubscriber, e.User.Display)
		}
	}
	return err
}

func webhookKind(t picarto.WebhookType) actions.Kind {
	switch t {
	case picarto.WebhookFollow:
		return actions.KindFollow
	case picarto.WebhookUnfollow:
		return actions.KindUnfollow
	case picarto.WebhookSubscribe:
		return actions.KindSubscribe
	case picarto.WebhookUnsubscribe:
		return actions.KindUnsubscribe
	case picarto.WebhookOnline:
		return actions.KindOnline
	case picarto.WebhookOffline:
		return actions.KindOffline
	case picarto.WebhookEventStart:
		return actions.KindEventStart
	default:
		return actions.KindEventEnd
	}
}

// channelCounts are the last polled counts, for event arguments.
type channelCounts struct{ followers, subscribers int }

func countsOf(ch *picarto.Channel) *channelCounts {
	return &channelCounts{followers: ch.Followers, subscribers: ch.Subscribers}
}

func webhookToEvent(ev picarto.WebhookEvent, counts *channelCounts) actions.Event {
	e := actions.Event{Kind: webhookKind(ev.Type), ID: "webhook-" + ev.ID, CreatedAt: time.Now().UTC(),
		User: eventUser(ev.User, ev.UserName, ev.UserID, ev.Avatar), IsTest: ev.Test}
	if counts != nil {
		switch e.Kind {
		case actions.KindFollow:
			e.FollowerCount = intPtr(counts.followers)
		case actions.KindSubscribe:
			e.SubCount = intPtr(counts.subscribers)
		}
	}
	if e.Kind == actions.KindOnline && !ev.Timestamp.IsZero() {
		e.StartedAt = ev.Timestamp
	}
	if e.Kind == actions.KindOffline && !ev.Timestamp.IsZero() {
		e.EndedAt = ev.Timestamp
	}
	return e
}

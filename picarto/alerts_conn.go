package picarto

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"
)

const (
	alertsWriteWait = 10 * time.Second // deadline for a ping or close frame
	alertsReadLimit = 1 << 20          // largest frame accepted
	alertsInfoLogs  = 20               // unknown frames logged in full at info, then debug
)

var alertTokenRe = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)

func alertPathEscape(s string) string { return url.PathEscape(s) }

// session dials the widget socket with tok and runs one reader and one
// writer until either fails or ctx ends. It returns why the session ended.
func (a *Alerts) session(ctx context.Context, tok AlertsToken) error {
	hdr := http.Header{"Origin": {a.cfg.Origin}, "User-Agent": {a.cfg.UserAgent}}
	conn, resp, err := a.dialer.DialContext(ctx, a.widgetURL(tok.Widget.Reveal()), hdr)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		switch {
		case resp != nil && resp.StatusCode == http.StatusUnauthorized:
			err = fmt.Errorf("%w (HTTP 401 on the upgrade)", ErrAlertsRejected)
		case resp != nil:
			err = fmt.Errorf("picarto: alerts: upgrade refused: HTTP %d", resp.StatusCode)
		default:
			err = fmt.Errorf("picarto: alerts: dial: %s", a.scrub(err.Error(), tok))
		}
		a.notifyDown(err)
		return err
	}
	a.stats.conns.Add(1)
	a.connected.Store(true)
	a.setErr(nil)
	a.log.Info("picarto alerts: connected", "url", a.widgetURL("REDACTED"), "channel", tok.ChannelName)
	if a.cfg.OnConnect != nil {
		a.cfg.OnConnect()
	}
	var refresh <-chan time.Time
	if !tok.Expires.IsZero() {
		t := time.NewTimer(max(time.Until(tok.Expires)-a.cfg.RefreshBefore, a.cfg.StableAfter))
		defer t.Stop()
		refresh = t.C
	}
	sctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var wg conc.WaitGroup
	wg.Go(func() { cancel(a.readLoop(conn, tok)) })
	wg.Go(func() { a.writeLoop(sctx, cancel, conn, refresh) })
	wg.Wait()
	a.connected.Store(false)
	err = context.Cause(sctx)
	if ctx.Err() == nil {
		a.notifyDown(err)
	}
	return err
}

// writeLoop is the connection's only writer: pings every PingInterval, and
// a close frame when the session ends. It closes the connection, which ends
// the reader.
func (a *Alerts) writeLoop(ctx context.Context, cancel context.CancelCauseFunc, conn *websocket.Conn, refresh <-chan time.Time) {
	defer conn.Close()
	ping := time.NewTicker(a.cfg.PingInterval)
	defer ping.Stop()
	for {
		select {
		case <-ctx.Done():
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			return
		case <-refresh:
			cancel(errAlertsRefresh)
		case <-ping.C:
			if err := conn.WriteControl(websocket.PingMessage, nil, time.Now().Add(alertsWriteWait)); err != nil {
				cancel(fmt.Errorf("picarto: alerts: ping: %w", err))
			}
		}
	}
}

// readLoop is the connection's only reader. A pong or any frame renews the
// read deadline; there is no deadline on alerts themselves (they can be
// hours apart).
func (a *Alerts) readLoop(conn *websocket.Conn, tok AlertsToken) error {
	wait := a.cfg.PingInterval + a.cfg.PongTimeout
	conn.SetReadLimit(alertsReadLimit)
	_ = conn.SetReadDeadline(time.Now().Add(wait))
	conn.SetPongHandler(func(string) error { return conn.SetReadDeadline(time.Now().Add(wait)) })
	for {
		typ, b, err := conn.ReadMessage()
		if err != nil {
			var ce *websocket.CloseError
			var ne net.Error
			switch {
			case errors.As(err, &ce) && ce.Code == websocket.ClosePolicyViolation:
				return fmt.Errorf("%w (close 1008 %q)", ErrAlertsRejected, a.scrub(ce.Text, tok))
			case errors.As(err, &ce):
				return fmt.Errorf("picarto: alerts: closed by the server: %d %q", ce.Code, a.scrub(ce.Text, tok))
			case errors.As(err, &ne) && ne.Timeout():
				return fmt.Errorf("picarto: alerts: no pong within %s: link dead", a.cfg.PongTimeout)
			default:
				return fmt.Errorf("picarto: alerts: read: %s", a.scrub(err.Error(), tok))
			}
		}
		_ = conn.SetReadDeadline(time.Now().Add(wait))
		if typ == websocket.TextMessage || typ == websocket.BinaryMessage {
			if msg, rejected := a.handleFrame(b, tok); rejected {
				return fmt.Errorf("%w (the server said %s)", ErrAlertsRejected, msg)
			}
		}
	}
}

// handleFrame decodes one frame, feeds OnFrame, the stats and Events. It
// reports a token-rejection frame instead of emitting it.
func (a *Alerts) handleFrame(raw []byte, tok AlertsToken) (string, bool) {
	now := time.Now()
	clean := []byte(a.scrub(string(raw), tok))
	a.stats.frames.Add(1)
	evs, err := alertDecodeAt(clean, now)
	if err != nil {
		a.stats.malformed.Add(1)
		d := alertDecoder{raw: clean, now: now.UTC()}
		d.unknown(clean, "", "not JSON")
		evs = d.out
	}
	rejected := alertIsRejection(clean)
	decoded := !rejected && alertFullyDecoded(evs)
	if decoded {
		a.stats.decoded.Add(1)
	} else {
		a.stats.unknown.Add(1)
	}
	if a.cfg.OnFrame != nil {
		a.cfg.OnFrame(bytes.Clone(clean), decoded)
	}
	if rejected {
		return alertSnippet(string(clean)), true
	}
	if !decoded {
		a.logUnknown(clean, evs)
	}
	for _, ev := range evs {
		a.stats.events.Add(1) // counted first, so a consumer never sees more events than Stats
		select {
		case a.events <- ev:
		default:
			a.stats.events.Add(-1)
			if n := a.stats.dropped.Add(1); n == 1 || n%100 == 0 {
				a.log.Warn("picarto alerts: event buffer full, dropping alerts", "dropped", n)
			}
		}
	}
	return "", false
}

// logUnknown logs a frame the decoder could not fully map, in full (it is
// scrubbed), so the first live session teaches the real schema (spec §5.3).
func (a *Alerts) logUnknown(clean []byte, evs []AlertEvent) {
	var why []string
	for _, ev := range evs {
		b := ev.Base()
		if u, ok := ev.(AlertUnknown); ok {
			why = append(why, "unknown: "+u.Reason)
		}
		for _, m := range b.Missing {
			why = append(why, string(b.Kind)+" without "+m)
		}
	}
	a.mu.Lock()
	a.warned++
	info := a.warned <= alertsInfoLogs
	a.mu.Unlock()
	frame := string(clean)
	if len(frame) > 4096 {
		frame = frame[:4096] + "…"
	}
	if info {
		a.log.Info("picarto alerts: frame not fully understood (please include it in a report)", "why", why, "frame", frame)
	} else {
		a.log.Debug("picarto alerts: frame not fully understood", "why", why, "frame", frame)
	}
}

func alertFullyDecoded(evs []AlertEvent) bool {
	for _, ev := range evs {
		if b := ev.Base(); b.Kind == AlertKindUnknown || len(b.Missing) > 0 {
			return false
		}
	}
	return len(evs) > 0
}

// alertIsRejection spots the chat server's way of refusing a token,
// {"success":false,"code":"JWT_TOKEN"} (spec §3.5, §4).
func alertIsRejection(b []byte) bool {
	var o alertObj
	if alertJSONKind(b) != '{' || json.Unmarshal(b, &o) != nil {
		return false
	}
	f := alertFields{o}
	ok, found := f.bool([]string{"success"})
	code := strings.ToUpper(f.str([]string{"code", "error"}))
	return found && !ok && (strings.Contains(code, "JWT") || strings.Contains(code, "TOKEN") || strings.Contains(code, "AUTH"))
}

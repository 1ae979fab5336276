package picartotest

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// AlertDialect picks one of the two provisional frame shapes of spec §5.4.
// Neither is Picarto's wire format (unknown, U1): they prove the client's
// decoder tolerant.
type AlertDialect int

const (
	// AlertDialectShort is the chat-like dialect: {"t":"nf","m":{...}},
	// short keys (n, sn, rn, q, sg, sc, x, d in milliseconds), amounts as
	// strings, tips as a batch.
	AlertDialectShort AlertDialect = iota
	// AlertDialectLong is {"type":"follow","data":{...}} with long keys,
	// numeric amounts and RFC 3339 timestamps.
	AlertDialectLong
)

const alertHistory = 50 // alert frames kept for SetReplay

type alertConn struct {
	ws      *websocket.Conn
	channel string
	refused bool // refused but left open and silent (AlertsRejectMessage)
	wmu     sync.Mutex
}

func (c *alertConn) write(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

// handleWidget serves GET /widget/token=<tok> (spec §4, §10).
func (s *AlertsServer) handleWidget(w http.ResponseWriter, r *http.Request) {
	hs := AlertsHandshake{Origin: r.Header.Get("Origin"), UserAgent: r.Header.Get("User-Agent"), At: time.Now()}
	status := s.checkWidget(r, &hs)
	if status != 0 {
		hs.Status = status
		s.record(hs)
		http.Error(w, http.StatusText(status), status)
		return
	}
	s.mu.Lock()
	claims, valid := s.verify(hs.Token)
	valid = valid && claims["w"] != nil
	refuse, mode := s.reject || !valid, s.mode
	s.mu.Unlock()
	ws, err := alertUpgrader.Upgrade(w, r, nil)
	if err != nil {
		hs.Status = http.StatusBadRequest
		s.record(hs)
		return
	}
	hs.Status, hs.Accepted = http.StatusSwitchingProtocols, !refuse
	c := &alertConn{ws: ws, channel: fmt.Sprint(claims["channelName"]), refused: refuse}
	if refuse && mode == AlertsRejectClose {
		s.mu.Lock()
		s.upgrades++
		s.mu.Unlock()
		s.record(hs)
		msg := websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "invalid token")
		_ = ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
		_ = ws.Close()
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ws.Close()
		return
	}
	s.handshakes = append(s.handshakes, hs)
	s.conns[c] = struct{}{}
	s.upgrades++
	first := [][]byte{[]byte(`{"success":false,"code":"JWT_TOKEN"}`)}
	if !refuse {
		s.accepted++
		first = append([][]byte(nil), s.history[max(0, len(s.history)-s.replay):]...)
	}
	s.notifyLocked()
	s.wg.Go(func() { s.serveConn(c, first) })
	s.mu.Unlock()
}

// checkWidget validates the upgrade request before any upgrade; it returns
// an HTTP status to refuse with, or 0.
func (s *AlertsServer) checkWidget(r *http.Request, hs *AlertsHandshake) int {
	rest, ok := strings.CutPrefix(r.URL.EscapedPath(), "/widget/token=")
	if !ok {
		return http.StatusNotFound
	}
	tok, err := url.PathUnescape(rest)
	hs.Token = tok
	switch {
	case err != nil || tok == "" || strings.ContainsAny(tok, "/?#") || r.URL.RawQuery != "" || r.URL.Fragment != "":
		return http.StatusBadRequest
	case s.opts.RequireOrigin && hs.Origin != "https://picarto.tv":
		return http.StatusForbidden
	case r.Method != http.MethodGet || !websocket.IsWebSocketUpgrade(r):
		return http.StatusBadRequest
	}
	return 0
}

func (s *AlertsServer) record(hs AlertsHandshake) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.handshakes = append(s.handshakes, hs)
	s.notifyLocked()
}

// serveConn writes the first frames (a refusal or a replay), then reads (and
// ignores) client frames, answering pings unless stalled, until the socket
// ends.
func (s *AlertsServer) serveConn(c *alertConn, first [][]byte) {
	for _, b := range first {
		_ = c.write(b)
	}
	c.ws.SetPingHandler(func(data string) error {
		s.mu.Lock()
		s.pings++
		stall := s.stall
		s.notifyLocked()
		s.mu.Unlock()
		if stall {
			return nil
		}
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		if err != nil && err != websocket.ErrCloseSent {
			return err
		}
		return nil
	})
	for {
		if _, _, err := c.ws.ReadMessage(); err != nil {
			break
		}
	}
	_ = c.ws.Close()
	s.mu.Lock()
	delete(s.conns, c)
	s.notifyLocked()
	s.mu.Unlock()
}

// connList snapshots the open sockets; s.mu must be held.
func (s *AlertsServer) connList() []*alertConn {
	out := make([]*alertConn, 0, len(s.conns))
	for c := range s.conns {
		out = append(out, c)
	}
	return out
}

func (s *AlertsServer) snapshot() []*alertConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connList()
}

// DropAll cuts every socket's TCP connection without a close frame (the
// peer's common case, spec §4) and returns how many it cut.
func (s *AlertsServer) DropAll() int {
	conns := s.snapshot()
	for _, c := range conns {
		_ = c.ws.UnderlyingConn().Close()
	}
	return len(conns)
}

// CloseAll closes every socket with a close frame (1000, 1001, 1011 ...).
func (s *AlertsServer) CloseAll(code int, text string) int {
	conns := s.snapshot()
	for _, c := range conns {
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
		_ = c.ws.Close()
	}
	return len(conns)
}

// Send writes frame verbatim to every open socket and returns how many.
func (s *AlertsServer) Send(frame []byte) int {
	n := 0
	for _, c := range s.snapshot() {
		if !c.refused && c.write(frame) == nil {
			n++
		}
	}
	return n
}

// Garbage sends a frame that is not JSON at all.
func (s *AlertsServer) Garbage() int { return s.Send([]byte("\x00not json {{")) }

// Follow announces a new follower.
func (s *AlertsServer) Follow(d AlertDialect, user string) int {
	return s.emit(func(ch string, now time.Time) any {
		if d == AlertDialectLong {
			return alertLong("follow", map[string]any{"username": user, "channel": ch}, now)
		}
		return map[string]any{"t": "nf", "m": map[string]any{"n": user, "rn": ch, "d": now.UnixMilli()}}
	})
}

// Subscribe announces one subscription paid amount US dollars ("4.99" is
// tier 1 for a month, "14.97" tier 1 for three, "9.99" tier 2; spec §7).
func (s *AlertsServer) Subscribe(d AlertDialect, user, amount string) int {
	return s.sub(d, "subscription", user, amount, 1, false, nil)
}

// Gift announces a bundle of len(recipients) gifted subscriptions at
// unitAmount each; the frame carries the total.
func (s *AlertsServer) Gift(d AlertDialect, gifter, unitAmount string, recipients ...string) int {
	f, _ := strconv.ParseFloat(unitAmount, 64)
	cents := int(math.Round(f*100)) * max(1, len(recipients))
	total := fmt.Sprintf("%d.%02d", cents/100, cents%100)
	return s.sub(d, "gift", gifter, total, max(1, len(recipients)), true, recipients)
}

func (s *AlertsServer) sub(d AlertDialect, typ, user, amount string, q int, gift bool, to []string) int {
	return s.emit(func(ch string, now time.Time) any {
		if d == AlertDialectLong {
			m := map[string]any{"username": user, "channel": ch, "price": json.Number(amount), "quantity": q, "isGift": gift}
			if len(to) > 0 {
				m["recipients"] = to
			}
			return alertLong(typ, m, now)
		}
		m := map[string]any{"sn": user, "n": ch, "amount": amount, "q": q, "sg": gift, "d": now.UnixMilli()}
		if len(to) > 0 {
			m["sc"] = to
		}
		return map[string]any{"t": "ns", "m": m}
	})
}

// Tip announces a Kudos tip.
func (s *AlertsServer) Tip(d AlertDialect, user string, kudos int, message string) int {
	return s.emit(func(ch string, now time.Time) any {
		if d == AlertDialectLong {
			return alertLong("tip", map[string]any{"username": user, "channel": ch, "kudos": kudos, "message": message}, now)
		}
		return map[string]any{"t": "nk", "m": []any{map[string]any{"n": user, "rn": ch, "x": kudos, "m": message, "d": now.UnixMilli()}}}
	})
}

// TestAlert sends a test alert as the user SYSTEM (spec §6): kind "follow",
// "subscribe" (tier 1, 4.99) or "tip" (100 Kudos).
func (s *AlertsServer) TestAlert(d AlertDialect, kind string) int {
	switch kind {
	case "subscribe", "subscription", "sub":
		return s.Subscribe(d, "SYSTEM", "4.99")
	case "tip":
		return s.Tip(d, "SYSTEM", 100, "Test tip")
	}
	return s.Follow(d, "SYSTEM")
}

func alertLong(typ string, data map[string]any, now time.Time) map[string]any {
	data["timestamp"] = now.UTC().Format(time.RFC3339)
	return map[string]any{"type": typ, "data": data}
}

// emit renders one alert per socket (each names its own channel), sends it
// and keeps it for replay.
func (s *AlertsServer) emit(render func(channel string, now time.Time) any) int {
	now := time.Now()
	n := 0
	var last []byte
	for _, c := range s.snapshot() {
		if c.refused {
			continue
		}
		b, _ := json.Marshal(render(c.channel, now))
		if c.write(b) == nil {
			n++
		}
		last = b
	}
	if last == nil {
		last, _ = json.Marshal(render("", now))
	}
	s.mu.Lock()
	s.history = append(s.history, last)
	if len(s.history) > alertHistory {
		s.history = s.history[len(s.history)-alertHistory:]
	}
	s.mu.Unlock()
	return n
}

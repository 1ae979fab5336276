package picartotest

import (
	"bytes"
	"encoding/json"
	"time"

	"github.com/gorilla/websocket"
)

// chatModCommands are the moderation frames of API spec §6.5; like chat
// they count toward the 20 per 30 s limit ("commands or messages").
var chatModCommands = map[string]bool{
	"clearHistory": true, "clearUser": true, "banUser": true, "unbanUser": true,
	"shadowBanUser": true, "unshadowBanUser": true, "setMod": true, "unsetMod": true,
	"ignoreUser": true, "unignoreUser": true, "permitChat": true, "declineChat": true,
	"removeMessage": true,
}

// chatClientFrame is what clients send (long key names).
type chatClientFrame struct {
	Type        string          `json:"type"`
	Message     string          `json:"message"`
	DisplayName string          `json:"displayName"`
	MessageID   string          `json:"messageId"`
	ChannelID   json.RawMessage `json:"channelId"`
}

// handleFrame processes one client frame; false closes the connection.
func (s *ChatServer) handleFrame(c *chatConn, b []byte) bool {
	var f chatClientFrame
	_ = json.Unmarshal(b, &f) // garbage is recorded with Type "" and ignored
	now := time.Now()
	rec := ChatFrame{Conn: c.id, Type: f.Type, Raw: bytes.Clone(b), At: now}
	if c.user != nil {
		rec.User = c.user.login
	}
	counted := f.Type == "chat" || f.Type == "whisper" || chatModCommands[f.Type]
	s.mu.Lock()
	switch {
	case c.silent || (counted && c.user == nil):
		rec.Dropped = true
	case counted && !s.admit(c.user, f.Type == "whisper", now):
		rec.Dropped = true
		s.lockOutLocked(c.user, now)
	case f.Type == "chat":
		s.sent = append(s.sent, f.Message)
	}
	s.frames = append(s.frames, rec)
	s.notify()
	locked := c.user != nil && now.Before(c.user.lockedUntil)
	hang := s.hang
	s.mu.Unlock()

	switch {
	case locked:
		return false // lockOutLocked closes the bot's other sockets too
	case c.silent || hang:
		return true
	case f.Type == "ping":
		_ = c.write(map[string]any{"success": true, "code": "PONG"})
	case counted && c.user == nil:
		_ = c.write(map[string]any{"success": false, "code": "INVALID_USER"})
	case f.Type == "chat" && !s.opts.NoEcho:
		u := c.user
		line := ChatLine{UserID: u.userID, Name: u.display, Text: f.Message,
			Streamer: u.userID == u.channelID, Bot: u.userID != u.channelID}
		s.broadcast(func(to *chatConn) any {
			if to.channelID != c.channelID {
				return nil
			}
			return chatBatch("c", line.render(to, "c"))
		})
	case f.Type == "removeMessage" && f.MessageID != "":
		s.RemoveMessage(f.MessageID, "<message deleted>")
	}
	return true
}

// admit applies the sliding windows to u at now and counts the frame;
// false means a limit was exceeded. s.mu must be held.
func (s *ChatServer) admit(u *chatUser, whisper bool, now time.Time) bool {
	if now.Before(u.lockedUntil) {
		return false
	}
	list := &u.msgs
	if whisper {
		list = &u.whispers
		if chatCount(*list, now, time.Second) >= s.opts.WhisperPerSecond {
			return false
		}
	}
	*list = chatPrune(*list, now, s.opts.Window)
	if len(*list) >= s.opts.Limit {
		return false
	}
	*list = append(*list, now)
	return true
}

func chatPrune(ts []time.Time, now time.Time, window time.Duration) []time.Time {
	i := 0
	for i < len(ts) && now.Sub(ts[i]) >= window {
		i++
	}
	return ts[i:]
}

func chatCount(ts []time.Time, now time.Time, window time.Duration) int {
	return len(chatPrune(ts, now, window))
}

// lockOutLocked locks u out for opts.Lockout and closes all its sockets
// with a close frame (code 1008). s.mu must be held.
func (s *ChatServer) lockOutLocked(u *chatUser, now time.Time) {
	u.lockedUntil = now.Add(s.opts.Lockout)
	s.lockedOut = true
	s.log.Warn("picartotest: chat limit exceeded; locking out", "user", u.login, "for", s.opts.Lockout)
	for _, c := range s.conns {
		if c.user == u {
			c.closeWith(websocket.ClosePolicyViolation, "too many messages: locked out")
		}
	}
}

// SetUnresponsive makes the server keep every socket open but answer
// nothing a client sends (no PONG, no echo), like a hung server.
func (s *ChatServer) SetUnresponsive(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.hang = on
}

// LockedOut reports whether any client ever exceeded a limit and was
// locked out.
func (s *ChatServer) LockedOut() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.lockedOut
}

// Unlock lifts every current lockout (LockedOut keeps reporting history).
func (s *ChatServer) Unlock() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, u := range s.bots {
		u.lockedUntil, u.msgs, u.whispers = time.Time{}, nil, nil
	}
	for _, u := range s.viewers {
		u.lockedUntil, u.msgs, u.whispers = time.Time{}, nil, nil
	}
}

// Sent returns the texts of accepted `chat` frames, in arrival order.
func (s *ChatServer) Sent() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.sent...)
}

// Frames returns every frame clients sent, refused ones included.
func (s *ChatServer) Frames() []ChatFrame {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]ChatFrame(nil), s.frames...)
}

// MaxInWindow returns the most accepted chat/command frames seen in any
// window of length d (measured at the server, across all users).
func (s *ChatServer) MaxInWindow(d time.Duration) int {
	var ts []time.Time
	for _, f := range s.Frames() {
		if !f.Dropped && (f.Type == "chat" || chatModCommands[f.Type]) {
			ts = append(ts, f.At)
		}
	}
	best := 0
	for i := range ts {
		n := 0
		for j := i; j < len(ts) && ts[j].Sub(ts[i]) < d; j++ {
			n++
		}
		best = max(best, n)
	}
	return best
}

// UserAgents returns the User-Agent of every websocket dial, in order.
func (s *ChatServer) UserAgents() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.userAgents...)
}

// Connections returns how many websocket connections were accepted so far
// (authenticated or not; refused 429 dials are not counted).
func (s *ChatServer) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.connections
}

// Pongs returns how many websocket pongs clients sent.
func (s *ChatServer) Pongs() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pongs
}

// Refused returns how many dials were refused with HTTP 429 (lockout).
func (s *ChatServer) Refused() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.refused
}

// Active returns how many connections are open and past authentication.
func (s *ChatServer) Active() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.conns)
}

// broadcast writes render(conn) to every registered connection except
// silent ones; a nil render result skips that connection.
func (s *ChatServer) broadcast(render func(*chatConn) any) {
	for _, c := range s.snapshot() {
		if c.silent {
			continue
		}
		if v := render(c); v != nil {
			if b, ok := v.([]byte); ok {
				_ = c.writeRaw(b)
			} else {
				_ = c.write(v)
			}
		}
	}
}

func (s *ChatServer) pinger(c *chatConn, done <-chan struct{}) {
	t := time.NewTicker(s.opts.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			if c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(5*time.Second)) != nil {
				return
			}
		}
	}
}

func (c *chatConn) write(v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return c.writeRaw(b)
}

func (c *chatConn) writeRaw(b []byte) error {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteMessage(websocket.TextMessage, b)
}

func (c *chatConn) closeWith(code int, text string) {
	msg := websocket.FormatCloseMessage(code, text)
	_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	c.ws.Close()
}

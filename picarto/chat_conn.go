package picarto

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"
)

// chatSession is one authenticated connection as Send sees it: the writer's
// queue and a channel closed when the connection is going away.
type chatSession struct {
	conn *websocket.Conn
	self string // lower-case bot login, to mark its own lines
	out  chan chatOutFrame
	done chan struct{}
}

// chatOutFrame is a text frame for the writer; errc (buffered) gets the
// write's result.
type chatOutFrame struct {
	data []byte
	errc chan error
}

// chatPing is the protocol keepalive the site client sends (API spec §6.4).
var chatPing = []byte(`{"type":"ping","message":"__ping__"}`)

// runOnce dials, authenticates, runs one reader and one writer until either
// fails or ctx ends, and tears the connection down. authed tells Run whether
// the session got past authentication.
func (c *Chat) runOnce(ctx context.Context) (authed bool, err error) {
	user, tok := c.creds()
	conn, err := c.dial(ctx, user, tok.Reveal())
	if err != nil {
		return false, err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() }) // unblocks the handshake read
	err = c.authenticate(conn, user)
	if !stop() || ctx.Err() != nil {
		return false, ctx.Err()
	}
	if err != nil {
		return false, err
	}

	s := &chatSession{conn: conn, self: strings.ToLower(user), out: make(chan chatOutFrame), done: make(chan struct{})}
	c.setSession(s)
	c.log.Info("picarto chat connected", "user", user)
	if c.cfg.OnConnect != nil {
		c.cfg.OnConnect()
	}
	readErr, writeErr := make(chan error, 1), make(chan error, 1)
	var wg conc.WaitGroup
	wg.Go(func() { readErr <- c.readLoop(conn, s) })
	wg.Go(func() { writeErr <- c.writeLoop(conn, s) })

	graceful := false
	select {
	case err = <-readErr:
	case err = <-writeErr:
	case <-ctx.Done():
		graceful = true
	}
	c.setSession(nil)
	close(s.done) // the writer sends a close frame (if it still can) and exits
	if graceful {
		<-writeErr // bounded by WriteTimeout
		t := time.NewTimer(time.Second)
		select { // give the server a moment to answer the close
		case <-readErr:
		case <-t.C:
		}
		t.Stop()
	}
	conn.Close()
	wg.Wait()
	return true, err
}

func (c *Chat) dial(ctx context.Context, user, token string) (*websocket.Conn, error) {
	h := http.Header{}
	h.Set("User-Agent", "PTV-BOT-"+user)
	dctx, cancel := context.WithTimeout(ctx, c.cfg.AuthTimeout)
	defer cancel()
	conn, resp, err := c.dialer.DialContext(dctx, c.dialURL(user, token), h)
	if resp != nil && resp.Body != nil {
		resp.Body.Close()
	}
	if err != nil {
		if resp != nil {
			// e.g. 429 from a server that refuses a locked-out bot; transient
			hint := ""
			if resp.StatusCode == http.StatusTooManyRequests {
				hint = "; Picarto may have locked the bot out of chat (more than 20 messages in 30 s)"
			}
			return nil, fmt.Errorf("picarto: chat dial %s: %w (HTTP %s%s)", c.dialURL(user, "REDACTED"), c.scrub(err), resp.Status, hint)
		}
		return nil, fmt.Errorf("picarto: chat dial %s: %w", c.dialURL(user, "REDACTED"), c.scrub(err))
	}
	conn.SetReadLimit(chatReadLimit)
	conn.SetPingHandler(func(data string) error {
		// any traffic proves the link alive; answer like the default handler
		_ = conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
		err := conn.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(c.cfg.WriteTimeout))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			return err
		}
		return nil
	})
	conn.SetPongHandler(func(string) error {
		return conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
	})
	return conn, nil
}

// authenticate reads until the server's verdict (API spec §6.1) on the
// dialing goroutine, which is still the connection's only reader and writer.
// Events that arrive first are emitted as usual.
func (c *Chat) authenticate(conn *websocket.Conn, user string) error {
	_ = conn.SetReadDeadline(time.Now().Add(c.cfg.AuthTimeout))
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("picarto: chat: waiting for authentication: %w", c.scrub(err))
		}
		evs, err := DecodeChatFrame(b)
		if err != nil {
			c.log.Debug("picarto chat: undecodable frame before authentication", "bytes", len(b))
			continue
		}
		for _, ev := range evs {
			st, ok := ev.(ChatStatus)
			if !ok {
				c.dispatch(ev, strings.ToLower(user))
				continue
			}
			switch {
			case st.Type == "authentication" && st.Success:
				_ = conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
				return nil
			case !st.Success:
				// Raffelizer: any success:false before auth is a refusal
				return fmt.Errorf("picarto: chat: authentication failed for user %q%s: %w",
					user, chatCodeText(st.Code), ErrChatAuth)
			}
		}
	}
}

// readLoop is the connection's only reader. It decodes and dispatches, and
// never blocks on a consumer; each frame pushes the read deadline forward.
func (c *Chat) readLoop(conn *websocket.Conn, s *chatSession) error {
	for {
		_, b, err := conn.ReadMessage()
		if err != nil {
			return fmt.Errorf("picarto: chat read: %w", c.scrub(err))
		}
		_ = conn.SetReadDeadline(time.Now().Add(c.cfg.ReadTimeout))
		evs, err := DecodeChatFrame(b)
		if err != nil {
			c.log.Debug("picarto chat: undecodable frame", "bytes", len(b))
			continue
		}
		for _, ev := range evs {
			if st, ok := ev.(ChatStatus); ok {
				if err := c.status(st, s); err != nil {
					return err
				}
				continue
			}
			c.dispatch(ev, s.self)
		}
	}
}

// status handles a protocol reply after authentication.
func (c *Chat) status(st ChatStatus, s *chatSession) error {
	switch {
	case st.Success:
		c.log.Debug("picarto chat status", "type", st.Type, "code", st.Code)
	case st.Type == "authentication" || st.Code == "JWT_TOKEN":
		return fmt.Errorf("picarto: chat: token refused for user %q%s: %w", s.self, chatCodeText(st.Code), ErrChatAuth)
	default:
		c.log.Warn("picarto chat refused a command", "code", st.Code)
	}
	return nil
}

// dispatch marks the bot's own lines (self: lower-case login) and emits.
func (c *Chat) dispatch(ev ChatEvent, self string) {
	switch e := ev.(type) {
	case ChatMessage:
		e.Self = self != "" && e.UserName == self
		ev = e
	case ChatTip:
		e.Self = self != "" && e.UserName == self
		ev = e
	}
	c.emit(ev)
}

func chatCodeText(code string) string {
	if code == "" {
		return ""
	}
	return " (code " + code + ")"
}

// writeLoop is the connection's only writer: queued frames and the
// protocol ping, each under a write deadline; a close frame on the way out.
func (c *Chat) writeLoop(conn *websocket.Conn, s *chatSession) error {
	ping := time.NewTicker(c.cfg.PingInterval)
	defer ping.Stop()
	write := func(data []byte) error {
		_ = conn.SetWriteDeadline(time.Now().Add(c.cfg.WriteTimeout))
		if err := conn.WriteMessage(websocket.TextMessage, data); err != nil {
			return fmt.Errorf("picarto: chat write: %w", c.scrub(err))
		}
		return nil
	}
	for {
		select {
		case f := <-s.out:
			err := write(f.data)
			f.errc <- err
			if err != nil {
				return err
			}
		case <-ping.C:
			if err := write(chatPing); err != nil {
				return err
			}
		case <-s.done:
			msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
			_ = conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(c.cfg.WriteTimeout))
			return nil
		}
	}
}

package sbtest

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net"
	"sync"
	"time"

	"github.com/google/uuid"
	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"
)

// outFrame is a queued frame: written not before at; close ends the
// connection after the frame.
type outFrame struct {
	data  []byte
	at    time.Time
	close bool
}

type heldReply struct {
	c    *conn
	data []byte
}

// conn is one client socket: the handler goroutine reads, one writer
// goroutine (wg) writes. The fields after wg are guarded by Server.mu
// (password, salt and challenge are set before the first frame, then only
// read).
type conn struct {
	srv  *Server
	id   int
	ws   *websocket.Conn
	out  chan outFrame
	done chan struct{}
	once sync.Once
	wg   conc.WaitGroup

	password, salt, challenge string
	enforce, authed           bool
	dead                      bool                  // auth failed: ignore further frames
	frozen                    bool                  // SetUnresponsive
	subs                      map[string]*subSource // by lower-case source
	heldEvents                [][]byte              // Custom.Event responses awaiting a subscription
}

func newConn(s *Server, id int, ws *websocket.Conn) *conn {
	return &conn{srv: s, id: id, ws: ws, out: make(chan outFrame, 1024),
		done: make(chan struct{}), subs: map[string]*subSource{}}
}

func (c *conn) kill() {
	c.once.Do(func() {
		close(c.done)
		c.ws.Close()
	})
}

// send queues a frame; a client too slow to drain 1024 frames is dropped.
func (c *conn) send(f outFrame) {
	select {
	case c.out <- f:
	case <-c.done:
	default:
		c.srv.log.Warn("client not reading; dropping connection", "conn", c.id)
		c.kill()
	}
}

func (c *conn) serve() {
	defer func() {
		c.kill()
		c.wg.Wait()
	}()
	c.wg.Go(c.writeLoop)
	c.ws.SetReadLimit(16 << 20)
	c.ws.SetPingHandler(func(data string) error {
		if c.isFrozen() {
			return nil
		}
		err := c.ws.WriteControl(websocket.PongMessage, []byte(data), time.Now().Add(time.Second))
		if err != nil && !errors.Is(err, websocket.ErrCloseSent) {
			var ne net.Error
			if !errors.As(err, &ne) || !ne.Timeout() {
				return err
			}
		}
		return nil
	})
	if c.enforce {
		_ = c.ws.SetReadDeadline(time.Now().Add(c.srv.opts.AuthTimeout))
	}
	c.send(outFrame{data: c.srv.helloFrame(c)})
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		if typ == websocket.TextMessage {
			c.srv.handle(c, data)
		}
	}
}

func (c *conn) writeLoop() {
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		var f outFrame
		select {
		case f = <-c.out:
		case <-c.done:
			return
		}
		if wait := time.Until(f.at); wait > 0 {
			timer.Reset(wait)
			select {
			case <-timer.C:
			case <-c.done:
				return
			}
		}
		_ = c.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
		if f.data != nil {
			c.ws.EnableWriteCompression(len(f.data) >= 512) // deflating tiny frames only costs CPU
			if err := c.ws.WriteMessage(websocket.TextMessage, f.data); err != nil {
				c.kill()
				return
			}
		}
		if f.close {
			msg := websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "")
			_ = c.ws.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
			c.kill()
			return
		}
	}
}

type subSource struct {
	name  string            // as first subscribed
	types map[string]string // lower-case -> as subscribed
}

func authentication(password, salt, challenge string) string {
	h := sha256.Sum256([]byte(password + salt))
	secret := base64.StdEncoding.EncodeToString(h[:])
	h2 := sha256.Sum256([]byte(secret + challenge))
	return base64.StdEncoding.EncodeToString(h2[:])
}

func randomB64() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	return base64.StdEncoding.EncodeToString(b)
}

func (s *Server) info() map[string]any {
	return map[string]any{"instanceId": s.instanceID, "name": "Streamer.bot", "version": s.opts.Version,
		"os": "windows", "osVersion": "10.0.22631.0", "mode": "ui", "darkMode": true, "source": "websocketServer"}
}

// helloFrame builds Hello (spec §1.2); authentication only with a password.
func (s *Server) helloFrame(c *conn) []byte {
	m := map[string]any{"timestamp": netTime(time.Now()), "session": uuid.NewString(),
		"request": "Hello", "info": s.info()}
	if c.password != "" {
		c.salt, c.challenge = randomB64(), randomB64()
		m["authentication"] = map[string]string{"salt": c.salt, "challenge": c.challenge}
	}
	b, _ := json.Marshal(m)
	return b
}

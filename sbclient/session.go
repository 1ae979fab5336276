package sbclient

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"
)

// compressMin: frames shorter than this are sent uncompressed (deflate costs
// more than it saves on a small loopback frame).
const compressMin = 512

var errSessionEnded = errors.New("session ended")

// reply is a response frame routed to the waiting request.
type reply struct {
	raw    json.RawMessage
	status string
	errMsg string
}

// session is one WebSocket connection: exactly one reader (readLoop) and one
// writer (writeLoop) goroutine, both owned by wg. Requests register in
// pending before their frame is queued and remove themselves on every path.
type session struct {
	c    *Client
	conn *websocket.Conn
	log  *slog.Logger

	out   chan []byte   // frames for the writer
	hello chan []byte   // the Hello frame, for the handshake
	done  chan struct{} // closed when the session ends
	once  sync.Once
	err   error // why it ended; read only after done is closed

	mu      sync.Mutex
	pending map[string]chan reply

	ready    atomic.Bool  // handshake done: idle probes allowed
	lastRecv atomic.Int64 // unix nanos of the last frame or pong
	wg       conc.WaitGroup
}

func newSession(c *Client, conn *websocket.Conn) *session {
	s := &session{
		c: c, conn: conn, log: c.log,
		out:     make(chan []byte, 64),
		hello:   make(chan []byte, 1),
		done:    make(chan struct{}),
		pending: map[string]chan reply{},
	}
	s.lastRecv.Store(time.Now().UnixNano())
	return s
}

// close ends the session (idempotent): the socket is closed, so both loops
// return and every waiting request fails with ErrDisconnected.
func (s *session) close(err error) {
	s.once.Do(func() {
		s.err = err
		close(s.done)
		s.conn.Close()
	})
}

// closeGracefully sends a normal close frame first (Streamer.bot sees a clean
// disconnect), then closes.
func (s *session) closeGracefully() {
	msg := websocket.FormatCloseMessage(websocket.CloseNormalClosure, "")
	_ = s.conn.WriteControl(websocket.CloseMessage, msg, time.Now().Add(time.Second))
	s.close(errSessionEnded)
}

func (s *session) cause() error {
	<-s.done
	return s.err
}

func (s *session) touch() { s.lastRecv.Store(time.Now().UnixNano()) }

// readLoop is the only reader. It never blocks on a consumer: replies go to a
// buffered per-request channel, events to a non-blocking send.
func (s *session) readLoop() {
	pongWait := s.c.cfg.PongWait
	s.conn.SetReadLimit(s.c.cfg.ReadLimit)
	_ = s.conn.SetReadDeadline(time.Now().Add(pongWait))
	s.conn.SetPongHandler(func(string) error {
		s.touch()
		return s.conn.SetReadDeadline(time.Now().Add(pongWait))
	})
	for {
		typ, data, err := s.conn.ReadMessage()
		if err != nil {
			s.close(fmt.Errorf("sbclient: read: %w", err))
			return
		}
		s.touch()
		_ = s.conn.SetReadDeadline(time.Now().Add(pongWait))
		if typ == websocket.TextMessage {
			s.dispatch(data)
		}
	}
}

// dispatch classifies one frame (spec §2.4).
func (s *session) dispatch(data []byte) {
	var env envelope
	if err := json.Unmarshal(data, &env); err != nil {
		var typeErr *json.UnmarshalTypeError
		if !errors.As(err, &typeErr) {
			s.log.Debug("ignoring unparsable frame", "err", err, "len", len(data))
			return
		}
		// A field of an unexpected type: the rest is still usable.
	}
	if env.ID != "" {
		s.mu.Lock()
		ch, ok := s.pending[env.ID]
		delete(s.pending, env.ID)
		s.mu.Unlock()
		if ok {
			ch <- reply{raw: data, status: env.Status, errMsg: env.Error} // buffered 1, never blocks
			return
		}
	}
	if env.Event != nil && env.Event.Source != "" && env.Event.Type != "" {
		s.c.deliver(Event{Source: env.Event.Source, Type: env.Event.Type,
			TimeStamp: parseTime(env.TimeStamp), Data: env.Data})
		return
	}
	if env.Request == "Hello" {
		select {
		case s.hello <- data:
		default:
		}
		return
	}
	s.log.Debug("ignoring unmatched frame", "id", env.ID, "len", len(data))
}

// writeLoop is the only writer: request frames, pings, and an idle GetInfo
// probe (in case a server ignores WebSocket pings, its reply still proves the
// link alive). Every write has a deadline.
func (s *session) writeLoop() {
	cfg := &s.c.cfg
	ticker := time.NewTicker(cfg.PingInterval)
	defer ticker.Stop()
	for {
		select {
		case <-s.done:
			return
		case b := <-s.out:
			_ = s.conn.SetWriteDeadline(time.Now().Add(cfg.WriteTimeout))
			s.conn.EnableWriteCompression(len(b) >= compressMin)
			if err := s.conn.WriteMessage(websocket.TextMessage, b); err != nil {
				s.close(fmt.Errorf("sbclient: write: %w", err))
				return
			}
		case now := <-ticker.C:
			_ = s.conn.SetWriteDeadline(now.Add(cfg.WriteTimeout))
			if err := s.conn.WriteMessage(websocket.PingMessage, nil); err != nil {
				s.close(fmt.Errorf("sbclient: ping: %w", err))
				return
			}
			idle := now.Sub(time.Unix(0, s.lastRecv.Load()))
			if s.ready.Load() && idle >= cfg.PingInterval {
				id := "sbclient:probe:" + strconv.FormatUint(s.c.probeSeq.Add(1), 10)
				probe := `{"request":"GetInfo","id":"` + id + `"}`
				if err := s.conn.WriteMessage(websocket.TextMessage, []byte(probe)); err != nil {
					s.close(fmt.Errorf("sbclient: probe: %w", err))
					return
				}
			}
		}
	}
}

var timerPool = sync.Pool{New: func() any {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return t
}}

// roundTrip sends one request frame and waits for its reply, the request
// timeout, ctx, or the end of the session.
func (s *session) roundTrip(ctx context.Context, request, id string, frame []byte) (json.RawMessage, error) {
	ch := make(chan reply, 1)
	s.mu.Lock()
	s.pending[id] = ch
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.pending, id)
		s.mu.Unlock()
	}()

	timer := timerPool.Get().(*time.Timer)
	timer.Reset(s.c.cfg.RequestTimeout)
	defer func() {
		timer.Stop() // since Go 1.23 a stopped timer's channel holds no stale value
		timerPool.Put(timer)
	}()

	select {
	case s.out <- frame:
	case <-s.done:
		return nil, fmt.Errorf("sbclient: %s: %w", request, ErrDisconnected)
	case <-ctx.Done():
		return nil, fmt.Errorf("sbclient: %s: %w", request, ctx.Err())
	case <-timer.C:
		return nil, fmt.Errorf("sbclient: %s: %w", request, ErrTimeout)
	}
	var r reply
	select {
	case r = <-ch:
	case <-s.done:
		select {
		case r = <-ch: // arrived just before the drop
		default:
			return nil, fmt.Errorf("sbclient: %s: %w", request, ErrDisconnected)
		}
	case <-ctx.Done():
		return nil, fmt.Errorf("sbclient: %s: %w", request, ctx.Err())
	case <-timer.C:
		return nil, fmt.Errorf("sbclient: %s: %w", request, ErrTimeout)
	}
	if r.status != "ok" {
		return r.raw, &RequestError{Request: request, ID: id, Message: r.errMsg}
	}
	return r.raw, nil
}

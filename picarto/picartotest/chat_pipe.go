package picartotest

import (
	"context"
	"io"
	"net"
	"os"
	"sync"
	"time"
)

// chatPipeListener is the in-memory listener of an InMemory ChatServer:
// DialContext hands it one end of a buffered in-memory connection.
// Everything here blocks on channels, so a whole client/server pair can
// run inside a testing/synctest bubble with a fake clock.
type chatPipeListener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newChatPipeListener() *chatPipeListener {
	return &chatPipeListener{conns: make(chan net.Conn), done: make(chan struct{})}
}

func (l *chatPipeListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *chatPipeListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return nil
}

func (l *chatPipeListener) Addr() net.Addr { return chatPipeAddr{} }

type chatPipeAddr struct{}

func (chatPipeAddr) Network() string { return "pipe" }
func (chatPipeAddr) String() string  { return "chat.pipe" }

// DialContext connects to the server; use it as websocket.Dialer's
// NetDialContext. For an InMemory server it is the only way in; otherwise
// it dials the TCP listener, whatever addr says.
func (s *ChatServer) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	l, ok := s.ln.(*chatPipeListener)
	if !ok {
		var d net.Dialer
		return d.DialContext(ctx, "tcp", s.ln.Addr().String())
	}
	a, b := newChatBuf(), newChatBuf()
	cli, srv := newChatMemConn(a, b), newChatMemConn(b, a)
	select {
	case l.conns <- srv:
		return cli, nil
	case <-l.done:
		return nil, net.ErrClosed
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// chatBuf is one direction of an in-memory connection. Unlike net.Pipe,
// writes never wait for the reader (like a TCP socket's buffer), so two
// peers that write to each other at once cannot deadlock.
type chatBuf struct {
	mu     sync.Mutex
	data   []byte
	closed bool
	ready  chan struct{} // a token after each write or close
}

func newChatBuf() *chatBuf { return &chatBuf{ready: make(chan struct{}, 1)} }

func (b *chatBuf) signal() {
	select {
	case b.ready <- struct{}{}:
	default:
	}
}

func (b *chatBuf) close() {
	b.mu.Lock()
	b.closed = true
	b.mu.Unlock()
	b.signal()
}

// chatMemConn reads from r and writes to w.
type chatMemConn struct {
	r, w     *chatBuf
	deadline chatDeadline
	mu       sync.Mutex
	closed   bool
}

func newChatMemConn(r, w *chatBuf) *chatMemConn {
	return &chatMemConn{r: r, w: w, deadline: chatDeadline{cancel: make(chan struct{})}}
}

func (c *chatMemConn) Read(p []byte) (int, error) {
	for {
		c.mu.Lock()
		closed := c.closed
		c.mu.Unlock()
		if closed {
			return 0, net.ErrClosed
		}
		c.r.mu.Lock()
		if len(c.r.data) > 0 {
			n := copy(p, c.r.data)
			c.r.data = c.r.data[n:]
			c.r.mu.Unlock()
			return n, nil
		}
		eof := c.r.closed
		c.r.mu.Unlock()
		if eof {
			return 0, io.EOF
		}
		select {
		case <-c.r.ready:
		case <-c.deadline.wait():
			return 0, os.ErrDeadlineExceeded
		}
	}
}

func (c *chatMemConn) Write(p []byte) (int, error) {
	c.w.mu.Lock()
	defer c.w.signal()
	defer c.w.mu.Unlock()
	if c.w.closed {
		return 0, io.ErrClosedPipe
	}
	c.w.data = append(c.w.data, p...)
	return len(p), nil
}

func (c *chatMemConn) Close() error {
	c.mu.Lock()
	c.closed = true
	c.mu.Unlock()
	c.w.close()
	c.r.close()
	return nil
}

func (c *chatMemConn) LocalAddr() net.Addr  { return chatPipeAddr{} }
func (c *chatMemConn) RemoteAddr() net.Addr { return chatPipeAddr{} }

func (c *chatMemConn) SetDeadline(t time.Time) error     { return c.SetReadDeadline(t) }
func (c *chatMemConn) SetReadDeadline(t time.Time) error { c.deadline.set(t); return nil }
func (c *chatMemConn) SetWriteDeadline(time.Time) error  { return nil } // writes never block

// chatDeadline is a read deadline: cancel is closed once it passes.
type chatDeadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{}
}

func (d *chatDeadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: wait until it closed cancel
	}
	d.timer = nil
	closed := false
	select {
	case <-d.cancel:
		closed = true
	default:
	}
	if closed {
		d.cancel = make(chan struct{})
	}
	if t.IsZero() {
		return
	}
	if dur := time.Until(t); dur > 0 {
		ch := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(ch) })
		return
	}
	close(d.cancel)
}

func (d *chatDeadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.cancel
}

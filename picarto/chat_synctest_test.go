package picarto_test

import (
	"context"
	"strconv"
	"testing"
	"testing/synctest"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

// chatBubble runs Chat against an in-memory fake inside a synctest bubble,
// with Picarto's real numbers on both sides: 20 per 30 s, a 30 min lockout,
// 50 s protocol pings, 30 s websocket pings, 150 s/180 s dead-socket limits.
func chatBubble(t *testing.T, opts picartotest.ChatOptions, fn func(srv *picartotest.ChatServer, chat *picarto.Chat)) {
	synctest.Test(t, func(t *testing.T) {
		opts.InMemory = true
		srv, err := picartotest.NewChatServer(opts)
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		srv.AddBot(chatTestUser, chatTestToken, 1489462, "Saca")
		connected := make(chan struct{}, 8)
		chat := picarto.NewChat(picarto.ChatConfig{
			URL: srv.URL(), Username: chatTestUser, Token: chatTestToken,
			Dialer:    &websocket.Dialer{NetDialContext: srv.DialContext},
			OnConnect: func() { connected <- struct{}{} },
		})
		ctx, cancel := context.WithCancel(t.Context())
		var wg conc.WaitGroup
		wg.Go(func() {
			if err := chat.Run(ctx); err != nil {
				t.Errorf("Run = %v", err)
			}
		})
		<-connected
		fn(srv, chat)
		cancel()
		wg.Wait()
	})
}

// TestChatSendBurstRealWindow: 100 concurrent Sends with the default
// limiter never trip the fake's real 20-per-30 s lockout, and take the
// four extra windows they must.
func TestChatSendBurstRealWindow(t *testing.T) {
	chatBubble(t, picartotest.ChatOptions{NoEcho: true}, func(srv *picartotest.ChatServer, chat *picarto.Chat) {
		start := time.Now()
		var wg conc.WaitGroup
		for i := range 100 {
			wg.Go(func() {
				if err := chat.Send(context.Background(), "burst "+strconv.Itoa(i)); err != nil {
					t.Errorf("Send: %v", err)
				}
			})
		}
		wg.Wait()
		synctest.Wait() // the fake has read everything
		if el := time.Since(start); el < 4*30*time.Second || el > 4*31*time.Second {
			t.Errorf("100 sends took %v of fake time, want just over 4 windows", el)
		}
		if srv.LockedOut() {
			t.Fatal("the fake locked the bot out")
		}
		if n := len(srv.Sent()); n != 100 {
			t.Errorf("fake received %d messages", n)
		}
		if n := srv.MaxInWindow(30 * time.Second); n != 20 {
			t.Errorf("max %d messages in a 30 s window, want 20", n)
		}
	})
}

// TestChatIdleConnectionStaysUp: ten quiet minutes with the real keepalive
// numbers: nobody's dead-socket deadline fires.
func TestChatIdleConnectionStaysUp(t *testing.T) {
	chatBubble(t, picartotest.ChatOptions{}, func(srv *picartotest.ChatServer, chat *picarto.Chat) {
		time.Sleep(10 * time.Minute) // fake clock
		synctest.Wait()
		if n := srv.Connections(); n != 1 || !chat.Connected() {
			t.Errorf("connections = %d, connected = %v", n, chat.Connected())
		}
		pings := 0
		for _, f := range srv.Frames() {
			if f.Type == "ping" {
				pings++
			}
		}
		if pings != 12 || srv.Pongs() != 20 { // every 50 s and every 30 s
			t.Errorf("%d protocol pings, %d pongs in 10 min", pings, srv.Pongs())
		}
	})
}

// TestChatDeadSocketRealTimeout: a server that stops sending anything (no
// PONG, no pings) is given up after 180 s and redialled about 1 s later.
func TestChatDeadSocketRealTimeout(t *testing.T) {
	chatBubble(t, picartotest.ChatOptions{PingInterval: -1}, func(srv *picartotest.ChatServer, chat *picarto.Chat) {
		srv.SetUnresponsive(true)
		start := time.Now()
		for srv.Connections() < 2 {
			ch := srv.Changed()
			if srv.Connections() >= 2 {
				break
			}
			<-ch
		}
		el := time.Since(start)
		if el < 180*time.Second || el > 182*time.Second {
			t.Errorf("redialled after %v, want 180 s + ~1 s", el)
		}
	})
}

package sbclient

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
	"time"
)

// Everything Streamer.bot sends passes through two decoders: the reader's
// classifier (session.dispatch: a reply to a pending request, an event, the
// Hello, or ignored) and the typed request methods' reply decoders
// (GetGlobals, GetGlobal, GetActions, GetInfo, GetCodeTriggers). Both get
// arbitrary bytes here; seeds in testdata/fuzz run with every `go test`.

// fuzzSession is a session with no socket: frames are handed to dispatch
// directly and request frames are read from out.
func fuzzSession() (*Client, *session) {
	c := New(Config{EventBuffer: 2, RequestTimeout: 5 * time.Second})
	return c, newSession(c, nil)
}

// FuzzDispatchFrame: a frame is routed to at most one place, a routed reply
// is the frame itself, and an event always has its source and type.
func FuzzDispatchFrame(f *testing.F) {
	for _, s := range []string{
		`{"id":"fz-1","status":"ok","variables":{}}`,
		`{"id":"fz-1","status":"error","error":"Action not found"}`,
		`{"timeStamp":"2024-05-01T20:00:00.1234567-05:00","event":{"source":"General","type":"Custom"},"data":{"picartoBridge":"stop"}}`,
		`{"event":{"source":"Misc","type":"GlobalVariableUpdated"},"data":{"name":"picartoInit","oldValue":false,"newValue":true}}`,
		`{"request":"Hello","info":{"instanceId":"x","name":"Streamer.bot","version":"1.0.4","os":"windows"},"authentication":{"salt":"s","challenge":"c"},"timeStamp":"2024-05-01T20:00:00"}`,
		`{"id":5,"status":"ok"}`,
		`{"id":"other","status":"ok"}`,
		`{"event":{"source":"","type":"Custom"}}`,
		`[1,2,3]`,
		`not json`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, s := fuzzSession()
		ch := make(chan reply, 1)
		s.pending["fz-1"] = ch
		s.dispatch(data)
		places := 0
		select {
		case r := <-ch:
			places++
			if !bytes.Equal(r.raw, data) {
				t.Fatalf("routed reply %q is not the frame %q", r.raw, data)
			}
			if _, still := s.pending["fz-1"]; still {
				t.Fatal("a routed reply stayed pending")
			}
		default:
		}
		select {
		case ev := <-c.events:
			places++
			if ev.Source == "" || ev.Type == "" {
				t.Fatalf("event without source or type: %+v", ev)
			}
		default:
		}
		select {
		case raw := <-s.hello:
			places++
			var h hello // what the handshake does with it
			if err := json.Unmarshal(raw, &h); err == nil {
				_ = h.Info.info()
			}
		default:
		}
		if places > 1 {
			t.Fatalf("frame %q routed to %d places", data, places)
		}
	})
}

// FuzzReplyDecode: each typed request decodes an arbitrary "ok" reply
// without panicking, and GetGlobals keys every global by its own name.
func FuzzReplyDecode(f *testing.F) {
	for _, s := range []string{
		`{"id":"x","status":"ok","variables":{"picartoPort":{"name":"picartoPort","value":9005,"lastWrite":"2024-05-01T20:00:00.1234567-05:00"}},"count":1}`,
		`{"status":"ok","variables":[{"name":"a","value":"True"},{"name":"a","value":false}]}`,
		`{"status":"ok","variable":{"name":"x","value":null}}`,
		`{"status":"ok","variables":{"":{"value":1},"k":{"name":"other"}}}`,
		`{"status":"ok","actions":[{"id":"1","name":"Process Picarto Follow","group":"Picarto","enabled":true,"subaction_count":2,"trigger_count":"x"}]}`,
		`{"status":"ok","info":{"instanceId":"i","version":"0.2.5"}}`,
		`{"status":"ok","triggers":[{"name":"Follow","eventName":"picartoFollow","category":"Picarto"}],"count":1}`,
		`{"status":"ok","variables":"nope"}`,
		`{"status":"ok","variables":null}`,
		`{}`,
	} {
		for sel := range byte(6) {
			f.Add(sel, []byte(s))
		}
	}
	f.Fuzz(func(t *testing.T, sel byte, data []byte) {
		c, s := fuzzSession()
		c.sess.Store(s)
		ctx := context.Background()
		done := make(chan func(), 1) // the request goroutine's checks, run here
		go func() {
			switch sel % 6 {
			case 0:
				g, err := c.GetGlobals(ctx, true)
				done <- func() {
					for k, v := range g {
						if err == nil && k != v.Name {
							t.Fatalf("GetGlobals keyed %q under %q", v.Name, k)
						}
					}
				}
			case 1:
				_, _ = c.GetGlobal(ctx, "x", false)
				done <- func() {}
			case 2:
				_, _ = c.GetActions(ctx)
				done <- func() {}
			case 3:
				_, _ = c.GetInfo(ctx)
				done <- func() {}
			case 4:
				_, _ = c.GetCodeTriggers(ctx)
				done <- func() {}
			default:
				_, _ = c.Do(ctx, "GetEvents", nil)
				done <- func() {}
			}
		}()
		frame := <-s.out
		var req struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(frame, &req); err != nil || req.ID == "" {
			t.Fatalf("request frame %q: %v", frame, err)
		}
		s.mu.Lock()
		ch := s.pending[req.ID]
		s.mu.Unlock()
		ch <- reply{raw: data, status: "ok"}
		(<-done)()
	})
}

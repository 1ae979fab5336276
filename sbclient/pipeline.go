package sbclient

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"

	"github.com/picarto-bridge/picarto-bridge/internal/jsonstr"
)

// Call is one request of a pipelined batch: a DoAction, or an
// ExecuteCodeTrigger when Trigger is set. Args is a pre-encoded JSON object
// (nil: none).
type Call struct {
	Action  ActionRef
	Trigger string
	Args    json.RawMessage
}

// Pipeline sends the calls on the current connection in order, without
// waiting for each reply before the next (Streamer.bot answers each in turn),
// then waits for every reply. errs[i] is the result of calls[i], as DoAction
// or ExecuteCodeTrigger would return it. Calls that could not be sent fail
// with ErrNotConnected or ErrDisconnected. Delivery of many events thus costs
// one round trip per batch instead of one per event.
func (c *Client) Pipeline(ctx context.Context, calls []Call) []error {
	errs := make([]error, len(calls))
	s := c.sess.Load()
	if s == nil {
		for i := range errs {
			errs[i] = fmt.Errorf("sbclient: %s: %w", calls[i].request(), ErrNotConnected)
		}
		return errs
	}
	ids := make([]string, len(calls))
	chans := make([]chan reply, len(calls))
	frames := make([][]byte, len(calls))
	for i, call := range calls {
		if err := call.check(); err != nil {
			errs[i] = err
			continue
		}
		ids[i] = uuid.NewString()
		chans[i] = make(chan reply, 1)
		frames[i] = call.frame(ids[i])
	}
	s.mu.Lock()
	for i, id := range ids {
		if id != "" {
			s.pending[id] = chans[i]
		}
	}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		for _, id := range ids {
			delete(s.pending, id)
		}
		s.mu.Unlock()
	}()

	timer := timerPool.Get().(*time.Timer)
	timer.Reset(s.c.cfg.RequestTimeout)
	defer func() {
		timer.Stop()
		timerPool.Put(timer)
	}()

	sent := len(calls)
send:
	for i, f := range frames {
		if f == nil {
			continue
		}
		select {
		case s.out <- f:
		case <-s.done:
			sent = i
			break send
		case <-ctx.Done():
			sent = i
			break send
		case <-timer.C:
			sent = i
			break send
		}
	}
	for i := range calls {
		if errs[i] != nil {
			continue
		}
		req := calls[i].request()
		if i >= sent {
			errs[i] = fmt.Errorf("sbclient: %s: %w", req, s.failure(ctx))
			continue
		}
		var r reply
		select {
		case r = <-chans[i]:
		case <-s.done:
			select {
			case r = <-chans[i]:
			default:
				errs[i] = fmt.Errorf("sbclient: %s: %w", req, ErrDisconnected)
				continue
			}
		case <-ctx.Done():
			errs[i] = fmt.Errorf("sbclient: %s: %w", req, ctx.Err())
			continue
		case <-timer.C:
			errs[i] = fmt.Errorf("sbclient: %s: %w", req, ErrTimeout)
			timer.Reset(0) // every later unanswered call times out too
			continue
		}
		if r.status != "ok" {
			errs[i] = &RequestError{Request: req, ID: ids[i], Message: r.errMsg}
		}
	}
	return errs
}

// failure is the error for a call not sent: the session ended, ctx ended, or
// the request timeout passed while the writer was busy.
func (s *session) failure(ctx context.Context) error {
	select {
	case <-s.done:
		return ErrDisconnected
	default:
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	return ErrTimeout
}

func (c Call) request() string {
	if c.Trigger != "" {
		return "ExecuteCodeTrigger"
	}
	return "DoAction"
}

func (c Call) check() error {
	if c.Trigger == "" && c.Action.ID == "" && c.Action.Name == "" {
		return errNoAction
	}
	if err := checkArgs(c.Args); err != nil {
		return fmt.Errorf("sbclient: %s: %w", c.request(), err)
	}
	return nil
}

func (c Call) frame(id string) []byte {
	b := make([]byte, 0, 96+len(c.Args))
	b = append(b, `{"request":"`...)
	b = append(b, c.request()...)
	b = append(b, `","id":"`...)
	b = append(b, id...)
	b = append(b, '"')
	if c.Trigger != "" {
		b = append(b, `,"triggerName":`...)
		b = jsonstr.Append(b, c.Trigger)
	} else {
		b = appendActionRef(b, c.Action)
	}
	if len(c.Args) > 0 {
		b = append(b, `,"args":`...)
		b = append(b, c.Args...)
	}
	return append(b, '}')
}

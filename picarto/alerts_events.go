package picarto

import (
	"time"
)

// AlertKind names what an alert-box frame announced.
type AlertKind string

// The kinds of alert the widget socket carries (spec picarto-alerts.md §5.1).
const (
	AlertKindFollow       AlertKind = "follow"
	AlertKindSubscription AlertKind = "subscribe"
	AlertKindTip          AlertKind = "tip"
	AlertKindUnknown      AlertKind = "unknown"
)

// AlertEvent is one alert decoded from a widget-socket frame: an AlertFollow,
// AlertSubscription, AlertTip or AlertUnknown (all value types; use a type
// switch).
type AlertEvent interface {
	// Base returns the fields every alert has.
	Base() AlertBase
	alertEvent()
}

// AlertBase holds what every alert carries. Fields the frame did not have
// are left empty; Missing lists the ones the decoder expected but did not
// find, so a capture shows where the guessed schema (spec §5.3) is wrong.
type AlertBase struct {
	// Kind is what the alert is.
	Kind AlertKind
	// ID is stable for the same alert: the frame's own id when it has one,
	// else a hash of kind, lower-cased user, amounts and the alert's time to
	// the second. It is the dedup key.
	ID string
	// User is the name as the frame spelt it (display name).
	User string
	// UserName is User trimmed and lower-cased (the login, for dedup).
	UserName string
	// UserID and Avatar are filled when the frame has them (no known frame
	// does, spec §5.1).
	UserID, Avatar string
	// Channel is the receiving channel, when the frame names it.
	Channel string
	// Time is the frame's time, or the receipt time when it has none
	// (TimeFromFrame false).
	Time          time.Time
	TimeFromFrame bool
	// IsTest is true for Picarto's test alerts (user exactly "SYSTEM", spec
	// §6) and for frames with an explicit test flag.
	IsTest bool
	// Type is the frame's type code as sent ("nf", "follow", ...).
	Type string
	// Missing names expected fields the frame lacked ("user", "price", ...).
	Missing []string
	// Raw is the whole frame as received (tokens scrubbed), shared by every
	// alert of a batch frame; treat it as read-only.
	Raw []byte
}

// Base implements AlertEvent.
func (b AlertBase) Base() AlertBase { return b }

func (AlertBase) alertEvent() {}

// AlertFollow is a new follower.
type AlertFollow struct {
	AlertBase
}

// AlertSubscription is a subscription or a bundle of gifted subscriptions.
// Picarto's frames carry a total price, not a tier: Tier and Months are
// derived from the unit price with spec §7's table (AlertSubTier), unless
// the frame states them.
type AlertSubscription struct {
	AlertBase
	// PriceCents is the total price in US cents (a gift bundle carries the
	// sum); 0 when the frame had no price. PriceRaw is the amount as sent.
	PriceCents int
	PriceRaw   string
	// Quantity is the number of subscriptions (gifts in a bundle), at least 1.
	Quantity int
	// Gift is true for gifted subscriptions; User is then the gifter.
	Gift bool
	// Anonymous is true when the frame says the gift is anonymous.
	Anonymous bool
	// Recipients are the gift recipients, when the frame lists them.
	Recipients []string
	// Tier is "tier 1", "tier 2" or "tier 3" (Twitch's spelling, contract
	// §4); empty when unknown.
	Tier string
	// Months is the length of each subscription in months (0 when unknown);
	// the months credited are Months*Quantity.
	Months int
	// Unmapped is true when a price was given but fits no row of the table,
	// so Tier and Months are a best guess.
	Unmapped bool
}

// AlertTip is a Kudos tip.
type AlertTip struct {
	AlertBase
	// Amount is in whole Kudos (1 Kudo is 1 US cent to the streamer).
	Amount int
	// Message is the tipper's message, when the frame has one.
	Message string
}

// AlertUnknown is a frame, or part of a batch frame, that the decoder did not
// recognise, kept verbatim (Raw) for later re-mapping. Reason says why.
type AlertUnknown struct {
	AlertBase
	Reason string
}

// AlertSubTier maps a subscription price to its tier and months with the
// table of spec §7: the unit price is totalCents/quantity; 999 is tier 2 and
// 1499 tier 3 (one month each); anything else is tier 1 with
// months = round(unit/499), at least 1. mapped is false when the unit price
// is more than 2 cents away from that row, or when there is no price.
func AlertSubTier(totalCents, quantity int) (tier string, months int, mapped bool) {
	q := max(quantity, 1)
	if totalCents <= 0 {
		return "", 0, false
	}
	unit := (totalCents + q/2) / q
	switch unit {
	case 999:
		return "tier 2", 1, true
	case 1499:
		return "tier 3", 1, true
	}
	months = max(1, (unit+249)/499)
	diff := unit - months*499
	return "tier 1", months, diff >= -2 && diff <= 2
}

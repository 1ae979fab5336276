// Package actions is the contract (shared/contract.md) as code: the names of
// the Streamer.bot actions, custom code triggers and global variables the
// bridge uses, and the arguments it passes. Everything here is pure: no I/O,
// no clock, no randomness. If a user-visible name changes, it changes here.
package actions

// Kind is the kind of a Picarto event, as the picartoEvent argument spells it.
type Kind string

// The event kinds of contract section 4. The first eight are also Picarto's
// webhook types.
const (
	KindFollow      Kind = "follow"
	KindUnfollow    Kind = "unfollow"
	KindSubscribe   Kind = "subscribe"
	KindUnsubscribe Kind = "unsubscribe"
	KindOnline      Kind = "online"
	KindOffline     Kind = "offline"
	KindEventStart  Kind = "event_start"
	KindEventEnd    Kind = "event_end"
	KindChat        Kind = "chat"
	KindRaid        Kind = "raid"
	KindTip         Kind = "tip"
)

// TriggerCategory is the category under which the custom code triggers
// appear in Streamer.bot's trigger menu ("Custom > Picarto > Follow").
const TriggerCategory = "Picarto"

// Group is the Streamer.bot action group the import creates.
const Group = "Picarto"

type kindInfo struct {
	kind    Kind
	action  string // DoAction name (contract section 4)
	event   string // custom code trigger event name (ExecuteCodeTrigger's triggerName)
	display string // trigger name shown in Streamer.bot's trigger menu
}

// kinds is the one table every name lookup reads, in AllKinds order.
var kinds = []kindInfo{
	{KindFollow, "Process Picarto Follow", "picartoFollow", "Follow"},
	{KindUnfollow, "Process Picarto Unfollow", "picartoUnfollow", "Unfollow"},
	{KindSubscribe, "Process Picarto Subscriber", "picartoSubscribe", "Subscriber"},
	{KindUnsubscribe, "Process Picarto Unsubscribe", "picartoUnsubscribe", "Unsubscribe"},
	{KindOnline, "Process Picarto Online", "picartoOnline", "Stream Online"},
	{KindOffline, "Process Picarto Offline", "picartoOffline", "Stream Offline"},
	{KindEventStart, "Process Picarto Event Start", "picartoEventStart", "Event Start"},
	{KindEventEnd, "Process Picarto Event End", "picartoEventEnd", "Event End"},
	{KindChat, "Process Picarto Chat", "picartoChat", "Chat Message"},
	{KindRaid, "Process Picarto Raid", "picartoRaid", "Raid"},
	{KindTip, "Process Picarto Tip", "picartoTip", "Tip"},
}

func lookup(k Kind) (kindInfo, bool) {
	for _, ki := range kinds {
		if ki.kind == k {
			return ki, true
		}
	}
	return kindInfo{}, false
}

// AllKinds returns every event kind, in the contract's order. The slice is
// new on each call.
func AllKinds() []Kind {
	out := make([]Kind, len(kinds))
	for i, ki := range kinds {
		out[i] = ki.kind
	}
	return out
}

// Valid reports whether k is one of the kinds of contract section 4.
func (k Kind) Valid() bool {
	_, ok := lookup(k)
	return ok
}

// ActionName returns the Streamer.bot action the bridge runs for k
// ("Process Picarto Follow", ...), or "" for an unknown kind.
func ActionName(k Kind) string {
	ki, _ := lookup(k)
	return ki.action
}

// TriggerEventName returns the event name of k's custom code trigger
// ("picartoFollow", ...): what RegisterCustomTrigger registers and what
// ExecuteCodeTrigger's triggerName must be. "" for an unknown kind.
func TriggerEventName(k Kind) string {
	ki, _ := lookup(k)
	return ki.event
}

// TriggerDisplayName returns the name of k's custom trigger in Streamer.bot's
// trigger menu ("Follow", "Subscriber", ...), or "" for an unknown kind.
func TriggerDisplayName(k Kind) string {
	ki, _ := lookup(k)
	return ki.display
}

// KindForAction returns the kind whose action is named name.
func KindForAction(name string) (Kind, bool) {
	for _, ki := range kinds {
		if ki.action == name {
			return ki.kind, true
		}
	}
	return "", false
}

// KindForTriggerEvent returns the kind whose custom trigger event name is
// eventName.
func KindForTriggerEvent(eventName string) (Kind, bool) {
	for _, ki := range kinds {
		if ki.event == eventName {
			return ki.kind, true
		}
	}
	return "", false
}

// Names of the helper and control actions the import creates. The bridge
// runs only SetGlobalAction; the others are for the streamer.
const (
	SetGlobalAction        = "Picarto Set Global"
	BridgeStartAction      = "Picarto Bridge Start"
	BridgeRestartAction    = "Picarto Bridge Restart"
	BridgeStopAction       = "Picarto Bridge Stop"
	SendChatAction         = "Picarto Send Chat"
	RegisterWebhooksAction = "Picarto Register Webhooks"
	RegisterTriggersAction = "Picarto Register Triggers"
)

// CommandKey is the key of the control commands of contract section 5: the
// bridge acts on General.Custom events whose JSON object has it.
const CommandKey = "picartoBridge"

// The control command values of contract section 5.
const (
	CommandRestart            = "restart"
	CommandStop               = "stop"
	CommandChat               = "chat"
	CommandRegisterWebhooks   = "register-webhooks"
	CommandUnregisterWebhooks = "unregister-webhooks"
)

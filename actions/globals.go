package actions

// Global variables of contract section 3 that the bridge reads.
const (
	GlobalBearer       = "picartoBearer"
	GlobalChannelName  = "picartoChannelName"
	GlobalClientID     = "picartoClientID"
	GlobalClientToken  = "picartoClientToken"
	GlobalRefreshToken = "picartoRefreshToken"
	GlobalChannelToken = "picartoChannelToken"
	GlobalBotName      = "picartoBotName"
	GlobalPort         = "picartoPort"
	GlobalWebhookURL   = "picartoWebhookUrl"
	GlobalInit         = "picartoInit" // temporary
	GlobalAlerts       = "picartoAlerts"
)

// Global variables of contract section 3 that the bridge writes.
const (
	GlobalChannelID      = "picartoChannelID"
	GlobalOnline         = "picartoOnline" // temporary
	GlobalFollowerCount  = "picartoFollowerCount"
	GlobalSubCount       = "picartoSubCount"
	GlobalViewerCount    = "picartoViewerCount" // temporary
	GlobalLastFollower   = "picartoLastFollower"
	GlobalLastSubscriber = "picartoLastSubscriber"
	GlobalBridgeStatus   = "picartoBridgeStatus" // temporary
)

// The webhook id globals of contract section 3 (written, persisted), one per
// Picarto webhook type; see HookGlobal.
const (
	GlobalFollowHook   = "picartoFollowHook"
	GlobalUnfollowHook = "picartoUnfollowHook"
	GlobalSubHook      = "picartoSubHook"
	GlobalUnsubHook    = "picartoUnsubHook"
	GlobalOnlineHook   = "picartoOnlineHook"
	GlobalOfflineHook  = "picartoOfflineHook"
	GlobalEvStartHook  = "picartoEvStartHook"
	GlobalEvEndHook    = "picartoEvEndHook"
)

type globalInfo struct {
	name      string
	persisted bool
	written   bool // the bridge writes it (through SetGlobalAction)
}

var globals = []globalInfo{
	{GlobalBearer, true, false}, // also written by the browser sign-in
	{GlobalChannelName, true, false},
	{GlobalClientID, true, false},
	{GlobalClientToken, true, false},
	{GlobalRefreshToken, true, false}, // also written by the browser sign-in
	{GlobalChannelToken, true, false},
	{GlobalBotName, true, false},
	{GlobalPort, true, false},
	{GlobalWebhookURL, true, false},
	{GlobalInit, false, false}, // the bridge sets it back to False
	{GlobalAlerts, true, false},

	{GlobalChannelID, true, true},
	{GlobalOnline, false, true},
	{GlobalFollowerCount, true, true},
	{GlobalSubCount, true, true},
	{GlobalViewerCount, false, true},
	{GlobalLastFollower, true, true},
	{GlobalLastSubscriber, true, true},
	{GlobalFollowHook, true, true},
	{GlobalUnfollowHook, true, true},
	{GlobalSubHook, true, true},
	{GlobalUnsubHook, true, true},
	{GlobalOnlineHook, true, true},
	{GlobalOfflineHook, true, true},
	{GlobalEvStartHook, true, true},
	{GlobalEvEndHook, true, true},
	{GlobalBridgeStatus, false, true},
}

// hookGlobals maps a Picarto webhook type to the global holding its id.
var hookGlobals = map[string]string{
	"follow":      GlobalFollowHook,
	"unfollow":    GlobalUnfollowHook,
	"subscribe":   GlobalSubHook,
	"unsubscribe": GlobalUnsubHook,
	"online":      GlobalOnlineHook,
	"offline":     GlobalOfflineHook,
	"event_start": GlobalEvStartHook,
	"event_end":   GlobalEvEndHook,
}

// HookGlobal returns the global that holds the id of the webhook of type
// webhookType ("follow" -> "picartoFollowHook", "event_start" ->
// "picartoEvStartHook", ...), or "" for an unknown type.
func HookGlobal(webhookType string) string {
	return hookGlobals[webhookType]
}

// Persisted reports whether the contract keeps global as a persisted
// Streamer.bot global (false: temporary, e.g. picartoOnline, picartoInit).
// A name the contract does not know is reported persisted, Streamer.bot's
// own default for SetGlobalVar.
func Persisted(global string) bool {
	for _, g := range globals {
		if g.name == global {
			return g.persisted
		}
	}
	return true
}

// AllGlobals returns every global name of contract section 3, the read ones
// first. The slice is new on each call.
func AllGlobals() []string {
	out := make([]string, len(globals))
	for i, g := range globals {
		out[i] = g.name
	}
	return out
}

// WrittenGlobals returns the globals the bridge itself writes (contract
// section 3, "Written"). The slice is new on each call.
func WrittenGlobals() []string {
	var out []string
	for _, g := range globals {
		if g.written {
			out = append(out, g.name)
		}
	}
	return out
}

// IsGlobal reports whether name is a global of contract section 3.
func IsGlobal(name string) bool {
	for _, g := range globals {
		if g.name == name {
			return true
		}
	}
	return false
}

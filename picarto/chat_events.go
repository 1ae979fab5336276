package picarto

import "time"

// ChatEvent is one typed event decoded from a Picarto chat frame (API spec
// §6.6). The concrete types are ChatMessage, ChatTip, ChatRaid,
// ChatUserJoined, ChatUserLeft, ChatSubscription, ChatMessageRemoved,
// ChatUserCleared, ChatSystemNotice, ChatViewerCount, ChatStatus and
// ChatUnknown. Chat never puts a ChatStatus on Events(): it consumes those
// itself.
type ChatEvent interface{ chatEvent() }

// ChatMessage is one chat line (`t:"c"`, API spec §6.7). The decoder fills
// it leniently: ids may arrive as strings or numbers, the time from `d`
// (else the older `a`), the id from `id` (else `_id`).
type ChatMessage struct {
	// ID is the message id (`id`, else `_id`; UUID v1 text).
	ID string
	// ChannelID is the id of the channel the line was posted in (`c`); in a
	// multistream it can be another channel of the group.
	ChannelID string
	// ChannelName is the name of that channel (`rn`).
	ChannelName string
	// UserID is the sender's user id (`u`).
	UserID string
	// DisplayName is the sender's name as Picarto shows it (`n`).
	DisplayName string
	// UserName is the sender's login: DisplayName in lower case.
	UserName string
	// Avatar is the absolute avatar URL (`i`, prefixed with
	// https://images.picarto.tv/ unless already absolute); "" when absent.
	Avatar string
	// Text is the message text (`m`); emotes stay inline as `:name:`.
	Text string
	// Color is the sender's name colour (`k`) as "#rrggbb" (3-digit values
	// are expanded); "" when absent or not hex.
	Color string
	// IsStreamer is the `s` flag: the sender owns the channel.
	IsStreamer bool
	// IsBot is the `z` flag.
	IsBot bool
	// IsModerator is true when the line carries a truthy `mod`/`moderator`
	// key or a `g` (groups) entry naming moderators. No capture shows
	// either (SubathonManager: "no moderator flag"), so it is usually
	// false; it is never guessed from `md`, `cb`, `o` or `y`.
	IsModerator bool
	// Self is set by Chat (never by DecodeChatFrame) when the sender's login
	// equals ChatConfig.Username: the bot's own echo, or the streamer typing
	// when the bot runs on the streamer's account.
	Self bool
	// Time is when the line was posted (`d`, else `a`; epoch milliseconds,
	// seconds accepted); zero when absent.
	Time time.Time
}

// ChatTip is a Kudos tip line (`t:"ct"`, or any line with a truthy `v`).
type ChatTip struct {
	ChatMessage
	// Amount is the number of Kudos (`x`); 0 when absent or not a number.
	Amount int
}

// ChatRaid is a raid notice (`raid`: `{m: sentence, n: raider, rn: raided}`).
type ChatRaid struct {
	// From is the raiding channel (`n`), To the raided one (`rn`).
	From, To string
	// Message is the server's sentence (`m`).
	Message string
	// Viewers is the raid size: from a count key when one is present
	// (`viewers`, `viewerCount`, `viewer_count`, `count`), else parsed from
	// the sentence ("... with 12 viewers"); 0 when unknown. No capture shows
	// a count, so treat 0 as "unknown", not "nobody".
	Viewers int
}

// ChatUserJoined is a user joining the chat (`un`: `{u, n}`).
type ChatUserJoined struct{ UserID, Name string }

// ChatUserLeft is a user leaving the chat (`ur`: `{u, n}`).
type ChatUserLeft struct{ UserID, Name string }

// ChatSubscription is a subscription notice (`ns`, API spec §6.8).
type ChatSubscription struct {
	// Name is the subscriber or gifter (`sn`); "" for an anonymous gift.
	Name string
	// Recipient is the gift recipient (`gn`); "" when not a direct gift.
	Recipient string
	// Channel is the channel subscribed to (`n`).
	Channel string
	// Months is `md`, 1 when missing.
	Months int
	// Gift is true for any gift (`sg`, `ag`, `gn` or `sc` present).
	Gift bool
	// Anonymous is the `ag` flag.
	Anonymous bool
	// GiftCount is the number of gifted subscriptions: len(`sc`) for a
	// community gift, 1 for a direct gift, 0 when not a gift.
	GiftCount int
	// Level is the subscription level (`slvl`) as text; "" when absent.
	Level string
}

// ChatMessageRemoved says a line was removed (`rm`: `{id, m}`).
type ChatMessageRemoved struct {
	// ID is the removed line's id; Replacement the text shown instead.
	ID, Replacement string
}

// ChatUserCleared says all messages of a user were cleared (`cm`: `{u}`).
type ChatUserCleared struct{ UserID string }

// ChatSystemNotice is a system line (`system` batch, or a line with
// `t:"system"`), such as "Welcome to Saca's Chat".
type ChatSystemNotice struct {
	// Text is `m` with `{link}` placeholders replaced by link texts from `l`
	// and `{icon}` placeholders removed.
	Text string
	// ModeratorOnly is true when the frame's top-level `c` is "b".
	ModeratorOnly bool
}

// ChatViewerCount is a channel state frame (`stream`, every 25–60 s).
type ChatViewerCount struct {
	// ChannelID is `id`; Name is `name` when present.
	ChannelID, Name string
	// Viewers is `viewers` (else the sum of `streams[].viewers`).
	Viewers int
	// Online is `online` when the frame has it, else nil.
	Online *bool
}

// ChatStatus is a protocol reply: the authentication result
// (`{"t":"authentication","success":bool}`, Type "authentication") or a
// typeless `{"success":bool,"code":"PONG"|"JWT_TOKEN"|"INVALID_USER"}`
// (Type ""). Chat handles these itself and never emits them on Events().
type ChatStatus struct {
	Type    string
	Success bool
	Code    string
}

// ChatUnknown is a frame (or a line of a batch) the decoder does not
// understand, kept whole so the caller can record it. Type is the frame's
// `t`/`type` ("" when absent; "c/<t>" for an unknown line type in a batch).
type ChatUnknown struct {
	Type string
	Raw  []byte
}

func (ChatMessage) chatEvent()        {}
func (ChatTip) chatEvent()            {}
func (ChatRaid) chatEvent()           {}
func (ChatUserJoined) chatEvent()     {}
func (ChatUserLeft) chatEvent()       {}
func (ChatSubscription) chatEvent()   {}
func (ChatMessageRemoved) chatEvent() {}
func (ChatUserCleared) chatEvent()    {}
func (ChatSystemNotice) chatEvent()   {}
func (ChatViewerCount) chatEvent()    {}
func (ChatStatus) chatEvent()         {}
func (ChatUnknown) chatEvent()        {}

package picarto

import (
	"bytes"
	"encoding/json"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// Channel is Picarto's ChannelDetails (spec 3.1), decoded leniently: ids as
// numbers or strings, category as a string or an array, account_type in any
// case (normalised to lower case), chat_settings.level as a number or
// false, last_live in any of Picarto's date formats or null.
type Channel struct {
	UserID       int64
	Name         string
	Avatar       string
	Title        string
	AccountType  string // "free", "basic" or "premium", lower-cased
	Online       bool
	Adult        bool
	Gaming       bool
	Commissions  bool
	Recordings   bool
	Private      bool
	Viewers      int
	ViewersTotal int
	Followers    int
	Subscribers  int
	Category     []string
	Tags         []string
	LastLive     *time.Time // nil when Picarto sends null or nothing
	CreationDate time.Time  // zero when absent
	Thumbnails   Thumbnails
	ChatSettings ChatSettings
	Multistream  []MultistreamMember
	Languages    []Language
	// Following tells whether the token's user follows this channel; nil
	// when Picarto did not say (no valid Bearer token was sent).
	Following *bool
}

// Thumbnails are a channel's preview image URLs.
type Thumbnails struct{ Web, WebLarge, Mobile, Tablet string }

// ChatSettings are a channel's chat restrictions. Level 0 is everyone, 1 no
// guests, ... 6 streamer only (spec 3.1); false on the wire is 0.
type ChatSettings struct {
	GuestChat bool
	Links     bool
	Level     int
}

// MultistreamMember is one channel of a multistream group.
type MultistreamMember struct {
	UserID int64
	Name   string
	Online bool
	Adult  bool
}

// Language is a channel language.
type Language struct {
	ID   int64
	Name string
}

// User is the token owner's private info (GET /user, spec 4.1).
type User struct {
	Channel      Channel // channel_details: the user id and login are Channel.UserID and Channel.Name
	Email        string
	CreationDate time.Time
	PrivateKey   secret.Secret // key to watch the private stream
	NSFWEnabled  bool
	NSFWApp      bool
}

// Follower is one entry of /user/followers or /user/subscribers (spec 4.2).
type Follower struct {
	UserID             int64
	Name               string
	Avatar             string
	Online             bool
	Subscriber         bool
	SubscribeCanExpire bool
	SubscribeExpires   *time.Time
}

// Notification is one entry of the account's notification feed
// (/user/notifications, spec 4.3). Type is e.g. "follow", "subscribe" or
// "recordingCreate"; Channel is the other party's channel name.
type Notification struct {
	Type      string
	UUID      string
	Body      string
	Channel   string
	URI       string
	Avatar    string
	HasIcon   bool
	Timestamp time.Time
	Unread    bool
}

// WebhookType is one of the eight webhook types (spec 5.2).
type WebhookType string

// The webhook types Picarto knows.
const (
	WebhookFollow      WebhookType = "follow"
	WebhookUnfollow    WebhookType = "unfollow"
	WebhookSubscribe   WebhookType = "subscribe"
	WebhookUnsubscribe WebhookType = "unsubscribe"
	WebhookOnline      WebhookType = "online"
	WebhookOffline     WebhookType = "offline"
	WebhookEventStart  WebhookType = "event_start"
	WebhookEventEnd    WebhookType = "event_end"
)

// WebhookTypes lists all eight webhook types.
var WebhookTypes = []WebhookType{
	WebhookFollow, WebhookUnfollow, WebhookSubscribe, WebhookUnsubscribe,
	WebhookOnline, WebhookOffline, WebhookEventStart, WebhookEventEnd,
}

// Valid reports whether t is one of WebhookTypes.
func (t WebhookType) Valid() bool {
	for _, k := range WebhookTypes {
		if k == t {
			return true
		}
	}
	return false
}

// Webhook is a registration as GET /webhooks lists it (spec 5.1).
type Webhook struct {
	ID          string
	ChannelID   int64
	ChannelName string
	Type        WebhookType
	URI         string
}

// wireChannel is ChannelDetails on the wire.
type wireChannel struct {
	UserID       FlexInt64  `json:"user_id"`
	Name         FlexString `json:"name"`
	Avatar       FlexString `json:"avatar"`
	Title        FlexString `json:"title"`
	AccountType  FlexString `json:"account_type"`
	Online       FlexBool   `json:"online"`
	Adult        FlexBool   `json:"adult"`
	Gaming       FlexBool   `json:"gaming"`
	Commissions  FlexBool   `json:"commissions"`
	Recordings   FlexBool   `json:"recordings"`
	Private      FlexBool   `json:"private"`
	Viewers      FlexInt    `json:"viewers"`
	ViewersTotal FlexInt    `json:"viewers_total"`
	Followers    FlexInt    `json:"followers"`
	Subscribers  FlexInt    `json:"subscribers"`
	Category     StringList `json:"category"`
	Tags         StringList `json:"tags"`
	LastLive     FlexTime   `json:"last_live"`
	CreationDate FlexTime   `json:"creation_date"`
	Thumbnails   struct {
		Web      FlexString `json:"web"`
		WebLarge FlexString `json:"web_large"`
		Mobile   FlexString `json:"mobile"`
		Tablet   FlexString `json:"tablet"`
	} `json:"thumbnails"`
	ChatSettings struct {
		GuestChat FlexBool `json:"guest_chat"`
		Links     FlexBool `json:"links"`
		Level     FlexInt  `json:"level"`
	} `json:"chat_settings"`
	GuestChat   *FlexBool                 `json:"guest_chat"` // 2017 shape: top level
	Multistream lenientList[wireMember]   `json:"multistream"`
	Languages   lenientList[wireLanguage] `json:"languages"`
	Following   *FlexBool                 `json:"following"`
}

type wireMember struct {
	UserID FlexInt64  `json:"user_id"`
	Name   FlexString `json:"name"`
	Online FlexBool   `json:"online"`
	Adult  FlexBool   `json:"adult"`
}

type wireLanguage struct {
	ID   FlexInt64  `json:"id"`
	Name FlexString `json:"name"`
}

// lenientList decodes an array of T, skipping elements that do not decode;
// anything but an array (multistream is a bool in /online) decodes to nil.
type lenientList[T any] []T

// UnmarshalJSON implements json.Unmarshaler. It never returns an error.
func (l *lenientList[T]) UnmarshalJSON(b []byte) error {
	*l = nil
	var raw []json.RawMessage
	if json.Unmarshal(b, &raw) != nil {
		return nil
	}
	for _, r := range raw {
		var v T
		if json.Unmarshal(r, &v) == nil {
			*l = append(*l, v)
		}
	}
	return nil
}

func (w *wireChannel) channel() Channel {
	ch := Channel{
		UserID: int64(w.UserID), Name: string(w.Name), Avatar: AbsoluteImageURL(string(w.Avatar)),
		Title: string(w.Title), AccountType: strings.ToLower(strings.TrimSpace(string(w.AccountType))),
		Online: bool(w.Online), Adult: bool(w.Adult), Gaming: bool(w.Gaming),
		Commissions: bool(w.Commissions), Recordings: bool(w.Recordings), Private: bool(w.Private),
		Viewers: int(w.Viewers), ViewersTotal: int(w.ViewersTotal),
		Followers: int(w.Followers), Subscribers: int(w.Subscribers),
		Category: []string(w.Category), Tags: []string(w.Tags),
		LastLive: w.LastLive.Ptr(), CreationDate: w.CreationDate.Time,
		Thumbnails: Thumbnails{
			Web: string(w.Thumbnails.Web), WebLarge: string(w.Thumbnails.WebLarge),
			Mobile: string(w.Thumbnails.Mobile), Tablet: string(w.Thumbnails.Tablet),
		},
		ChatSettings: ChatSettings{
			GuestChat: bool(w.ChatSettings.GuestChat), Links: bool(w.ChatSettings.Links),
			Level: int(w.ChatSettings.Level),
		},
	}
	if w.GuestChat != nil {
		ch.ChatSettings.GuestChat = bool(*w.GuestChat)
	}
	for _, m := range w.Multistream {
		ch.Multistream = append(ch.Multistream, MultistreamMember{
			UserID: int64(m.UserID), Name: string(m.Name), Online: bool(m.Online), Adult: bool(m.Adult),
		})
	}
	for _, l := range w.Languages {
		ch.Languages = append(ch.Languages, Language{ID: int64(l.ID), Name: string(l.Name)})
	}
	if w.Following != nil {
		f := bool(*w.Following)
		ch.Following = &f
	}
	return ch
}

// wireUser is GET /user's object.
type wireUser struct {
	ChannelDetails wireChannel `json:"channel_details"`
	Email          FlexString  `json:"email"`
	CreationDate   FlexTime    `json:"creation_date"`
	PrivateKey     FlexString  `json:"private_key"`
	NSFWEnabled    FlexBool    `json:"nsfw_enabled"`
	NSFWApp        FlexBool    `json:"nsfw_app"`
}

type wireFollower struct {
	UserID             FlexInt64  `json:"user_id"`
	Name               FlexString `json:"name"`
	Avatar             FlexString `json:"avatar"`
	Online             FlexBool   `json:"online"`
	Subscriber         FlexBool   `json:"subscriber"`
	SubscribeCanExpire FlexBool   `json:"subscribe_can_expire"`
	SubscribeExpires   FlexTime   `json:"subscribe_expires"`
}

func (w wireFollower) follower() Follower {
	return Follower{
		UserID: int64(w.UserID), Name: string(w.Name), Avatar: AbsoluteImageURL(string(w.Avatar)),
		Online: bool(w.Online), Subscriber: bool(w.Subscriber),
		SubscribeCanExpire: bool(w.SubscribeCanExpire), SubscribeExpires: w.SubscribeExpires.Ptr(),
	}
}

type wireNotification struct {
	Type      FlexString `json:"type"`
	UUID      FlexString `json:"uuid"`
	Body      FlexString `json:"body"`
	Channel   FlexString `json:"channel"`
	URI       FlexString `json:"uri"`
	Avatar    FlexString `json:"avatar"`
	HasIcon   FlexBool   `json:"hasIcon"`
	Timestamp FlexTime   `json:"timestamp"`
	Unread    FlexBool   `json:"unread"`
}

// wireWebhook is the Webhook model: {id, channel:{user_id,name}, type, uri};
// channel may also be a bare name with a top-level channel_id.
type wireWebhook struct {
	ID        FlexString      `json:"id"`
	Channel   json.RawMessage `json:"channel"`
	ChannelID FlexInt64       `json:"channel_id"`
	Type      FlexString      `json:"type"`
	URI       FlexString      `json:"uri"`
}

func (w wireWebhook) webhook() Webhook {
	h := Webhook{
		ID: string(w.ID), ChannelID: int64(w.ChannelID),
		Type: WebhookType(strings.ToLower(strings.TrimSpace(string(w.Type)))), URI: string(w.URI),
	}
	if c := bytes.TrimSpace(w.Channel); len(c) > 0 && c[0] == '{' {
		var obj struct {
			UserID FlexInt64  `json:"user_id"`
			ID     FlexInt64  `json:"id"`
			Name   FlexString `json:"name"`
		}
		_ = json.Unmarshal(c, &obj)
		h.ChannelName = string(obj.Name)
		if h.ChannelID == 0 {
			h.ChannelID = int64(max(obj.UserID, obj.ID))
		}
	} else if len(c) > 0 {
		h.ChannelName = flexText(c)
	}
	return h
}

// decodeOneOrFirst decodes an object, or the first element of an array of
// objects (the current swagger types GET /user as an array), into v.
func decodeOneOrFirst(b []byte, v any) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(b, &arr); err != nil {
			return err
		}
		if len(arr) == 0 {
			return errEmptyArray
		}
		b = arr[0]
	}
	return json.Unmarshal(b, v)
}

// listBody unwraps a Laravel-style {"data":[...]} page; any other body is
// returned as is.
func listBody(b []byte) []byte {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '{' {
		var o struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(b, &o) == nil && len(o.Data) > 0 {
			return o.Data
		}
	}
	return b
}

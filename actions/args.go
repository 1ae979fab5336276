package actions

import (
	"github.com/picarto-bridge/picarto-bridge/internal/jsonstr"

	"strconv"
	"strings"
	"time"
	"unicode/utf8"
)

// User is the Picarto user an event is about: the follower, subscriber,
// chatter, tipper or raider.
type User struct {
	Display string // display name -> argument user
	Login   string // login -> userName (lower-cased; Display lower-cased when empty)
	ID      string // -> userId
	Avatar  string // URL -> avatar and userProfileImage
}

// Event is one Picarto event as the bridge hands it to Streamer.bot. Zero
// values (empty strings, nil pointers, zero times) are unknown and left out
// of the arguments; the plain booleans IsStreamer, IsBot and IsModerator are
// sent for chat events only.
type Event struct {
	Kind      Kind
	ID        string // stable id, the dedup key -> picartoEventId
	IsTest    bool
	CreatedAt time.Time
	User      *User

	FollowerCount    *int
	SubCount         *int
	Viewers          *int // online: current viewers; raid: raiding viewers
	Duration         *int // offline: stream length in seconds
	Amount           *int // tip: Kudos
	MonthsSubscribed *int
	GiftCount        *int
	IsGift           *bool

	Tier     string // "tier 1", "tier 2", "tier 3"
	Title    string
	Category string
	Message  string // chat text or tip message; also rawInput for chat
	MsgID    string
	Color    string

	StartedAt time.Time
	EndedAt   time.Time

	IsStreamer  bool
	IsBot       bool
	IsModerator bool
}

// UserType is the value of the userType argument of every event.
const UserType = "picarto"

// Argument names of contract section 4.
const (
	ArgUserType         = "userType"
	ArgFromPicarto      = "fromPicarto"
	ArgPicartoEvent     = "picartoEvent"
	ArgPicartoEventID   = "picartoEventId"
	ArgIsTest           = "isTest"
	ArgCreatedAt        = "createdAt"
	ArgUser             = "user"
	ArgUserName         = "userName"
	ArgUserID           = "userId"
	ArgAvatar           = "avatar"
	ArgUserProfileImage = "userProfileImage"
	ArgFollowerCount    = "followerCount"
	ArgSubCount         = "subCount"
	ArgTier             = "tier"
	ArgMonthsSubscribed = "monthsSubscribed"
	ArgIsGift           = "isGift"
	ArgGiftCount        = "giftCount"
	ArgTitle            = "title"
	ArgCategory         = "category"
	ArgViewers          = "viewers"
	ArgStartedAt        = "startedAt"
	ArgEndedAt          = "endedAt"
	ArgDuration         = "duration"
	ArgMessage          = "message"
	ArgRawInput         = "rawInput"
	ArgMsgID            = "msgId"
	ArgColor            = "color"
	ArgIsStreamer       = "isStreamer"
	ArgIsBot            = "isBot"
	ArgIsModerator      = "isModerator"
	ArgAmount           = "amount"
)

// Args returns the action arguments of e, exactly per contract section 4:
// values are string, bool or int, never nil and never nested; unknown values
// are left out. It is the same object AppendArgsJSON encodes.
func Args(e Event) map[string]any {
	s := sink{m: make(map[string]any, 24)}
	walk(&s, &e)
	return s.m
}

// AppendArgsJSON appends the JSON object of Args(e) to dst and returns the
// extended buffer. The bytes are exactly those of json.Marshal(Args(e))
// (keys sorted, encoding/json's escaping), built without a map; with a dst of
// sufficient capacity it does not allocate for ASCII logins.
func AppendArgsJSON(dst []byte, e Event) []byte {
	s := sink{b: append(dst, '{'), json: true, first: true}
	walk(&s, &e)
	return append(s.b, '}')
}

// timeLayout is how every time argument is written: RFC 3339 in UTC.
const timeLayout = time.RFC3339

// walk emits every argument of e into s, in the byte order of the keys, so
// the JSON sink writes what json.Marshal writes for the map sink's result.
// It is the only place that decides which argument exists.
func walk(s *sink, e *Event) {
	chat := e.Kind == KindChat
	u := e.User
	if u == nil {
		u = &User{}
	}
	s.num(ArgAmount, e.Amount)
	s.str(ArgAvatar, u.Avatar)
	s.str(ArgCategory, e.Category)
	s.str(ArgColor, e.Color)
	s.time(ArgCreatedAt, e.CreatedAt)
	s.num(ArgDuration, e.Duration)
	s.time(ArgEndedAt, e.EndedAt)
	s.num(ArgFollowerCount, e.FollowerCount)
	s.boolean(ArgFromPicarto, true)
	s.num(ArgGiftCount, e.GiftCount)
	if chat {
		s.boolean(ArgIsBot, e.IsBot)
	}
	if e.IsGift != nil {
		s.boolean(ArgIsGift, *e.IsGift)
	}
	if chat {
		s.boolean(ArgIsModerator, e.IsModerator)
		s.boolean(ArgIsStreamer, e.IsStreamer)
	}
	s.boolean(ArgIsTest, e.IsTest)
	s.str(ArgMessage, e.Message)
	s.num(ArgMonthsSubscribed, e.MonthsSubscribed)
	s.str(ArgMsgID, e.MsgID)
	s.str(ArgPicartoEvent, string(e.Kind))
	s.str(ArgPicartoEventID, e.ID)
	if chat {
		s.str(ArgRawInput, e.Message)
	}
	s.time(ArgStartedAt, e.StartedAt)
	s.num(ArgSubCount, e.SubCount)
	s.str(ArgTier, e.Tier)
	s.str(ArgTitle, e.Title)
	s.str(ArgUser, u.Display)
	s.str(ArgUserID, u.ID)
	login := u.Login
	if login == "" {
		login = u.Display
	}
	s.lower(ArgUserName, login)
	s.str(ArgUserProfileImage, u.Avatar)
	s.str(ArgUserType, UserType)
	s.num(ArgViewers, e.Viewers)
}

// sink receives arguments: into a map (m != nil) or as JSON members (json).
type sink struct {
	m     map[string]any
	b     []byte
	json  bool
	first bool
}

func (s *sink) key(k string) {
	if !s.first {
		s.b = append(s.b, ',')
	}
	s.first = false
	s.b = append(s.b, '"')
	s.b = append(s.b, k...) // argument names need no escaping
	s.b = append(s.b, '"', ':')
}

func (s *sink) str(k, v string) {
	if v == "" {
		return
	}
	if !s.json {
		s.m[k] = v
		return
	}
	s.key(k)
	s.b = jsonstr.Append(s.b, v)
}

// lower emits strings.ToLower(v).
func (s *sink) lower(k, v string) {
	if v == "" {
		return
	}
	if !s.json {
		s.m[k] = strings.ToLower(v)
		return
	}
	s.key(k)
	if !isASCII(v) {
		s.b = jsonstr.Append(s.b, strings.ToLower(v))
		return
	}
	start := len(s.b)
	s.b = jsonstr.Append(s.b, v)
	for i := start; i < len(s.b); i++ {
		// Escapes are \", \\, \b, \f, \n, \r, \t and \u00XX with lower-case
		// hex; upper-case ASCII in them is impossible, so lowering the
		// escaped bytes equals escaping the lowered string.
		if c := s.b[i]; 'A' <= c && c <= 'Z' {
			s.b[i] = c + ('a' - 'A')
		}
	}
}

func (s *sink) num(k string, v *int) {
	if v == nil {
		return
	}
	if !s.json {
		s.m[k] = *v
		return
	}
	s.key(k)
	s.b = strconv.AppendInt(s.b, int64(*v), 10)
}

func (s *sink) boolean(k string, v bool) {
	if !s.json {
		s.m[k] = v
		return
	}
	s.key(k)
	s.b = strconv.AppendBool(s.b, v)
}

func (s *sink) time(k string, t time.Time) {
	if t.IsZero() {
		return
	}
	if !s.json {
		s.m[k] = t.UTC().Format(timeLayout)
		return
	}
	s.key(k)
	// RFC 3339 text holds digits, '-', ':', 'T', 'Z' only: no escaping.
	s.b = append(s.b, '"')
	s.b = t.UTC().AppendFormat(s.b, timeLayout)
	s.b = append(s.b, '"')
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

package picartotest

import (
	"strconv"
	"strings"
	"time"
)

// Channel is a channel fixture. The fake renders it in the real response
// shape with the real quirks (spec 3.1 and 11.1): category as an array,
// account_type as sent ("PREMIUM" by default), chat_settings.level false
// for 0, last_live as "2006-01-02 15:04:05" or null, creation_date as
// "2006-01-02". The followers and subscribers counts are the lengths of the
// lists AddFollower and AddSubscriber build.
type Channel struct {
	ID           int64
	Name         string
	Avatar       string // default an images.picarto.tv URL
	Title        string
	Online       bool
	Viewers      int
	ViewersTotal int
	Adult        bool
	Gaming       bool
	Commissions  bool
	Recordings   bool
	Private      bool
	Category     []string // default ["Creative"]
	AccountType  string   // default "PREMIUM"
	Tags         []string
	ChatLevel    int       // 0..6; 0 renders as false
	LastLive     time.Time // zero renders as null
	CreationDate time.Time // default 2016-04-26
	Email        string    // for GET /user; default <name>@example.com
}

// User is a follower or subscriber fixture.
type User struct {
	ID     int64
	Name   string
	Avatar string
}

// Webhook is a registration held by the fake.
type Webhook struct {
	ID          string
	ClientID    string // the app the registering token belongs to ("" for none)
	ChannelID   int64
	ChannelName string
	Type        string
	URI         string
}

// RequestRecord is one request the fake received.
type RequestRecord struct {
	Area   string // "rest" or "oauth"
	Method string
	Path   string // below /api/v1 or /v1 for REST, e.g. "/user/followers"
	Query  string
	Status int // 0 while the answer is being written
	At     time.Time
}

// webhookTypes are the eight types Picarto knows (spec 5.2).
var webhookTypes = []string{"online", "offline", "follow", "unfollow", "subscribe", "unsubscribe", "event_start", "event_end"}

func validWebhookType(t string) bool {
	for _, k := range webhookTypes {
		if k == t {
			return true
		}
	}
	return false
}

// apiChannel is a channel with its lists.
type apiChannel struct {
	Channel
	followers     []User // newest first
	subscribers   []User // newest first
	notifications []map[string]any
}

const liveLayout = "2006-01-02 15:04:05"

func (c *apiChannel) withDefaults() {
	if c.Avatar == "" {
		c.Avatar = "https://images.picarto.tv/ptvimages/" + apiItoa(c.ID) + "/avatars/a.jpg"
	}
	if c.Category == nil {
		c.Category = []string{"Creative"}
	}
	if c.AccountType == "" {
		c.AccountType = "PREMIUM"
	}
	if c.Tags == nil {
		c.Tags = []string{}
	}
	if c.CreationDate.IsZero() {
		c.CreationDate = time.Date(2016, 4, 26, 0, 0, 0, 0, time.UTC)
	}
	if c.Email == "" {
		c.Email = strings.ToLower(c.Name) + "@example.com"
	}
}

// render is ChannelDetails in the real shape; following is added by the
// caller when a valid token was sent.
func (c *apiChannel) render() map[string]any {
	viewers := 0
	if c.Online {
		viewers = c.Viewers
	}
	var lastLive any
	if !c.LastLive.IsZero() {
		lastLive = c.LastLive.UTC().Format(liveLayout)
	}
	var level any = false
	if c.ChatLevel != 0 {
		level = c.ChatLevel
	}
	thumb := "https://thumb-us-newyork.picarto.tv/thumbnail/" + c.Name
	return map[string]any{
		"user_id": c.ID, "name": c.Name, "avatar": c.Avatar, "online": c.Online,
		"viewers": viewers, "viewers_total": c.ViewersTotal,
		"thumbnails": map[string]any{
			"web": thumb + ".jpg", "web_large": thumb + "_large.jpg",
			"mobile": thumb + "_mobile.jpg", "tablet": thumb + "_tablet.jpg",
		},
		"followers": len(c.followers), "subscribers": len(c.subscribers),
		"adult": c.Adult, "category": c.Category, "account_type": c.AccountType,
		"commissions": c.Commissions, "recordings": c.Recordings, "title": c.Title,
		"description_panels": []any{map[string]any{
			"title": "About", "body": "Hello", "image": "", "image_link": "",
			"button_text": "", "button_link": "", "position": 1,
		}},
		"private": c.Private, "private_message": "You need the private key to view this stream",
		"gaming":        c.Gaming,
		"chat_settings": map[string]any{"guest_chat": false, "links": false, "level": level},
		"last_live":     lastLive, "tags": c.Tags,
		"multistream":   []any{},
		"languages":     []any{map[string]any{"id": 19, "name": "English"}},
		"creation_date": c.CreationDate.UTC().Format("2006-01-02"),
	}
}

// renderUser is GET /user's object.
func (c *apiChannel) renderUser() map[string]any {
	return map[string]any{
		"channel_details": c.render(), "email": c.Email,
		"creation_date": c.CreationDate.UTC().Format("2006-01-02"),
		"private_key":   "pk" + apiItoa(c.ID*7919), "nsfw_enabled": true, "nsfw_app": false,
		"filter_message": "",
	}
}

// search is the SearchChannel shape {user_id, name, avatar, online}.
func (c *apiChannel) search() map[string]any {
	return map[string]any{"user_id": c.ID, "name": c.Name, "avatar": c.Avatar, "online": c.Online}
}

// categories is GET /categories in the real 2022 shape (string total_views,
// datetimes without a T, null deleted_at).
func categories() []map[string]any {
	names := []string{"Creative", "Furry", "Animation", "Gaming"}
	out := make([]map[string]any, 0, len(names))
	for i, n := range names {
		out = append(out, map[string]any{
			"id": i + 1, "name": n, "adult": n == "Furry", "is_active": 1,
			"image":      "https://images.picarto.tv/categories/" + strings.ToLower(n) + ".png",
			"created_at": "2021-03-22 23:32:15", "updated_at": "2021-03-22 23:32:15", "deleted_at": nil,
			"total_viewers": 10 * (i + 1), "total_channels": 100 * (i + 1), "online_channels": i + 1,
			"total_views": apiItoa(int64(82 * (i + 1))),
		})
	}
	return out
}

func apiItoa(n int64) string { return strconv.FormatInt(n, 10) }

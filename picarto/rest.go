package picarto

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// ChannelByName returns the channel's details (GET /channel/name/{name});
// Picarto matches the name case-insensitively. The Bearer token is sent when
// set, which fills Channel.Following. An unknown channel is ErrNotFound.
func (c *Client) ChannelByName(ctx context.Context, name string) (*Channel, error) {
	name = strings.TrimSpace(name)
	if name == "" {
		return nil, fmt.Errorf("picarto: channel by name: empty name")
	}
	return c.channel(ctx, "/channel/name/"+url.PathEscape(name))
}

// ChannelByID returns the channel's details (GET /channel/id/{id}).
func (c *Client) ChannelByID(ctx context.Context, id int64) (*Channel, error) {
	return c.channel(ctx, "/channel/id/"+strconv.FormatInt(id, 10))
}

func (c *Client) channel(ctx context.Context, path string) (*Channel, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: path, auth: authMaybe})
	if err != nil {
		return nil, err
	}
	var w wireChannel
	if err := decodeOneOrFirst(resp.body, &w); err != nil {
		return nil, fmt.Errorf("picarto: GET %s: decoding the channel: %w", path, err)
	}
	ch := w.channel()
	return &ch, nil
}

// User returns the token owner's account (GET /user, scope readpriv). The
// owner's id and login are User.Channel.UserID and User.Channel.Name.
func (c *Client) User(ctx context.Context) (*User, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/user", auth: authBearer})
	if err != nil {
		return nil, err
	}
	var w wireUser
	if err := decodeOneOrFirst(resp.body, &w); err != nil {
		return nil, fmt.Errorf("picarto: GET /user: decoding the user: %w", err)
	}
	return &User{
		Channel: w.ChannelDetails.channel(), Email: string(w.Email), CreationDate: w.CreationDate.Time,
		PrivateKey: secret.Secret(w.PrivateKey), NSFWEnabled: bool(w.NSFWEnabled), NSFWApp: bool(w.NSFWApp),
	}, nil
}

// Followers returns every follower of the token owner (GET /user/followers,
// all pages until the empty one).
func (c *Client) Followers(ctx context.Context) ([]Follower, error) {
	return c.pages(ctx, "/user/followers")
}

// Subscribers returns every subscriber of the token owner (GET
// /user/subscribers, all pages until the empty one).
func (c *Client) Subscribers(ctx context.Context) ([]Follower, error) {
	return c.pages(ctx, "/user/subscribers")
}

// pages fetches page 1, 2, ... until an empty page. Each page is one request
// from the budget. Users seen on an earlier page (the list shifts when
// someone follows meanwhile) are skipped; a page identical to the previous
// one also ends the list, since a server that ignores `page` would repeat
// page 1 forever. After MaxPages pages it returns what it has with an error.
func (c *Client) pages(ctx context.Context, path string) ([]Follower, error) {
	var all []Follower
	seen := map[int64]bool{}
	var prev []int64
	for page := 1; ; page++ {
		if page > c.maxPages {
			return all, fmt.Errorf("picarto: GET %s: stopped after %d pages without reaching the end", path, c.maxPages)
		}
		resp, err := c.do(ctx, request{
			method: http.MethodGet, path: path, auth: authBearer,
			query: url.Values{"page": {strconv.Itoa(page)}},
		})
		if err != nil {
			return all, err
		}
		var items lenientList[wireFollower]
		if err := json.Unmarshal(listBody(resp.body), &items); err != nil {
			return all, fmt.Errorf("picarto: GET %s page %d: %w", path, page, err)
		}
		if len(items) == 0 {
			return all, nil
		}
		ids := make([]int64, 0, len(items))
		for _, it := range items {
			f := it.follower()
			ids = append(ids, f.UserID)
			if f.UserID != 0 && seen[f.UserID] {
				continue
			}
			seen[f.UserID] = true
			all = append(all, f)
		}
		if slices.Equal(ids, prev) {
			return all, nil
		}
		prev = ids
	}
}

// Notifications returns the account's notification feed (GET
// /user/notifications), newest first as Picarto sends it.
func (c *Client) Notifications(ctx context.Context) ([]Notification, error) {
	return c.NotificationsOfType(ctx, "")
}

// NotificationsOfType is Notifications filtered by Picarto to one type
// ("follow", "subscribe", "recordingCreate"); "" means all.
func (c *Client) NotificationsOfType(ctx context.Context, typ string) ([]Notification, error) {
	r := request{method: http.MethodGet, path: "/user/notifications", auth: authBearer}
	if typ != "" {
		r.query = url.Values{"type": {typ}}
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	var items lenientList[wireNotification]
	if err := json.Unmarshal(listBody(resp.body), &items); err != nil {
		return nil, fmt.Errorf("picarto: GET /user/notifications: %w", err)
	}
	out := make([]Notification, 0, len(items))
	for _, n := range items {
		out = append(out, Notification{
			Type: string(n.Type), UUID: string(n.UUID), Body: string(n.Body), Channel: string(n.Channel),
			URI: string(n.URI), Avatar: AbsoluteImageURL(string(n.Avatar)), HasIcon: bool(n.HasIcon),
			Timestamp: n.Timestamp.Time, Unread: bool(n.Unread),
		})
	}
	return out, nil
}

// Category is one entry of GET /categories (spec 3.3); total_views arrives
// as a string in real responses.
type Category struct {
	ID             int64
	Name           string
	Adult          bool
	TotalViews     int
	TotalViewers   int
	TotalChannels  int
	OnlineChannels int
	CreatedAt      time.Time
}

// Categories lists Picarto's categories (public).
func (c *Client) Categories(ctx context.Context) ([]Category, error) {
	resp, err := c.do(ctx, request{method: http.MethodGet, path: "/categories", auth: authNone})
	if err != nil {
		return nil, err
	}
	var items lenientList[struct {
		ID             FlexInt64  `json:"id"`
		Name           FlexString `json:"name"`
		Adult          FlexBool   `json:"adult"`
		TotalViews     FlexInt    `json:"total_views"`
		TotalViewers   FlexInt    `json:"total_viewers"`
		TotalChannels  FlexInt    `json:"total_channels"`
		OnlineChannels FlexInt    `json:"online_channels"`
		CreatedAt      FlexTime   `json:"created_at"`
	}]
	if err := json.Unmarshal(listBody(resp.body), &items); err != nil {
		return nil, fmt.Errorf("picarto: GET /categories: %w", err)
	}
	out := make([]Category, 0, len(items))
	for _, it := range items {
		out = append(out, Category{
			ID: int64(it.ID), Name: string(it.Name), Adult: bool(it.Adult), TotalViews: int(it.TotalViews),
			TotalViewers: int(it.TotalViewers), TotalChannels: int(it.TotalChannels),
			OnlineChannels: int(it.OnlineChannels), CreatedAt: it.CreatedAt.Time,
		})
	}
	return out, nil
}

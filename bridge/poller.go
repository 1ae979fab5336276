package bridge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// fullListEvery: besides whenever a count changes, the follower and
// subscriber lists are re-read every this many polls, a safety net for a
// change the counts did not show (one in, one out).
const fullListEvery = 4

// picartoAPI is the part of picarto.Client the poller and webhook
// registration use.
type picartoAPI interface {
	ChannelByName(ctx context.Context, name string) (*picarto.Channel, error)
	User(ctx context.Context) (*picarto.User, error)
	Followers(ctx context.Context) ([]picarto.Follower, error)
	Subscribers(ctx context.Context) ([]picarto.Follower, error)
	Notifications(ctx context.Context) ([]picarto.Notification, error)
	CreateWebhook(ctx context.Context, typ picarto.WebhookType, uri string) (string, error)
	ListWebhooks(ctx context.Context, channelID int64) ([]picarto.Webhook, error)
	DeleteWebhook(ctx context.Context, id string) error
}

// poller reads the channel every poll interval (contract section 3/4):
// counts and online state into globals, and new followers/subscribers into
// events. The first poll of a channel only sets a baseline, kept in the data
// directory so a restart neither re-alerts nor misses anyone.
type poller struct {
	b        *Bridge
	s        Settings
	api      picartoAPI
	stream   *streamMachine
	interval time.Duration

	n               int
	lastFollowers   int
	lastSubscribers int
}

func (p *poller) run(ctx context.Context) error {
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		p.pollOnce(ctx)
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

func (p *poller) pollOnce(ctx context.Context) {
	defer func() { p.n++ }()
	if p.s.Channel == "" && p.s.Bearer == "" {
		p.b.status.set(compPicarto, "not configured: set picartoChannelName and picartoBearer")
		return
	}
	ch, err := p.channel(ctx)
	if err != nil {
		if ctx.Err() == nil {
			p.reportError(err)
		}
		return
	}
	p.b.status.degrade(compPicarto, "")
	p.b.status.set(compPicarto, "ok")
	p.b.setChannelID(ch.UserID)
	sb := p.b.sbRunner()
	g := p.b.globals
	g.Set(ctx, sb, actions.GlobalChannelID, ch.UserID)
	g.Set(ctx, sb, actions.GlobalFollowerCount, ch.Followers)
	g.Set(ctx, sb, actions.GlobalSubCount, ch.Subscribers)
	g.Set(ctx, sb, actions.GlobalViewerCount, ch.Viewers)
	p.b.counts.Store(countsOf(ch))
	if err := p.stream.observe(ctx, streamObs{online: ch.Online, title: ch.Title,
		category: strings.Join(ch.Category, ", "), viewers: ch.Viewers}); err != nil && ctx.Err() == nil {
		p.b.log.Warn("stream state not saved", "err", err)
	}
	if p.s.Bearer == "" {
		return // the lists and the feed need the streamer's token
	}
	full := p.n%fullListEvery == 0 || ch.Followers != p.lastFollowers || ch.Subscribers != p.lastSubscribers
	if full {
		okF := p.diffList(ctx, ch, "followers", p.api.Followers, actions.KindFollow, actions.KindUnfollow)
		okS := p.diffList(ctx, ch, "subscribers", p.api.Subscribers, actions.KindSubscribe, actions.KindUnsubscribe)
		if okF {
			p.lastFollowers = ch.Followers
		}
		if okS {
			p.lastSubscribers = ch.Subscribers
		}
	}
	p.notifications(ctx, ch)
}

func (p *poller) channel(ctx context.Context) (*picarto.Channel, error) {
	if p.s.Channel != "" {
		return p.api.ChannelByName(ctx, p.s.Channel)
	}
	u, err := p.api.User(ctx)
	if err != nil {
		return nil, err
	}
	return &u.Channel, nil
}

func (p *poller) reportError(err error) {
	switch {
	case errors.Is(err, picarto.ErrUnauthorized):
		p.b.noteAPIError(err) // oauth.go: renew once when a refresh token is there
		p.b.status.degrade(compPicarto, "Picarto token invalid or expired")
		p.b.status.set(compPicarto, "token rejected: renew picartoBearer")
	case errors.Is(err, picarto.ErrNotFound):
		p.b.status.degrade(compPicarto, "Picarto channel not found")
		p.b.status.set(compPicarto, "channel not found: check picartoChannelName")
	default:
		p.b.status.set(compPicarto, "error: "+err.Error())
	}
	p.b.log.Warn("Picarto poll failed", "err", err)
}

// listRecord is a persisted follower or subscriber list: user id -> name.
type listRecord struct {
	Users map[string]string `json:"users"`
}

func (p *poller) diffList(ctx context.Context, ch *picarto.Channel, what string,
	fetch func(context.Context) ([]picarto.Follower, error), added, removed actions.Kind) bool {
	list, err := fetch(ctx)
	if err != nil {
		p.b.noteAPIError(err) // oauth.go: a 401 renews the token once
		if ctx.Err() == nil {
			p.b.log.Warn("Picarto list not read", "list", what, "err", err)
		}
		return false
	}
	key := fmt.Sprintf("%s:%d", what, ch.UserID)
	var old listRecord
	raw, err := p.b.store.GetState(key)
	baseline := err != nil || raw == nil || json.Unmarshal(raw, &old) != nil || old.Users == nil
	now := listRecord{Users: make(map[string]string, len(list))}
	byID := make(map[string]picarto.Follower, len(list))
	for _, f := range list {
		id := strconv.FormatInt(f.UserID, 10)
		now.Users[id] = f.Name
		byID[id] = f
	}
	// The list may be fresher than the channel's count (Picarto caches ~30 s).
	count := len(list)
	if added == actions.KindFollow {
		ch.Followers = max(ch.Followers, count)
	} else {
		ch.Subscribers = max(ch.Subscribers, count)
	}
	if !baseline {
		for id, f := range byID {
			if _, had := old.Users[id]; had {
				continue
			}
			ev := p.userEvent(added, ch, id, f.Name, f.Avatar)
			if err := p.b.emit(ctx, ev); err != nil {
				p.b.log.Error("event not queued; will retry next poll", "err", err)
				return false // keep the old list so the next poll tries again
			}
			p.setLast(added, f.Name)
		}
		for id, name := range old.Users {
			if _, still := now.Users[id]; still {
				continue
			}
			if err := p.b.emit(ctx, p.userEvent(removed, ch, id, name, "")); err != nil {
				p.b.log.Error("event not queued; will retry next poll", "err", err)
				return false
			}
		}
	}
	b, _ := json.Marshal(now)
	if err := p.b.store.PutState(key, b); err != nil {
		p.b.log.Error("list baseline not saved", "list", what, "err", err)
		return false
	}
	return true
}

func (p *poller) userEvent(kind actions.Kind, ch *picarto.Channel, id, name, avatar string) actions.Event {
	ev := actions.Event{Kind: kind, ID: fmt.Sprintf("poll-%s-%s", kind, id), CreatedAt: time.Now().UTC(),
		User: &actions.User{Display: name, Login: strings.ToLower(name), ID: id, Avatar: avatar}}
	switch kind {
	case actions.KindFollow:
		ev.FollowerCount = intPtr(ch.Followers)
	case actions.KindSubscribe:
		ev.SubCount = intPtr(ch.Subscribers)
	}
	return ev
}

func (p *poller) setLast(kind actions.Kind, name string) {
	switch kind {
	case actions.KindFollow:
		p.b.globals.SetLater(actions.GlobalLastFollower, name)
	case actions.KindSubscribe:
		p.b.globals.SetLater(actions.GlobalLastSubscriber, name)
	}
}

// notifRecord remembers which notification-feed entries were seen.
type notifRecord struct {
	Seen []string `json:"seen"`
}

const notifMemory = 500

func (p *poller) notifications(ctx context.Context, ch *picarto.Channel) {
	list, err := p.api.Notifications(ctx)
	if err != nil {
		p.b.noteAPIError(err) // oauth.go: a 401 renews the token once
		if ctx.Err() == nil {
			p.b.log.Debug("Picarto notifications not read", "err", err)
		}
		return
	}
	key := fmt.Sprintf("notifications:%d", ch.UserID)
	var old notifRecord
	raw, err := p.b.store.GetState(key)
	baseline := err != nil || raw == nil || json.Unmarshal(raw, &old) != nil
	seen := make(map[string]bool, len(old.Seen))
	for _, id := range old.Seen {
		seen[id] = true
	}
	for _, n := range list {
		id := n.UUID
		if id == "" {
			id = n.Type + ":" + n.Channel + ":" + strconv.FormatInt(n.Timestamp.Unix(), 10)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		old.Seen = append(old.Seen, id)
		// The feed's `channel` names the other party (spec 4.3); an entry
		// naming our own channel says nothing about who followed.
		if baseline || n.Channel == "" || strings.EqualFold(n.Channel, ch.Name) {
			continue
		}
		var kind actions.Kind
		switch strings.ToLower(n.Type) {
		case "follow":
			kind = actions.KindFollow
		case "subscribe":
			kind = actions.KindSubscribe
		default:
			continue
		}
		ev := p.userEvent(kind, ch, "", n.Channel, n.Avatar)
		ev.ID = "notification-" + id
		if err := p.b.emit(ctx, ev); err != nil {
			p.b.log.Error("event not queued; will retry next poll", "err", err)
			return
		}
		p.setLast(kind, n.Channel)
	}
	if len(old.Seen) > notifMemory {
		old.Seen = old.Seen[len(old.Seen)-notifMemory:]
	}
	b, _ := json.Marshal(old)
	if err := p.b.store.PutState(key, b); err != nil {
		p.b.log.Error("notification baseline not saved", "err", err)
	}
}

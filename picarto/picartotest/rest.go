package picartotest

import (
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// AddChannel adds or replaces a channel fixture (lists are kept on replace).
func (a *API) AddChannel(ch Channel) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := &apiChannel{Channel: ch}
	if old, ok := a.channels[ch.ID]; ok {
		c.followers, c.subscribers, c.notifications = old.followers, old.subscribers, old.notifications
		delete(a.byName, strings.ToLower(old.Name))
	}
	c.withDefaults()
	a.channels[ch.ID] = c
	a.byName[strings.ToLower(ch.Name)] = ch.ID
	if a.oauthUser == 0 {
		a.oauthUser = ch.ID
	}
}

// AddFollower makes f follow the channel (newest first in the list) and adds
// a "follow" notification. A user already following is left as is.
func (a *API) AddFollower(channelID int64, f User) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.channels[channelID]
	if c == nil || slices.ContainsFunc(c.followers, func(u User) bool { return u.ID == f.ID }) {
		return
	}
	c.followers = append([]User{f}, c.followers...)
	a.notifyLocked(c, "follow", f, f.Name+" followed you!")
}

// RemoveFollower removes a follower (Picarto sends no notification for it).
func (a *API) RemoveFollower(channelID int64, userID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.channels[channelID]; c != nil {
		c.followers = slices.DeleteFunc(c.followers, func(u User) bool { return u.ID == userID })
	}
}

// AddSubscriber makes s subscribe to the channel and adds a "subscribe"
// notification.
func (a *API) AddSubscriber(channelID int64, s User) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.channels[channelID]
	if c == nil || slices.ContainsFunc(c.subscribers, func(u User) bool { return u.ID == s.ID }) {
		return
	}
	c.subscribers = append([]User{s}, c.subscribers...)
	a.notifyLocked(c, "subscribe", s, s.Name+" subscribed to you!")
}

// RemoveSubscriber ends a subscription.
func (a *API) RemoveSubscriber(channelID int64, userID int64) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if c := a.channels[channelID]; c != nil {
		c.subscribers = slices.DeleteFunc(c.subscribers, func(u User) bool { return u.ID == userID })
	}
}

// SetOnline changes a channel's live state; going offline sets last_live.
func (a *API) SetOnline(channelID int64, online bool, title string, viewers int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.channels[channelID]
	if c == nil {
		return
	}
	if c.Online && !online {
		c.LastLive = time.Now().UTC()
	}
	c.Online, c.Viewers = online, viewers
	if title != "" {
		c.Title = title
	}
}

func (a *API) notifyLocked(c *apiChannel, typ string, u User, body string) {
	a.notifySeq++
	avatar := u.Avatar
	if avatar == "" {
		avatar = "https://images.picarto.tv/ptvimages/" + apiItoa(u.ID) + "/avatars/a.jpg"
	}
	c.notifications = append([]map[string]any{{
		"type": typ, "uuid": apiUUID(), "body": body, "channel": u.Name,
		"uri": "https://picarto.tv/" + u.Name, "hasIcon": true, "avatar": avatar,
		"timestamp": time.Now().Unix(), "unread": true,
	}}, c.notifications...)
}

// restMux routes the REST paths (below the version prefix).
func (a *API) restMux() *http.ServeMux {
	m := http.NewServeMux()
	m.HandleFunc("GET /channel/name/{name}", a.getChannel)
	m.HandleFunc("GET /channel/id/{id}", a.getChannel)
	m.HandleFunc("GET /channel/{kind}/{key}/videos", a.getVideos)
	m.HandleFunc("GET /online", a.getOnline)
	m.HandleFunc("GET /categories", func(w http.ResponseWriter, r *http.Request) { apiJSON(w, 200, categories()) })
	m.HandleFunc("GET /search/channels", a.searchChannels)
	m.HandleFunc("GET /search/videos", func(w http.ResponseWriter, r *http.Request) {
		if strings.TrimSpace(r.URL.Query().Get("q")) == "" {
			apiMessage(w, http.StatusBadRequest, "The q field is required.")
			return
		}
		apiJSON(w, http.StatusOK, []any{}) // the fake holds no recordings
	})
	m.HandleFunc("GET /user", a.getUser)
	for _, l := range []string{"followers", "subscribers", "following", "subscriptions"} {
		m.HandleFunc("GET /user/"+l, a.userList(l))
	}
	m.HandleFunc("GET /user/notifications", a.getNotifications)
	m.HandleFunc("POST /user/notifications/{uuid}/{op}", a.changeNotifications)
	m.HandleFunc("POST /webhooks", a.createWebhook)
	m.HandleFunc("GET /webhooks", a.listWebhooks)
	m.HandleFunc("GET /webhooks/{id}", a.getWebhook)
	m.HandleFunc("PUT /webhooks/{id}", a.updateWebhook)
	m.HandleFunc("DELETE /webhooks/{id}", a.deleteWebhook)
	m.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { apiMessage(w, http.StatusNotFound, "Not Found") })
	return m
}

// lookupChannel resolves {name} (case-insensitive) or {id}; mu held.
func (a *API) lookupChannelLocked(r *http.Request) (*apiChannel, bool) {
	if name := r.PathValue("name"); name != "" {
		return a.channels[a.byName[strings.ToLower(name)]], true
	}
	key := r.PathValue("id")
	if r.PathValue("kind") != "" {
		key = r.PathValue("key")
		if r.PathValue("kind") == "name" {
			return a.channels[a.byName[strings.ToLower(key)]], true
		}
	}
	id, err := strconv.ParseInt(key, 10, 64)
	if err != nil {
		return nil, false
	}
	return a.channels[id], true
}

func (a *API) getChannel(w http.ResponseWriter, r *http.Request) {
	tok, _ := a.optionalToken(r)
	a.mu.Lock()
	c, ok := a.lookupChannelLocked(r)
	var body map[string]any
	if c != nil {
		body = c.render()
		if tok != nil {
			body["following"] = slices.ContainsFunc(c.followers, func(u User) bool { return u.ID == tok.channelID })
		}
	}
	a.mu.Unlock()
	switch {
	case !ok:
		apiMessage(w, http.StatusBadRequest, "Bad request")
	case c == nil:
		apiMessage(w, http.StatusNotFound, "Channel does not exist")
	default:
		apiJSON(w, http.StatusOK, body)
	}
}

func (a *API) getVideos(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	c, ok := a.lookupChannelLocked(r)
	a.mu.Unlock()
	switch {
	case !ok || (r.PathValue("kind") != "id" && r.PathValue("kind") != "name"):
		apiMessage(w, http.StatusBadRequest, "Bad request")
	case c == nil:
		apiMessage(w, http.StatusNotFound, "Channel does not exist")
	default:
		apiJSON(w, http.StatusOK, []any{})
	}
}

// getOnline lists live channels; category is a string and multistream a
// bool here (spec 3.2). Accepts category or categories.
func (a *API) getOnline(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	adult, gaming := q.Get("adult") == "true", q.Get("gaming") == "true"
	cats := q.Get("category")
	if cats == "" {
		cats = q.Get("categories")
	}
	a.mu.Lock()
	out := []map[string]any{}
	for _, c := range a.sortedChannelsLocked() {
		if !c.Online || (c.Adult && !adult) || (c.Gaming && !gaming) || !matchCategory(c.Category, cats) {
			continue
		}
		item := c.search()
		item["title"], item["viewers"], item["category"] = c.Title, c.Viewers, strings.Join(c.Category, ", ")
		item["account_type"], item["adult"], item["gaming"] = c.AccountType, c.Adult, c.Gaming
		item["commissions"], item["multistream"], item["languages"] = c.Commissions, false, []any{}
		item["thumbnails"] = c.render()["thumbnails"]
		out = append(out, item)
	}
	a.mu.Unlock()
	apiJSON(w, http.StatusOK, out)
}

func matchCategory(have []string, want string) bool {
	if strings.TrimSpace(want) == "" {
		return true
	}
	for _, w := range strings.Split(want, ",") {
		if slices.ContainsFunc(have, func(h string) bool { return strings.EqualFold(h, strings.TrimSpace(w)) }) {
			return true
		}
	}
	return false
}

func (a *API) searchChannels(w http.ResponseWriter, r *http.Request) {
	q := strings.ToLower(strings.TrimSpace(r.URL.Query().Get("q")))
	if q == "" {
		apiMessage(w, http.StatusBadRequest, "The q field is required.")
		return
	}
	a.mu.Lock()
	var all []map[string]any
	for _, c := range a.sortedChannelsLocked() {
		if strings.Contains(strings.ToLower(c.Name), q) {
			all = append(all, c.search())
		}
	}
	a.mu.Unlock()
	apiJSON(w, http.StatusOK, a.page(r, all))
}

func (a *API) sortedChannelsLocked() []*apiChannel {
	out := make([]*apiChannel, 0, len(a.channels))
	for _, c := range a.channels {
		out = append(out, c)
	}
	slices.SortFunc(out, func(x, y *apiChannel) int { return int(x.ID - y.ID) })
	return out
}

// page returns ?page=n (1-based, default 1) of items: an empty array past
// the end.
func (a *API) page(r *http.Request, items []map[string]any) []map[string]any {
	n, err := strconv.Atoi(r.URL.Query().Get("page"))
	if err != nil || n < 1 {
		n = 1
	}
	lo := (n - 1) * a.opts.PageSize
	if lo >= len(items) {
		return []map[string]any{}
	}
	return items[lo:min(lo+a.opts.PageSize, len(items))]
}

func (a *API) getUser(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.requireToken(w, r, scopeReadPriv)
	if !ok {
		return
	}
	a.mu.Lock()
	c := a.channels[tok.channelID]
	var body map[string]any
	if c != nil {
		body = c.renderUser()
	}
	a.mu.Unlock()
	if c == nil {
		apiMessage(w, http.StatusNotFound, "This user does not exist")
		return
	}
	apiJSON(w, http.StatusOK, body)
}

// apiUUID returns a random UUID-shaped id.
func apiUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

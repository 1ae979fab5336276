package picartotest

import (
	"net/http"
	"slices"
	"time"
)

// userList serves /user/{followers,subscribers,following,subscriptions}
// (spec 4.2): readpriv, ?page and ?priority_online, fixed page size, an
// empty array past the end.
func (a *API) userList(list string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		tok, ok := a.requireToken(w, r, scopeReadPriv)
		if !ok {
			return
		}
		a.mu.Lock()
		c := a.channels[tok.channelID]
		if c == nil {
			a.mu.Unlock()
			apiMessage(w, http.StatusNotFound, "This user does not exist")
			return
		}
		var items []map[string]any
		switch list {
		case "followers", "subscribers":
			users := c.followers
			if list == "subscribers" {
				users = c.subscribers
			}
			for _, u := range users {
				items = append(items, a.followerItemLocked(c, u))
			}
		default: // channels the token's user follows or subscribes to
			for _, other := range a.sortedChannelsLocked() {
				users := other.followers
				if list == "subscriptions" {
					users = other.subscribers
				}
				if slices.ContainsFunc(users, func(u User) bool { return u.ID == c.ID }) {
					item := other.search()
					item["notifications"] = map[string]any{"email": false, "app": true}
					items = append(items, item)
				}
			}
		}
		a.mu.Unlock()
		if r.URL.Query().Get("priority_online") == "true" {
			slices.SortStableFunc(items, func(x, y map[string]any) int {
				return boolRank(y["online"]) - boolRank(x["online"])
			})
		}
		apiJSON(w, http.StatusOK, a.page(r, items))
	}
}

func boolRank(v any) int {
	if b, _ := v.(bool); b {
		return 1
	}
	return 0
}

// followerItemLocked is one /user/followers entry.
func (a *API) followerItemLocked(c *apiChannel, u User) map[string]any {
	avatar := u.Avatar
	if avatar == "" {
		avatar = "https://images.picarto.tv/ptvimages/" + apiItoa(u.ID) + "/avatars/a.jpg"
	}
	online := false
	if uc := a.channels[u.ID]; uc != nil {
		online = uc.Online
	}
	sub := slices.ContainsFunc(c.subscribers, func(s User) bool { return s.ID == u.ID })
	var expires any
	if sub {
		expires = time.Now().UTC().AddDate(0, 1, 0).Format(liveLayout)
	}
	return map[string]any{
		"user_id": u.ID, "name": u.Name, "avatar": avatar, "online": online,
		"subscriber": sub, "subscribe_can_expire": sub, "subscribe_expires": expires,
	}
}

// getNotifications serves the feed, newest first, optionally ?type=.
func (a *API) getNotifications(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.requireToken(w, r, scopeReadPriv)
	if !ok {
		return
	}
	typ := r.URL.Query().Get("type")
	if typ != "" && typ != "follow" && typ != "subscribe" && typ != "recordingCreate" {
		apiMessage(w, http.StatusBadRequest, "Invalid notification type")
		return
	}
	a.mu.Lock()
	out := []map[string]any{}
	if c := a.channels[tok.channelID]; c != nil {
		for _, n := range c.notifications {
			if typ == "" || n["type"] == typ {
				cp := make(map[string]any, len(n))
				for k, v := range n {
					cp[k] = v
				}
				out = append(out, cp)
			}
		}
	}
	a.mu.Unlock()
	apiJSON(w, http.StatusOK, out)
}

// changeNotifications serves POST /user/notifications/{uuid|all}/{read|delete}.
func (a *API) changeNotifications(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.requireToken(w, r, scopeWrite)
	if !ok {
		return
	}
	id, op := r.PathValue("uuid"), r.PathValue("op")
	if op != "read" && op != "delete" {
		apiMessage(w, http.StatusNotFound, "Not Found")
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	c := a.channels[tok.channelID]
	if c == nil {
		apiMessage(w, http.StatusNotFound, "This user does not exist")
		return
	}
	found := false
	kept := c.notifications[:0]
	for _, n := range c.notifications {
		match := id == "all" || n["uuid"] == id
		found = found || match
		switch {
		case match && op == "delete":
			continue
		case match:
			n["unread"] = false
		}
		kept = append(kept, n)
	}
	c.notifications = kept
	if !found && id != "all" {
		apiMessage(w, http.StatusNotFound, "Notification does not exist")
		return
	}
	apiJSON(w, http.StatusOK, map[string]any{"message": "OK"})
}

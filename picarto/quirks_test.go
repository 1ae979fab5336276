package picarto_test

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// fixtureServer answers each path with a file from testdata/.
func fixtureServer(t *testing.T, routes map[string]string) *picarto.Client {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		key := r.URL.Path
		if p := r.URL.Query().Get("page"); p != "" {
			key += "?page=" + p
		}
		file, ok := routes[key]
		if !ok {
			w.WriteHeader(http.StatusNotFound)
			_, _ = w.Write([]byte(`{"message":"Channel does not exist"}`))
			return
		}
		b, err := os.ReadFile(filepath.Join("testdata", file))
		if err != nil {
			t.Errorf("fixture: %v", err)
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(b)
	}))
	t.Cleanup(srv.Close)
	return picarto.NewClient(picarto.Config{BaseURL: srv.URL + "/api/v1", Token: apiToken,
		ClientID: apiClientID, ClientSecret: apiClientSecret})
}

func TestRecordedShapes(t *testing.T) {
	c := fixtureServer(t, map[string]string{
		"/api/v1/channel/name/Goat":     "channel_real.json",
		"/api/v1/channel/name/quirks":   "channel_quirks.json",
		"/api/v1/channel/id/42":         "channel_nulls.json",
		"/api/v1/user":                  "user_array.json",
		"/api/v1/user/followers?page=1": "followers_page1.json",
		"/api/v1/user/followers?page=2": "followers_page2.json",
		"/api/v1/user/followers?page=3": "followers_page3.json",
		"/api/v1/user/notifications":    "notifications.json",
		"/api/v1/webhooks":              "webhooks_list.json",
		"/api/v1/categories":            "categories.json",
	})
	ctx := testCtx(t, 10*time.Second)

	t.Run("real sample", func(t *testing.T) {
		ch, err := c.ChannelByName(ctx, "Goat")
		if err != nil {
			t.Fatal(err)
		}
		want := time.Date(2022, 4, 20, 21, 10, 13, 0, time.UTC)
		if ch.UserID != 15623 || ch.Followers != 1621 || ch.AccountType != "premium" || ch.Category[0] != "Furry" ||
			ch.ChatSettings.Level != 0 || ch.LastLive == nil || !ch.LastLive.Equal(want) ||
			ch.Following == nil || *ch.Following || len(ch.Multistream) != 1 || ch.Multistream[0].UserID != 11042 ||
			ch.Languages[0].Name != "English" || ch.Thumbnails.Web == "" || len(ch.Tags) != 2 ||
			!ch.CreationDate.Equal(time.Date(2016, 4, 26, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("decoded %+v", ch)
		}
	})
	t.Run("quirks", func(t *testing.T) {
		ch, err := c.ChannelByName(ctx, "quirks")
		if err != nil {
			t.Fatal(err)
		}
		if ch.UserID != 15623 || !ch.Online || ch.Viewers != 7 || ch.ViewersTotal != 202921 || ch.Followers != 1621 ||
			!ch.Adult || len(ch.Category) != 1 || ch.Category[0] != "Animation" || ch.AccountType != "premium" {
			t.Errorf("scalars %+v", ch)
		}
		if !ch.ChatSettings.GuestChat || !ch.ChatSettings.Links || ch.ChatSettings.Level != 3 {
			t.Errorf("chat settings %+v", ch.ChatSettings)
		}
		if ch.LastLive == nil || !ch.LastLive.Equal(time.Date(2023, 1, 2, 3, 4, 5, 0, time.UTC)) {
			t.Errorf("last_live %v", ch.LastLive)
		}
		if ch.Avatar != "https://images.picarto.tv/ptvimages/15623/avatars/b.png" || len(ch.Tags) != 1 {
			t.Errorf("avatar %q tags %v", ch.Avatar, ch.Tags)
		}
		if len(ch.Multistream) != 1 || ch.Multistream[0].UserID != 11042 || ch.Languages[0].ID != 19 {
			t.Errorf("lists %+v %+v", ch.Multistream, ch.Languages)
		}
	})
	t.Run("nulls", func(t *testing.T) {
		ch, err := c.ChannelByID(ctx, 42)
		if err != nil {
			t.Fatal(err)
		}
		if ch.LastLive != nil || ch.Category != nil || ch.ChatSettings.Level != 1 || ch.Multistream != nil ||
			ch.AccountType != "free" || ch.Following != nil {
			t.Errorf("decoded %+v", ch)
		}
	})
	t.Run("user as array", func(t *testing.T) {
		u, err := c.User(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if u.Channel.UserID != 15623 || u.Channel.AccountType != "basic" || u.Channel.ChatSettings.Level != 2 ||
			u.Channel.LastLive == nil || u.Email != "goat@example.com" || u.PrivateKey.Reveal() != "pk-secret-123" || !u.NSFWEnabled {
			t.Errorf("user %+v", u)
		}
	})
	t.Run("followers pages", func(t *testing.T) {
		fs, err := c.Followers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 4 || fs[1].UserID != 502 || fs[1].Avatar != "https://images.picarto.tv/ptvimages/502/b.jpg" ||
			!fs[0].Subscriber || fs[0].SubscribeExpires == nil || fs[1].SubscribeExpires != nil || fs[2].Subscriber ||
			fs[3].Name != "Delta" {
			t.Errorf("followers %+v", fs)
		}
	})
	t.Run("notifications", func(t *testing.T) {
		ns, err := c.Notifications(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ns) != 3 || !ns[0].Timestamp.Equal(time.Unix(1700000000, 0)) || !ns[1].Timestamp.Equal(time.Unix(1700000100, 0)) ||
			!ns[2].Timestamp.Equal(time.Unix(1700000200, 0)) || !ns[2].Unread || ns[1].Unread || !ns[0].HasIcon {
			t.Errorf("notifications %+v", ns)
		}
	})
	t.Run("webhooks", func(t *testing.T) {
		hs, err := c.ListWebhooks(ctx, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(hs) != 3 || hs[1].ID != "124" || hs[1].Type != picarto.WebhookOnline || hs[1].ChannelID != 15623 ||
			hs[2].ChannelName != "Goat" || hs[2].ChannelID != 15623 || hs[0].ChannelName != "Goat" {
			t.Errorf("webhooks %+v", hs)
		}
	})
	t.Run("categories", func(t *testing.T) {
		cs, err := c.Categories(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(cs) != 2 || cs[0].TotalViews != 82 || cs[1].TotalViews != 164 || cs[0].CreatedAt.IsZero() || cs[1].CreatedAt.IsZero() {
			t.Errorf("categories %+v", cs)
		}
	})
}

// A server that ignores ?page would repeat page 1 forever: the client stops.
func TestPagingServerIgnoresPage(t *testing.T) {
	var hits atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = w.Write([]byte(`[{"user_id":1,"name":"a"},{"user_id":2,"name":"b"}]`))
	}))
	defer srv.Close()
	c := picarto.NewClient(picarto.Config{BaseURL: srv.URL, Token: apiToken})
	fs, err := c.Subscribers(testCtx(t, 5*time.Second))
	if err != nil || len(fs) != 2 || hits.Load() != 2 {
		t.Errorf("got %d subscribers in %d requests, err %v", len(fs), hits.Load(), err)
	}
}

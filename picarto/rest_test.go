package picarto_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

func TestChannelEndpoints(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	ctx := testCtx(t, 10*time.Second)
	e.fake.AddFollower(apiChannelID, picartotest.User{ID: 7, Name: "Fan"})
	e.fake.AddChannel(picartotest.Channel{ID: 7, Name: "Fan"})
	e.fake.AddFollower(7, picartotest.User{ID: apiChannelID, Name: "Goat"})
	e.fake.SetOnline(apiChannelID, true, "live now", 12)

	for _, name := range []string{"Goat", "goat", "GOAT"} {
		ch, err := e.c.ChannelByName(ctx, name)
		if err != nil {
			t.Fatalf("ChannelByName(%q): %v", name, err)
		}
		if ch.Name != "Goat" || ch.UserID != apiChannelID {
			t.Errorf("ChannelByName(%q) = %+v", name, ch)
		}
	}
	ch, err := e.c.ChannelByID(ctx, apiChannelID)
	if err != nil {
		t.Fatal(err)
	}
	if !ch.Online || ch.Viewers != 12 || ch.Title != "live now" || ch.Followers != 1 {
		t.Errorf("online state not decoded: %+v", ch)
	}
	if ch.AccountType != "premium" || len(ch.Category) != 1 || ch.Category[0] != "Furry" {
		t.Errorf("quirks: account_type %q category %v", ch.AccountType, ch.Category)
	}
	if ch.ChatSettings.Level != 0 || ch.LastLive == nil || !ch.LastLive.Equal(time.Date(2022, 4, 20, 21, 10, 13, 0, time.UTC)) {
		t.Errorf("level %d last_live %v", ch.ChatSettings.Level, ch.LastLive)
	}
	if ch.CreationDate.IsZero() || ch.ViewersTotal != 202921 || !ch.Adult {
		t.Errorf("details: %+v", ch)
	}
	// following: only with a valid token; Goat follows Fan.
	fan, err := e.c.ChannelByName(ctx, "fan")
	if err != nil {
		t.Fatal(err)
	}
	if fan.Following == nil || !*fan.Following {
		t.Errorf("Following = %v, want true", fan.Following)
	}
	anon := picarto.NewClient(picarto.Config{BaseURL: e.fake.URL()})
	if fan, err = anon.ChannelByName(ctx, "fan"); err != nil || fan.Following != nil {
		t.Errorf("anonymous: following %v err %v", fan, err)
	}

	_, err = e.c.ChannelByName(ctx, "nobody")
	var ae *picarto.APIError
	if !errors.Is(err, picarto.ErrNotFound) || !errors.As(err, &ae) || ae.Status != 404 || ae.Message != "Channel does not exist" {
		t.Errorf("unknown channel: %v", err)
	}
	if _, err := e.c.ChannelByID(ctx, 999999); !errors.Is(err, picarto.ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
}

func TestLegacyBaseURL(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	c := picarto.NewClient(picarto.Config{BaseURL: e.fake.LegacyURL() + "/", Token: apiToken})
	u, err := c.User(testCtx(t, 5*time.Second))
	if err != nil || u.Channel.Name != "Goat" {
		t.Fatalf("User via /v1: %+v %v", u, err)
	}
	if got := e.fake.Requests()[0].Path; got != "/user" {
		t.Errorf("path at the fake = %q", got)
	}
}

func TestUser(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	ctx := testCtx(t, 5*time.Second)
	u, err := e.c.User(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if u.Channel.UserID != apiChannelID || u.Channel.Name != "Goat" || u.Email != "goat@example.com" {
		t.Errorf("user = %+v", u)
	}
	if u.PrivateKey.IsZero() || fmt.Sprint(u.PrivateKey) != "REDACTED" {
		t.Errorf("private key not kept as a secret: %v", u.PrivateKey)
	}
}

func TestAuthErrors(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	ctx := testCtx(t, 5*time.Second)
	for _, tc := range []struct {
		name  string
		token string
		want  error
	}{
		{"bad token", "not-a-token", picarto.ErrUnauthorized},
		{"low scope", apiLowToken, picarto.ErrForbidden},
	} {
		c := picarto.NewClient(picarto.Config{BaseURL: e.fake.URL(), Token: picartoSecret(tc.token)})
		_, err := c.User(ctx)
		if !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		if tc.want == picarto.ErrUnauthorized && !strings.Contains(err.Error(), "invalid or expired") {
			t.Errorf("401 text does not say the token is invalid or expired: %v", err)
		}
		if tc.want == picarto.ErrUnauthorized && !strings.Contains(err.Error(), "Unauthenticated.") {
			t.Errorf("401 text lost Picarto's message: %v", err)
		}
	}
	c := picarto.NewClient(picarto.Config{BaseURL: e.fake.URL()})
	if _, err := c.Followers(ctx); err == nil || !strings.Contains(err.Error(), "no Bearer token") {
		t.Errorf("no token: %v", err)
	}
	e.fake.ExpireToken(apiToken)
	if _, err := e.c.User(ctx); !errors.Is(err, picarto.ErrUnauthorized) {
		t.Errorf("expired token: %v", err)
	}
	e.c.SetToken(apiLowToken)
	if _, err := e.c.ChannelByName(ctx, "goat"); err != nil {
		t.Errorf("public endpoint with a readpub token: %v", err)
	}
}

func TestFollowersAllPages(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{PageSize: 5}, picarto.Config{})
	ctx := testCtx(t, 10*time.Second)
	for i := 1; i <= 12; i++ {
		e.fake.AddFollower(apiChannelID, picartotest.User{ID: int64(100 + i), Name: fmt.Sprintf("Fan%d", i)})
	}
	for i := 1; i <= 3; i++ {
		e.fake.AddSubscriber(apiChannelID, picartotest.User{ID: int64(100 + i), Name: fmt.Sprintf("Fan%d", i)})
	}
	fs, err := e.c.Followers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(fs) != 12 || fs[0].Name != "Fan12" || fs[11].Name != "Fan1" {
		t.Fatalf("followers = %d, first %+v", len(fs), fs[0])
	}
	pages := 0
	for _, r := range e.fake.Requests() {
		if r.Path == "/user/followers" {
			pages++
		}
	}
	if pages != 4 { // 5 + 5 + 2 + the empty page
		t.Errorf("follower pages requested = %d, want 4", pages)
	}
	subs, err := e.c.Subscribers(ctx)
	if err != nil || len(subs) != 3 || !subs[0].Subscriber || subs[0].SubscribeExpires == nil {
		t.Fatalf("subscribers = %+v, %v", subs, err)
	}
	subCount := 0
	for _, f := range fs {
		if f.Subscriber {
			subCount++
		}
	}
	if subCount != 3 {
		t.Errorf("followers marked subscriber = %d, want 3", subCount)
	}
}

func TestMaxPagesGuard(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{PageSize: 1}, picarto.Config{MaxPages: 3})
	for i := 1; i <= 5; i++ {
		e.fake.AddFollower(apiChannelID, picartotest.User{ID: int64(i), Name: fmt.Sprint("f", i)})
	}
	fs, err := e.c.Followers(testCtx(t, 5*time.Second))
	if err == nil || len(fs) != 3 {
		t.Fatalf("got %d followers, err %v; want 3 and an error", len(fs), err)
	}
}

func TestNotifications(t *testing.T) {
	e := newAPIEnv(t, picartotest.APIOptions{}, picarto.Config{})
	ctx := testCtx(t, 5*time.Second)
	e.fake.AddFollower(apiChannelID, picartotest.User{ID: 5, Name: "Alpha"})
	e.fake.AddSubscriber(apiChannelID, picartotest.User{ID: 6, Name: "Beta"})
	ns, err := e.c.Notifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 || ns[0].Type != "subscribe" || ns[0].Channel != "Beta" || ns[1].Type != "follow" {
		t.Fatalf("notifications = %+v", ns)
	}
	if ns[1].UUID == "" || !ns[1].Unread || time.Since(ns[1].Timestamp) > time.Minute || ns[1].Avatar == "" {
		t.Errorf("notification fields: %+v", ns[1])
	}
	only, err := e.c.NotificationsOfType(ctx, "follow")
	if err != nil || len(only) != 1 || only[0].Channel != "Alpha" {
		t.Errorf("follow only: %+v %v", only, err)
	}
}

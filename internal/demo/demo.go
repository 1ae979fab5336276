// Package demo runs picarto-bridge against in-process fakes of Streamer.bot
// and Picarto and plays a short stream, printing what Streamer.bot receives.
// It is `picarto-bridge demo`: a newcomer sees the whole product with neither
// Streamer.bot nor a Picarto account.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/bridge"
	"github.com/picarto-bridge/picarto-bridge/internal/config"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

// Fixture values of the demo channel.
const (
	channelID   = 4242
	channelName = "DemoArtist"
	bearer      = "demo-bearer-token"
	chatToken   = "demo-chat-token"
	clientID    = "demo-client"
	clientSec   = "demo-client-secret"
)

// Options configure Run.
type Options struct {
	// Out receives the narration: what Streamer.bot received, step by step.
	Out io.Writer
	// Log receives the bridge's own log lines (nil: discarded).
	Log *slog.Logger
	// StepTimeout bounds each scripted step (default 20s).
	StepTimeout time.Duration
}

// Run plays the demo and returns nil when every step was seen in Streamer.bot.
func Run(ctx context.Context, opts Options) error {
	if opts.StepTimeout == 0 {
		opts.StepTimeout = 20 * time.Second
	}
	log := opts.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	out := opts.Out
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }

	sb, err := sbtest.New(sbtest.Options{})
	if err != nil {
		return fmt.Errorf("demo: start fake Streamer.bot: %w", err)
	}
	defer sb.Close()
	sb.AddSetGlobalAction(actions.SetGlobalAction)
	for _, k := range actions.AllKinds() {
		sb.AddAction(actions.ActionName(k))
	}
	sb.SetGlobal(actions.GlobalChannelName, channelName, true)
	sb.SetGlobal(actions.GlobalBearer, bearer, true)
	sb.SetGlobal(actions.GlobalChannelToken, chatToken, true)
	sb.SetGlobal(actions.GlobalClientID, clientID, true)
	sb.SetGlobal(actions.GlobalClientToken, clientSec, true)

	api, err := picartotest.NewAPI(picartotest.APIOptions{})
	if err != nil {
		return fmt.Errorf("demo: start fake Picarto: %w", err)
	}
	defer api.Close()
	api.AddChannel(picartotest.Channel{ID: channelID, Name: channelName})
	api.AddToken(bearer, channelID, "readpub", "readpriv", "write")
	api.AddApp(clientID, clientSec, "http://localhost/oauth/callback")
	api.AddFollower(channelID, picartotest.User{ID: 1001, Name: "EarlyBird"})

	chat, err := picartotest.NewChatServer(picartotest.ChatOptions{})
	if err != nil {
		return fmt.Errorf("demo: start fake Picarto chat: %w", err)
	}
	defer chat.Close()
	chat.AddBot(strings.ToLower(channelName), chatToken, channelID, channelName)

	alerts, err := picartotest.NewAlertsServer(picartotest.AlertsOptions{})
	if err != nil {
		return fmt.Errorf("demo: start fake Picarto alert box: %w", err)
	}
	defer alerts.Close()
	alerts.AddChannel(channelID, channelName)

	port, err := freePort()
	if err != nil {
		return err
	}
	dataDir, err := os.MkdirTemp("", "picarto-bridge-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dataDir)
	cfg, err := config.Parse(map[string]string{
		"SB_WS_URL":            sb.URL(),
		"PICARTO_API_URL":      api.URL(),
		"PICARTO_OAUTH_URL":    api.OAuthURL(),
		"PICARTO_CHAT_URL":     chat.URL(),
		"PICARTO_INTERNAL_URL": alerts.GraphQLURL(),
		"PICARTO_ALERTS_URL":   alerts.WidgetURL(),
		"BRIDGE_PORT":          strconv.Itoa(port),
		"BRIDGE_DATA_DIR":      dataDir,
		"BRIDGE_POLL_INTERVAL": "5s",
	})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}

	say("picarto-bridge demo: fake Streamer.bot at %s, fake Picarto at %s", sb.URL(), api.URL())
	bctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg conc.WaitGroup
	bridgeErr := make(chan error, 1)
	wg.Go(func() { bridgeErr <- bridge.Run(bctx, bridge.Options{Config: cfg, Logger: log, Version: "demo"}) })
	defer wg.Wait()
	defer stop()

	w := &watcher{sb: sb, out: out, timeout: opts.StepTimeout}
	steps := []struct {
		title string
		do    func() error
		want  string
	}{
		{"the bridge starts and writes the channel globals", nil, ""},
		{"a viewer follows (seen by polling)", func() error {
			api.AddFollower(channelID, picartotest.User{ID: 2001, Name: "NewFan", Avatar: "https://images.picarto.tv/demo/newfan.png"})
			return nil
		}, actions.ActionName(actions.KindFollow)},
		{"a viewer subscribes", func() error {
			api.AddSubscriber(channelID, picartotest.User{ID: 2002, Name: "BigSupporter"})
			return nil
		}, actions.ActionName(actions.KindSubscribe)},
		{"the stream goes live", func() error {
			api.SetOnline(channelID, true, "Painting a dragon", 12)
			return nil
		}, actions.ActionName(actions.KindOnline)},
		{"two chat lines", func() error {
			chat.Say(picartotest.ChatLine{UserID: 2001, Name: "NewFan", Text: "hello!"})
			chat.Say(picartotest.ChatLine{UserID: 2003, Name: "Lurker", Text: "love the colours"})
			return nil
		}, actions.ActionName(actions.KindChat)},
		{"the alert-box socket is turned on (picartoAlerts = True) and a Kudos tip arrives", func() error {
			sb.SetGlobal(actions.GlobalAlerts, "True", true)
			return waitOpen(ctx, alerts, opts.StepTimeout, func() {
				alerts.Tip(picartotest.AlertDialectShort, "GenerousFan", 500, "for the dragon!")
			})
		}, actions.ActionName(actions.KindTip)},
		{"webhooks are registered (picartoInit = True)", func() error {
			sb.SetGlobal(actions.GlobalInit, "True", false)
			return nil
		}, ""},
		{"Streamer.bot restarts mid-stream; a follow arrives by webhook meanwhile", func() error {
			if err := sb.Stop(); err != nil {
				return err
			}
			_, err := api.FireWebhook(ctx, "follow", map[string]any{"user": "WebhookFriend", "user_id": 3001}, false)
			if startErr := sb.Start(); startErr != nil {
				return startErr
			}
			return err
		}, actions.ActionName(actions.KindFollow)},
	}
	for i, st := range steps {
		say("\n[%d/%d] %s", i+1, len(steps), st.title)
		mark := w.mark()
		if st.do != nil {
			if err := st.do(); err != nil {
				return fmt.Errorf("demo: step %d: %w", i+1, err)
			}
		}
		if st.want == "" {
			global := actions.GlobalChannelID
			if i > 0 {
				global = actions.HookGlobal("event_end")
			}
			if err := w.waitGlobal(ctx, global); err != nil {
				return fmt.Errorf("demo: step %d (%s): %w", i+1, st.title, err)
			}
			if i == 0 {
				// The first poll ends with the notification feed: then the
				// follower baseline is set and new followers alert.
				if err := w.waitRequest(ctx, api, "/user/notifications"); err != nil {
					return fmt.Errorf("demo: step 1: %w", err)
				}
			}
			continue
		}
		want := 1
		if strings.HasPrefix(st.title, "two") {
			want = 2
		}
		if err := w.waitAction(ctx, mark, st.want, want); err != nil {
			return fmt.Errorf("demo: step %d (%s): %w", i+1, st.title, err)
		}
	}
	stop()
	select {
	case err := <-bridgeErr:
		if err != nil {
			return fmt.Errorf("demo: bridge: %w", err)
		}
	case <-time.After(15 * time.Second):
		return errors.New("demo: bridge did not stop")
	}
	say("\ndemo finished: every step reached Streamer.bot")
	return nil
}

// waitOpen runs send once the bridge has the alert socket open.
func waitOpen(ctx context.Context, alerts *picartotest.AlertsServer, timeout time.Duration, send func()) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		changed := alerts.Changed()
		if alerts.Open() > 0 {
			send()
			return nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return errors.New("the bridge did not open the alert socket")
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// watcher prints the fake Streamer.bot's action runs as they arrive.
type watcher struct {
	sb      *sbtest.Server
	out     io.Writer
	timeout time.Duration
	printed int
}

func (w *watcher) mark() int { return len(w.sb.ActionRuns()) }

func (w *watcher) waitAction(ctx context.Context, from int, name string, n int) error {
	return w.wait(ctx, func(runs []sbtest.ActionRun) bool {
		seen := 0
		for _, r := range runs[min(from, len(runs)):] {
			if r.Name == name {
				seen++
			}
		}
		return seen >= n
	}, "action "+name)
}

func (w *watcher) waitGlobal(ctx context.Context, name string) error {
	return w.wait(ctx, func([]sbtest.ActionRun) bool {
		_, ok := w.sb.Global(name, true)
		return ok
	}, "global "+name)
}

func (w *watcher) waitRequest(ctx context.Context, api *picartotest.API, path string) error {
	tick := time.NewTicker(100 * time.Millisecond) // the Picarto fake has no change feed
	defer tick.Stop()
	deadline := time.NewTimer(w.timeout)
	defer deadline.Stop()
	for {
		for _, r := range api.Requests() {
			if r.Path == path && r.Status != 0 {
				return nil
			}
		}
		select {
		case <-tick.C:
		case <-deadline.C:
			return fmt.Errorf("timed out waiting for a request to %s", path)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (w *watcher) wait(ctx context.Context, done func([]sbtest.ActionRun) bool, what string) error {
	deadline := time.NewTimer(w.timeout)
	defer deadline.Stop()
	for {
		changed := w.sb.Changed()
		runs := w.sb.ActionRuns()
		w.print(runs)
		if done(runs) {
			return nil
		}
		select {
		case <-changed:
		case <-deadline.C:
			return fmt.Errorf("timed out waiting for %s", what)
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

func (w *watcher) print(runs []sbtest.ActionRun) {
	for ; w.printed < len(runs); w.printed++ {
		r := runs[w.printed]
		if r.Name == actions.SetGlobalAction {
			fmt.Fprintf(w.out, "  global   %v = %v\n", r.Args["name"], r.Args["value"])
			continue
		}
		keys := make([]string, 0, len(r.Args))
		for k := range r.Args {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var parts []string
		for _, k := range keys {
			switch k {
			case "user", "userName", "message", "viewers", "amount", "title", "followerCount", "subCount", "isTest":
				parts = append(parts, fmt.Sprintf("%s=%v", k, r.Args[k]))
			}
		}
		fmt.Fprintf(w.out, "  action   %s  %s\n", r.Name, strings.Join(parts, " "))
	}
}

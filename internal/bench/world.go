package main

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

// Fixture of the bench channel.
const (
	channelID    = 7001
	channelName  = "BenchArtist"
	bearer       = "bench-bearer-token"
	chatToken    = "bench-chat-token"
	clientID     = "bench-client"
	clientSecret = "bench-client-secret"
)

// world is the fakes the bridge runs against, all in this process.
type world struct {
	sb   *sbtest.Server
	api  *picartotest.API
	chat *picartotest.ChatServer
}

func newWorld() (*world, error) {
	sb, err := sbtest.New(sbtest.Options{})
	if err != nil {
		return nil, fmt.Errorf("bench: fake Streamer.bot: %w", err)
	}
	// The fake Picarto admits plenty: the ready runs restart the bridge
	// several times, and each process keeps its own 30-per-minute budget.
	api, err := picartotest.NewAPI(picartotest.APIOptions{RateLimit: 1000, RateWindow: time.Minute})
	if err != nil {
		sb.Close()
		return nil, fmt.Errorf("bench: fake Picarto: %w", err)
	}
	chat, err := picartotest.NewChatServer(picartotest.ChatOptions{})
	if err != nil {
		sb.Close()
		api.Close()
		return nil, fmt.Errorf("bench: fake Picarto chat: %w", err)
	}
	api.AddChannel(picartotest.Channel{ID: channelID, Name: channelName})
	api.AddToken(bearer, channelID, "readpub", "readpriv", "write")
	api.AddApp(clientID, clientSecret, "http://localhost/oauth/callback")
	chat.AddBot(strings.ToLower(channelName), chatToken, channelID, channelName)

	sb.AddSetGlobalAction(actions.SetGlobalAction)
	for _, k := range actions.AllKinds() {
		sb.AddAction(actions.ActionName(k))
	}
	sb.SetGlobal(actions.GlobalChannelName, channelName, true)
	sb.SetGlobal(actions.GlobalBearer, bearer, true)
	sb.SetGlobal(actions.GlobalClientID, clientID, true)
	sb.SetGlobal(actions.GlobalClientToken, clientSecret, true)
	sb.SetGlobal(actions.GlobalChannelToken, chatToken, true)
	return &world{sb: sb, api: api, chat: chat}, nil
}

func (w *world) close() {
	w.chat.Close()
	w.api.Close()
	w.sb.Close()
}

// environ is the bridge's environment, as the e2e tests set it, with the
// user defaults for everything that is not an address.
func (w *world) environ(dataDir string, port int, logLevel string) []string {
	vars := map[string]string{
		"SB_WS_URL":            w.sb.URL(),
		"PICARTO_API_URL":      w.api.URL(),
		"PICARTO_OAUTH_URL":    w.api.OAuthURL(),
		"PICARTO_CHAT_URL":     w.chat.URL(),
		"PICARTO_INTERNAL_URL": "http://127.0.0.1:1/ptvapi",
		"PICARTO_ALERTS_URL":   "ws://127.0.0.1:1/widget/",
		"BRIDGE_HOST":          "127.0.0.1",
		"BRIDGE_PORT":          strconv.Itoa(port),
		"BRIDGE_DATA_DIR":      dataDir,
		"BRIDGE_LOG_LEVEL":     logLevel,
		"HOME":                 dataDir,
		"PATH":                 os.Getenv("PATH"),
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("bench: free port: %w", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// waitFor re-checks cond at every change the fake Streamer.bot records, and
// at least every 50 ms, until it holds or d passes.
func (w *world) waitFor(ctx context.Context, d time.Duration, what string, cond func() bool) error {
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		changed := w.sb.Changed()
		if cond() {
			return nil
		}
		select {
		case <-changed:
		case <-tick.C:
		case <-ctx.Done():
			return fmt.Errorf("bench: timed out after %v waiting for %s", d, what)
		}
	}
}

// globalSet reports whether the bridge wrote global name since run index from.
func (w *world) globalWrite(from int, name string) (time.Time, bool) {
	runs := w.sb.ActionRuns()
	for _, r := range runs[min(from, len(runs)):] {
		if r.Name == actions.SetGlobalAction && r.Args["name"] == name {
			return r.At, true
		}
	}
	return time.Time{}, false
}

// registerWebhooks sets picartoInit and waits for the eight hook globals and
// picartoInit back to False; it returns the URI registered for typ, pointed
// at 127.0.0.1 (the bridge listens there; "localhost" would cost a lookup).
func (w *world) registerWebhooks(ctx context.Context, typ string) (string, error) {
	w.sb.SetGlobal(actions.GlobalInit, "True", false)
	err := w.waitFor(ctx, 30*time.Second, "webhook registration", func() bool {
		for _, t := range picartoTypes {
			if v, ok := w.sb.Global(actions.HookGlobal(t), true); !ok || fmt.Sprint(v) == "" {
				return false
			}
		}
		v, ok := w.sb.Global(actions.GlobalInit, false)
		return ok && fmt.Sprint(v) == "false"
	})
	if err != nil {
		return "", err
	}
	for _, h := range w.api.Webhooks() {
		if h.Type == typ {
			u, err := url.Parse(h.URI)
			if err != nil {
				return "", fmt.Errorf("bench: registered URI: %w", err)
			}
			u.Host = "127.0.0.1:" + u.Port()
			return u.String(), nil
		}
	}
	return "", fmt.Errorf("bench: no %s webhook registered", typ)
}

var picartoTypes = []string{"follow", "unfollow", "subscribe", "unsubscribe", "online", "offline", "event_start", "event_end"}

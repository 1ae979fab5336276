package bridge

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

// runDoctorT runs the doctor against w and returns its verdict and output.
func runDoctorT(t *testing.T, w *webWorld) (bool, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var out bytes.Buffer
	ok := Doctor(ctx, w.cfg, &out, DoctorOptions{Timeout: 2 * time.Second, Logger: w.logger()})
	text := out.String()
	t.Logf("doctor output:\n%s", text)
	assertNoSecret(t, "doctor output", text, wSecrets...)
	return ok, text
}

// line returns the output line starting with prefix and containing part.
func line(out, prefix, part string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, prefix) && strings.Contains(l, part) {
			return l
		}
	}
	return ""
}

func TestDoctorAllPass(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{bearer: true, chatToken: wChatToken})
	w.sb.SetGlobal(actions.GlobalWebhookURL, "https://webartist.trycloudflare.com", true)
	ok, out := runDoctorT(t, w)
	if !ok || strings.Contains(out, "FAIL") {
		t.Fatalf("doctor failed on a good setup:\n%s", out)
	}
	for _, want := range []string{
		"ok   Streamer.bot reachable",
		"ok   \"Picarto Set Global\" action present and enabled",
		"ok   all 11 Process Picarto actions present",
		"ok   required globals set",
		"ok   Picarto token valid, for the channel " + wChannel,
		"ok   Picarto chat accepted the token",
		"ok   webhook URL https://webartist.trycloudflare.com",
		"ok   port " + strconv.Itoa(w.port),
		"All checks passed.",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

// TestDoctorFailures checks each failure mode against the fakes: the right
// FAIL line with its fix, and a failed verdict.
func TestDoctorFailures(t *testing.T) {
	t.Parallel()
	wrong := "wrong-" + wSBPassword
	none := ""
	cases := []struct {
		name  string
		opts  worldOptions
		setup func(t *testing.T, w *webWorld)
		want  string // in the FAIL line
		fix   string // in the same line, after "fix:"
	}{
		{name: "streamerbot down", opts: worldOptions{bearer: true},
			setup: func(t *testing.T, w *webWorld) { w.sb.Close() },
			want:  "Streamer.bot not reachable", fix: "enable Servers/Clients > WebSocket Server"},
		{name: "wrong password", opts: worldOptions{bearer: true, sbPassword: wSBPassword, cfgPassword: &wrong},
			want: "rejected the password", fix: "set SB_WS_PASSWORD"},
		{name: "password missing", opts: worldOptions{bearer: true, sbPassword: wSBPassword, enforce: true, cfgPassword: &none},
			want: "asks for a password and SB_WS_PASSWORD is empty", fix: "set SB_WS_PASSWORD"},
		{name: "helper missing", opts: worldOptions{bearer: true, noHelper: true},
			want: `"Picarto Set Global" action is missing`, fix: "picarto-bridge import"},
		{name: "helper disabled", opts: worldOptions{bearer: true},
			setup: func(t *testing.T, w *webWorld) { w.sb.SetActionEnabled(actions.SetGlobalAction, false) },
			want:  `"Picarto Set Global" action is disabled`, fix: "enable"},
		{name: "actions missing", opts: worldOptions{bearer: true, dropActions: []string{"Process Picarto Raid", "Process Picarto Tip"}},
			want: "2 of 11 Process Picarto actions missing: Process Picarto Raid, Process Picarto Tip", fix: "picarto-bridge import"},
		{name: "globals missing", opts: worldOptions{noGlobals: true},
			want: "required globals not set: picartoChannelName, picartoBearer", fix: "Connect Picarto"},
		{name: "bad bearer", opts: worldOptions{},
			setup: func(t *testing.T, w *webWorld) { w.sb.SetGlobal(actions.GlobalBearer, "bearer-SECRET-unknown", true) },
			want:  "Picarto rejected picartoBearer", fix: "Connect Picarto"},
		{name: "bearer of another channel", opts: worldOptions{},
			setup: func(t *testing.T, w *webWorld) { w.sb.SetGlobal(actions.GlobalBearer, wOtherBearer, true) },
			want:  "picartoBearer belongs to the channel " + wOther + ", not to picartoChannelName (" + wChannel + ")",
			fix:   "set picartoChannelName to " + wOther},
		{name: "chat token rejected", opts: worldOptions{bearer: true, chatToken: "chat-SECRET-wrong"},
			want: "Picarto chat rejected picartoChannelToken", fix: "https://oauth.picarto.tv/chat/bot"},
		{name: "port busy", opts: worldOptions{bearer: true},
			setup: func(t *testing.T, w *webWorld) {
				ln, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(w.port))
				if err != nil {
					t.Fatal(err)
				}
				srv := &http.Server{Handler: http.NotFoundHandler(), ReadHeaderTimeout: time.Second}
				done := make(chan struct{})
				go func() { defer close(done); _ = srv.Serve(ln) }() // joined in the cleanup
				t.Cleanup(func() { srv.Close(); <-done })
			},
			want: "port " + "%PORT%" + " on 127.0.0.1 is used by another program", fix: "picartoPort"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			w := newWebWorld(t, tc.opts)
			if tc.setup != nil {
				tc.setup(t, w)
			}
			ok, out := runDoctorT(t, w)
			want := strings.ReplaceAll(tc.want, "%PORT%", strconv.Itoa(w.port))
			l := line(out, "FAIL ", want)
			if l == "" {
				t.Fatalf("no FAIL line with %q:\n%s", want, out)
			}
			if _, fix, found := strings.Cut(l, " — fix: "); !found || !strings.Contains(fix, tc.fix) {
				t.Errorf("fix of %q lacks %q", l, tc.fix)
			}
			if ok {
				t.Errorf("doctor passed despite:\n%s", out)
			}
		})
	}
}

func TestDoctorLocalhostWebhookURLExplained(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{bearer: true})
	ok, out := runDoctorT(t, w)
	l := line(out, "note ", "webhook URL http://localhost:"+strconv.Itoa(w.port))
	if l == "" {
		t.Fatalf("no note on the localhost webhook URL:\n%s", out)
	}
	for _, want := range []string{"Picarto cannot send webhooks there", "Polling still sees", "picartoWebhookUrl"} {
		if !strings.Contains(l, want) {
			t.Errorf("note lacks %q: %s", want, l)
		}
	}
	if !ok {
		t.Errorf("a localhost webhook URL alone must not fail the doctor (polling works):\n%s", out)
	}
}

func TestDoctorWithRunningBridge(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{bearer: true})
	w.startBridge()
	ok, out := runDoctorT(t, w)
	if l := line(out, "ok   ", "used by a running picarto-bridge"); l == "" {
		t.Errorf("port not recognised as this bridge's:\n%s", out)
	}
	if l := line(out, "ok   ", "event queue: the bridge is running"); l == "" {
		t.Errorf("running bridge not reported for the event queue:\n%s", out)
	}
	if !ok {
		t.Errorf("doctor failed with a running bridge:\n%s", out)
	}
}

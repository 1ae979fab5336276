package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/config"
	"github.com/picarto-bridge/picarto-bridge/internal/outbox"
	"github.com/picarto-bridge/picarto-bridge/internal/ratelimit"
	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

// DoctorOptions configure Doctor.
type DoctorOptions struct {
	// Timeout bounds each check that talks to Streamer.bot or Picarto;
	// default 5 s.
	Timeout time.Duration
	// HTTPClient is used for Picarto and the port check; nil: a client with
	// Timeout.
	HTTPClient *http.Client
	// Logger receives the clients' own log lines; nil discards them (the
	// checks' verdicts go to out).
	Logger *slog.Logger
}

// Doctor checks the setup in order and writes one line per check to out:
// "ok   ..." or "FAIL ... — fix: ...", plus "skip" for a check that needs one
// that failed and "note" for what works but deserves a word. It reports
// whether every check passed. It talks to Streamer.bot and Picarto with the
// same clients the bridge runs, and only reads.
func Doctor(ctx context.Context, cfg config.Config, out io.Writer, opts DoctorOptions) (ok bool) {
	return runDoctor(ctx, cfg, out, opts).ok
}

// doctorResult is what a doctor run learned, for the bug report.
type doctorResult struct {
	ok      bool
	globals globalValues // nil when Streamer.bot's globals could not be read
	secrets []string     // token values read from Streamer.bot, to scrub from a report
}

type doctor struct {
	cfg     config.Config
	opts    DoctorOptions
	out     io.Writer
	log     *slog.Logger
	hc      *http.Client
	fails   int
	res     doctorResult
	sb      *sbclient.Client
	sbOK    bool
	st      Settings
	readSet bool // settings come from Streamer.bot's globals
}

func runDoctor(ctx context.Context, cfg config.Config, out io.Writer, opts DoctorOptions) doctorResult {
	if opts.Timeout <= 0 {
		opts.Timeout = 5 * time.Second
	}
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	hc := opts.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: opts.Timeout}
	}
	d := &doctor{cfg: cfg, opts: opts, out: out, log: log, hc: hc, st: settingsFrom(nil, cfg)}

	var wg conc.WaitGroup
	sbCtx, stopSB := context.WithCancel(ctx)
	defer func() {
		stopSB()
		wg.Wait()
	}()
	d.checkStreamerbot(sbCtx, &wg)
	d.checkActions(ctx)
	d.checkGlobals(ctx)
	stopSB()
	d.checkBearer(ctx)
	d.checkChat(ctx)
	d.checkWebhookURL()
	d.checkPort(ctx)
	d.checkData()

	if d.fails == 0 {
		fmt.Fprintln(out, "All checks passed.")
	} else {
		fmt.Fprintf(out, "%d problem(s) found: fix them from the top, then run picarto-bridge doctor again.\n", d.fails)
	}
	d.res.ok = d.fails == 0
	return d.res
}

func (d *doctor) pass(format string, a ...any) { fmt.Fprintf(d.out, "ok   "+format+"\n", a...) }
func (d *doctor) note(format string, a ...any) { fmt.Fprintf(d.out, "note "+format+"\n", a...) }
func (d *doctor) skip(format string, a ...any) { fmt.Fprintf(d.out, "skip "+format+"\n", a...) }

// fail writes a problem and its exact fix.
func (d *doctor) fail(problem, fix string) {
	d.fails++
	fmt.Fprintf(d.out, "FAIL %s — fix: %s\n", problem, fix)
}

func (d *doctor) timeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, d.opts.Timeout)
}

// checkStreamerbot: reachable, then password accepted. The client runs in a
// goroutine owned by wg until ctx ends.
func (d *doctor) checkStreamerbot(ctx context.Context, wg *conc.WaitGroup) {
	connected := make(chan struct{}, 1)
	d.sb = sbclient.New(sbclient.Config{
		URL: d.cfg.SBURL, Password: d.cfg.SBPassword, Logger: d.log,
		RequestTimeout: d.opts.Timeout, DialTimeout: d.opts.Timeout, HelloTimeout: min(2*time.Second, d.opts.Timeout),
		BackoffInitial: 200 * time.Millisecond, BackoffMax: time.Second,
		OnConnect: func(sbclient.Info) {
			select {
			case connected <- struct{}{}:
			default:
			}
		},
	})
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- d.sb.Run(ctx) })
	t := time.NewTimer(d.opts.Timeout)
	defer t.Stop()
	select {
	case <-connected:
		d.sbOK = true
		d.pass("Streamer.bot reachable at %s", d.cfg.SBURL)
		if d.cfg.SBPassword.IsZero() {
			d.pass("Streamer.bot asks for no password")
		} else {
			d.pass("Streamer.bot accepted the password (SB_WS_PASSWORD)")
		}
	case err := <-runErr:
		if errors.Is(err, sbclient.ErrAuth) {
			d.pass("Streamer.bot reachable at %s", d.cfg.SBURL)
			if d.cfg.SBPassword.IsZero() {
				d.fail("Streamer.bot asks for a password and SB_WS_PASSWORD is empty",
					"set SB_WS_PASSWORD (environment or .env) to the password of Streamer.bot's WebSocket server (Servers/Clients > WebSocket Server)")
			} else {
				d.fail("Streamer.bot rejected the password in SB_WS_PASSWORD",
					"set SB_WS_PASSWORD to the password of Streamer.bot's WebSocket server (Servers/Clients > WebSocket Server), or turn its authentication off")
			}
			return
		}
		d.sbUnreachable(err)
	case <-t.C:
		d.sbUnreachable(nil)
	case <-ctx.Done():
		d.sbUnreachable(ctx.Err())
	}
}

func (d *doctor) sbUnreachable(err error) {
	why := ""
	if err != nil {
		why = " (" + err.Error() + ")"
	}
	d.fail(fmt.Sprintf("Streamer.bot not reachable at %s within %v%s", d.cfg.SBURL, d.opts.Timeout, why),
		"start Streamer.bot and enable Servers/Clients > WebSocket Server (Auto Start on); if it listens elsewhere, set SB_WS_URL")
	d.skip("Streamer.bot password: needs a connection")
}

// checkActions: the helper present and enabled, and every Process Picarto
// action present.
func (d *doctor) checkActions(ctx context.Context) {
	if !d.sbOK {
		d.skip("%s action: needs Streamer.bot", actions.SetGlobalAction)
		d.skip("Process Picarto actions: need Streamer.bot")
		return
	}
	cctx, cancel := d.timeout(ctx)
	defer cancel()
	list, err := d.sb.GetActions(cctx)
	if err != nil {
		d.fail("cannot list Streamer.bot's actions: "+err.Error(), "check that Streamer.bot is running, then try again")
		d.skip("Process Picarto actions: need the action list")
		return
	}
	byName := map[string]sbclient.Action{}
	for _, a := range list {
		byName[a.Name] = a
	}
	switch h, ok := byName[actions.SetGlobalAction]; {
	case !ok:
		d.fail(fmt.Sprintf("the %q action is missing: the bridge cannot write globals (events still flow)", actions.SetGlobalAction),
			"run `picarto-bridge import --out picarto.sb` and import the file in Streamer.bot (Import button)")
	case !h.Enabled:
		d.fail(fmt.Sprintf("the %q action is disabled: the bridge cannot write globals", actions.SetGlobalAction),
			fmt.Sprintf("enable %q in Streamer.bot's Actions tab (group %s)", actions.SetGlobalAction, actions.Group))
	default:
		d.pass("%q action present and enabled", actions.SetGlobalAction)
	}
	var missing, disabled []string
	kinds := actions.AllKinds()
	for _, k := range kinds {
		name := actions.ActionName(k)
		a, ok := byName[name]
		switch {
		case !ok:
			missing = append(missing, name)
		case !a.Enabled:
			disabled = append(disabled, name)
		}
	}
	triggers := ""
	if list, err := d.sb.GetCodeTriggers(cctx); err == nil {
		n := 0
		for _, tr := range list {
			if _, ok := actions.KindForTriggerEvent(tr.EventName); ok {
				n++
			}
		}
		if n > 0 {
			triggers = fmt.Sprintf("; %d Picarto triggers in the trigger menu", n)
		}
	}
	if len(missing) > 0 {
		d.fail(fmt.Sprintf("%d of %d Process Picarto actions missing: %s", len(missing), len(kinds), strings.Join(missing, ", ")),
			"run `picarto-bridge import --out picarto.sb` and import the file in Streamer.bot (it adds the missing ones)")
		return
	}
	extra := ""
	if len(disabled) > 0 {
		extra = " (disabled, so they do nothing: " + strings.Join(disabled, ", ") + ")"
	}
	d.pass("all %d Process Picarto actions present%s%s", len(kinds), extra, triggers)
}

// checkGlobals: picartoChannelName and picartoBearer set.
func (d *doctor) checkGlobals(ctx context.Context) {
	if !d.sbOK {
		d.skip("globals: need Streamer.bot (using PICARTO_CHANNEL and PICARTO_BEARER for the Picarto checks)")
		return
	}
	cctx, cancel := d.timeout(ctx)
	defer cancel()
	pers, err := d.sb.GetGlobals(cctx, true)
	if err == nil {
		var temp map[string]sbclient.Global
		temp, err = d.sb.GetGlobals(cctx, false)
		if err == nil {
			g := globalValues{}
			for k, v := range pers {
				g[k] = v.Value
			}
			for k, v := range temp {
				g[k] = v.Value
			}
			d.res.globals = g
		}
	}
	if err != nil {
		d.fail("cannot read Streamer.bot's globals: "+err.Error(), "check that Streamer.bot is running, then try again")
		return
	}
	d.st = settingsFrom(d.res.globals, d.cfg)
	d.readSet = true
	for _, s := range []string{d.st.Bearer.Reveal(), d.st.ClientSecret.Reveal(), d.st.RefreshToken.Reveal(), d.st.ChatToken.Reveal()} {
		if s != "" {
			d.res.secrets = append(d.res.secrets, s)
		}
	}
	var missing []string
	if d.st.Channel == "" {
		missing = append(missing, actions.GlobalChannelName)
	}
	if d.st.Bearer == "" {
		missing = append(missing, actions.GlobalBearer)
	}
	if len(missing) > 0 {
		fix := "in Streamer.bot (Variables > Global Variables, persisted) set " + strings.Join(missing, " and ")
		if d.st.Bearer == "" {
			fix += "; for picartoBearer, start the bridge and press Connect Picarto on " + d.pageURL() +
				" (or paste a Picarto access token)"
		}
		d.fail("required globals not set: "+strings.Join(missing, ", "), fix)
		return
	}
	from := ""
	if _, ok := d.res.globals[actions.GlobalChannelName]; !ok {
		from += " (channel from PICARTO_CHANNEL)"
	}
	if _, ok := d.res.globals[actions.GlobalBearer]; !ok {
		from += " (token from PICARTO_BEARER)"
	}
	d.pass("required globals set: picartoChannelName = %s, picartoBearer is set%s", d.st.Channel, from)
}

func (d *doctor) picartoClient() *picarto.Client {
	return picarto.NewClient(picarto.Config{
		BaseURL: d.cfg.PicartoAPIURL, Token: d.st.Bearer, HTTPClient: d.hc,
		Limiter: ratelimit.New(max(d.cfg.RateLimit, 1), time.Minute), Logger: d.log, MaxRetries: -1,
	})
}

// checkBearer: GET /user with picartoBearer, and the account is
// picartoChannelName's.
func (d *doctor) checkBearer(ctx context.Context) {
	if d.st.Bearer == "" {
		d.skip("Picarto token: picartoBearer is not set")
		return
	}
	cctx, cancel := d.timeout(ctx)
	defer cancel()
	u, err := d.picartoClient().User(cctx)
	switch {
	case errors.Is(err, picarto.ErrUnauthorized):
		d.fail("Picarto rejected picartoBearer (invalid or expired)",
			"start the bridge, open "+d.pageURL()+" and press Connect Picarto, or paste a new Picarto access token into picartoBearer")
		return
	case err != nil:
		d.fail("cannot check the Picarto token: "+err.Error(),
			"check the internet connection (and PICARTO_API_URL if you changed it), then try again")
		return
	}
	name := u.Channel.Name
	if d.st.Channel != "" && !strings.EqualFold(name, d.st.Channel) {
		d.fail(fmt.Sprintf("picartoBearer belongs to the channel %s, not to picartoChannelName (%s)", name, d.st.Channel),
			fmt.Sprintf("sign in as %s (Connect Picarto on the status page), or set picartoChannelName to %s", d.st.Channel, name))
		return
	}
	d.pass("Picarto token valid, for the channel %s", name)
}

// checkChat: a short connection to Picarto chat with picartoChannelToken.
func (d *doctor) checkChat(ctx context.Context) {
	if d.st.ChatToken == "" {
		d.skip("Picarto chat: off (picartoChannelToken not set)")
		return
	}
	if d.st.BotName == "" {
		d.fail("picartoChannelToken is set but the bot account is unknown", "set picartoBotName (or picartoChannelName) to the account the chat token belongs to")
		return
	}
	authed := make(chan struct{}, 1)
	chat := picarto.NewChat(picarto.ChatConfig{
		URL: d.cfg.PicartoChatURL, Username: d.st.BotName, Token: d.st.ChatToken, Logger: d.log,
		AuthTimeout: d.opts.Timeout, BackoffInitial: 200 * time.Millisecond, BackoffMax: time.Second,
		OnConnect: func() {
			select {
			case authed <- struct{}{}:
			default:
			}
		},
	})
	cctx, cancel := d.timeout(ctx)
	defer cancel()
	var wg conc.WaitGroup
	runErr := make(chan error, 1)
	wg.Go(func() { runErr <- chat.Run(cctx) })
	defer wg.Wait()
	defer cancel()
	select {
	case <-authed:
		d.pass("Picarto chat accepted the token of the bot %s", d.st.BotName)
	case err := <-runErr:
		if errors.Is(err, picarto.ErrChatAuth) {
			d.fail(fmt.Sprintf("Picarto chat rejected picartoChannelToken for the bot %s", d.st.BotName),
				"create a new bot token at https://oauth.picarto.tv/chat/bot, put it in picartoChannelToken, and set picartoBotName if the bot is not your channel's account")
			return
		}
		d.chatUnreachable(err)
	case <-cctx.Done():
		d.chatUnreachable(nil)
	}
}

func (d *doctor) chatUnreachable(err error) {
	why := ""
	if err != nil {
		why = ": " + err.Error()
	}
	d.fail(fmt.Sprintf("Picarto chat did not answer within %v%s", d.opts.Timeout, why),
		"check the internet connection (and PICARTO_CHAT_URL if you changed it), then try again")
}

// checkWebhookURL explains where Picarto would send webhooks.
func (d *doctor) checkWebhookURL() {
	base := d.st.webhookBase()
	u, err := url.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		d.fail(fmt.Sprintf("picartoWebhookUrl %q is not an http(s) URL", base),
			"set picartoWebhookUrl to the public address of your tunnel, e.g. https://name.trycloudflare.com, or delete it")
		return
	}
	if isLocalHost(u.Hostname()) {
		d.note("webhook URL %s is only reachable from this PC: Picarto cannot send webhooks there. "+
			"Polling still sees follows, subscriptions and going live (every %v). For instant alerts set "+
			"picartoWebhookUrl to a public tunnel URL that forwards to port %d, then press Register webhooks",
			base, d.cfg.PollInterval, d.st.Port)
		return
	}
	d.pass("webhook URL %s (Picarto must reach it from the internet)", base)
}

// isLocalHost reports whether host names this machine or a private network.
func isLocalHost(host string) bool {
	h := strings.ToLower(strings.Trim(host, "[]"))
	if h == "localhost" || strings.HasSuffix(h, ".localhost") || strings.HasSuffix(h, ".local") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsPrivate() || ip.IsUnspecified() || ip.IsLinkLocalUnicast())
}

// checkPort: the HTTP port is free, or held by a running picarto-bridge.
func (d *doctor) checkPort(ctx context.Context) {
	port := d.st.Port
	addr := net.JoinHostPort(d.cfg.Host, strconv.Itoa(port))
	ln, err := net.Listen("tcp", addr)
	if err == nil {
		_ = ln.Close()
		d.pass("port %d on %s is free for the bridge", port, d.cfg.Host)
		return
	}
	if status, ok := d.bridgeHealth(ctx, port); ok {
		d.pass("port %d is used by a running picarto-bridge (%s)", port, status)
		return
	}
	d.fail(fmt.Sprintf("port %d on %s is used by another program", port, d.cfg.Host),
		fmt.Sprintf("set the global picartoPort (or BRIDGE_PORT) to a free port such as %d, or stop the other program", port+1))
}

// bridgeHealth asks GET /healthz on port whether a picarto-bridge answers.
func (d *doctor) bridgeHealth(ctx context.Context, port int) (string, bool) {
	cctx, cancel := d.timeout(ctx)
	defer cancel()
	u := "http://" + net.JoinHostPort(dialHost(d.cfg.Host), strconv.Itoa(port)) + "/healthz"
	req, err := http.NewRequestWithContext(cctx, http.MethodGet, u, nil)
	if err != nil {
		return "", false
	}
	resp, err := d.hc.Do(req)
	if err != nil {
		return "", false
	}
	defer resp.Body.Close()
	var body struct {
		Status     string            `json:"status"`
		Components map[string]string `json:"components"`
	}
	if json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&body) != nil || body.Components == nil {
		return "", false
	}
	return body.Status, true
}

// checkData reports the event queue and the alert captures.
func (d *doctor) checkData() {
	q := readQueue(d.cfg.DataDir)
	switch {
	case q.running:
		d.pass("event queue: the bridge is running (it holds %s); see the status page for its counts", q.path)
	case q.err != nil:
		d.fail("cannot read the event queue "+q.path+": "+q.err.Error(), "stop every picarto-bridge, then run doctor again; if it persists, move the file away (queued events are lost)")
	case !q.exists:
		d.skip("event queue: none yet in %s (the bridge has not run with this data directory)", d.cfg.DataDir)
	default:
		d.pass("event queue: %d waiting for Streamer.bot, %d remembered for duplicate checks", q.stats.Entries, q.stats.DedupKeys)
	}
	files, lines := countCaptures(d.cfg.DataDir)
	if files > 0 {
		d.note("alert captures: %d lines in %d files in %s; please send them with `picarto-bridge report`",
			lines, files, filepath.Join(d.cfg.DataDir, "captures"))
	}
}

func (d *doctor) pageURL() string {
	return "http://" + net.JoinHostPort(dialHost(d.cfg.Host), strconv.Itoa(d.st.Port)) + "/"
}

// queueInfo is what can be read of the event queue without disturbing a
// running bridge.
type queueInfo struct {
	path    string
	exists  bool
	running bool // locked by a running bridge
	stats   outbox.Stats
	err     error
}

// readQueue opens the outbox read-only in spirit: only when it exists, and
// giving up after one second when a running bridge holds it.
func readQueue(dataDir string) queueInfo {
	q := queueInfo{path: filepath.Join(dataDir, "bridge.db")}
	if _, err := os.Stat(q.path); err != nil {
		return q
	}
	q.exists = true
	st, err := outbox.Open(q.path, outbox.Options{LockTimeout: time.Second, PruneInterval: -1})
	if err != nil {
		if errors.Is(err, outbox.ErrInUse) {
			q.running = true
		} else {
			q.err = err
		}
		return q
	}
	q.stats = st.Stats()
	if err := st.Close(); err != nil && q.err == nil {
		q.err = err
	}
	return q
}

// captureFiles lists <data dir>/captures/*.jsonl.
func captureFiles(dataDir string) []string {
	files, _ := filepath.Glob(filepath.Join(dataDir, "captures", "*.jsonl"))
	return files
}

func countCaptures(dataDir string) (files, lines int) {
	for _, f := range captureFiles(dataDir) {
		n, err := countLines(f)
		if err != nil {
			continue
		}
		files++
		lines += n
	}
	return files, lines
}

// countLines counts the lines of a file without holding it in memory.
func countLines(path string) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	buf := make([]byte, 32<<10)
	n, last := 0, byte('\n')
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += bytes.Count(buf[:k], []byte{'\n'})
			last = buf[k-1]
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if last != '\n' {
		n++
	}
	return n, nil
}

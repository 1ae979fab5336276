package bridge

import (
	"crypto/subtle"
	"embed"
	"html/template"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"
)

//go:embed web/status.html web/message.html
var webFS embed.FS

var (
	pageFuncs   = template.FuncMap{"clock": formatClock}
	statusTmpl  = template.Must(template.New("status.html").Funcs(pageFuncs).ParseFS(webFS, "web/status.html"))
	messageTmpl = template.Must(template.New("message.html").Funcs(pageFuncs).ParseFS(webFS, "web/message.html"))
)

// componentRow is one line of the page's connection table.
type componentRow struct {
	ID, Name, State, Class string
}

// pageComponents are the rows of the connection table, in order.
var pageComponents = []struct{ id, name, unset string }{
	{compStreamerbot, "Streamer.bot", "connecting"},
	{compPicarto, "Picarto API", "starting"},
	{compChat, "Picarto chat", "off"},
	{compWebhooks, "Webhooks", "not registered: press Register webhooks (needs a public picartoWebhookUrl)"},
	{compAlerts, "Alert socket", "off"},
	{compHTTP, "This page", "starting"},
}

// doneMessages are the notes shown after a button; the query only picks
// one, it is never rendered itself.
var doneMessages = map[string]string{
	"test-follow":       "Test follow queued: Streamer.bot runs Process Picarto Follow with isTest = True.",
	"register-webhooks": "Webhook registration started: watch the Webhooks line.",
	"signed-in":         "Signed in with Picarto. The token is stored in Streamer.bot and renewed automatically.",
}

// statusRoutes adds the streamer's status page and its POST-only, CSRF-checked
// buttons (contract section 6). No token is ever rendered.
func (b *Bridge) statusRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", b.localOnly(b.handleStatusPage))
	mux.HandleFunc("POST /action/test-follow", b.localOnly(b.csrfProtected(func(w http.ResponseWriter, r *http.Request) {
		b.queueCommand(command{Name: cmdTestFollow})
		http.Redirect(w, r, "/?done=test-follow", http.StatusSeeOther)
	})))
	mux.HandleFunc("POST /action/register-webhooks", b.localOnly(b.csrfProtected(func(w http.ResponseWriter, r *http.Request) {
		b.queueCommand(command{Name: cmdRegisterWebhooks})
		http.Redirect(w, r, "/?done=register-webhooks", http.StatusSeeOther)
	})))
	b.oauthRoutes(mux)
}

func (b *Bridge) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	states := b.status.snapshot()
	var st Settings
	connected := false
	if s := b.session.Load(); s != nil {
		st = s.currentSettings()
		connected = s.sb.Connected()
	}
	bearer, _ := b.heldTokens(st)
	signIn := b.oauth.view(bearer)
	rows := make([]componentRow, 0, len(pageComponents))
	for _, c := range pageComponents {
		state := states[c.id]
		if state == "" {
			state = c.unset
		}
		if c.id == compPicarto {
			state = picartoState(state, bearer != "", signIn)
		}
		rows = append(rows, componentRow{ID: c.id, Name: c.name, State: state, Class: stateClass(state)})
	}
	events := b.status.recentEvents()
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	data := map[string]any{
		"Version": b.version, "Status": b.status.bridgeStatus(), "Components": rows, "Events": events,
		"CSRF": b.csrf, "OAuth": st.ClientID != "" && !st.ClientSecret.IsZero(), "RedirectURI": b.redirectURI(),
		"SignIn": signIn, "HasBearer": bearer != "", "Connected": connected,
		"Done": doneMessages[r.URL.Query().Get("done")],
	}
	b.pageHeaders(w)
	if err := statusTmpl.Execute(w, data); err != nil {
		b.log.Warn("status page", "err", err)
	}
}

// picartoState is the Picarto line: the API's state, and whether the bridge
// acts for a signed-in streamer.
func picartoState(api string, hasBearer bool, v oauthView) string {
	if api != "ok" {
		return api
	}
	if !hasBearer {
		return "public data only: press Connect Picarto to sign in"
	}
	s := "connected"
	if v.Account != "" {
		s += " as " + v.Account
	}
	if v.RenewProblem != "" {
		s += " (" + v.RenewProblem + ")"
	}
	return s
}

// stateClass colours a state: ok, bad or neutral.
func stateClass(state string) string {
	s := strings.ToLower(state)
	for _, p := range []string{"connected", "ok", "registered", "listening"} {
		if strings.HasPrefix(s, p) {
			return "ok"
		}
	}
	for _, p := range []string{"token rejected", "error", "cannot", "not reachable", "disconnected", "channel not found", "degraded", "stopped"} {
		if strings.HasPrefix(s, p) {
			return "bad"
		}
	}
	return "neutral"
}

// messagePage renders a short page with a title, a text and notes.
func (b *Bridge) messagePage(w http.ResponseWriter, code int, title, text string, notes []string) {
	b.pageHeaders(w)
	w.WriteHeader(code)
	if err := messageTmpl.Execute(w, map[string]any{"Title": title, "Text": text, "Notes": notes}); err != nil {
		b.log.Warn("status page", "err", err)
	}
}

func (b *Bridge) pageHeaders(w http.ResponseWriter) {
	// The sign-in form's answer redirects to Picarto, which redirects to the
	// callback on localhost; browsers check form-action on every hop.
	formAction := "'self' http://localhost:" + strconv.Itoa(b.currentPort())
	if o := b.oauthOrigin(); o != "" {
		formAction += " " + o
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Frame-Options", "DENY")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'; form-action "+formAction+"; frame-ancestors 'none'; base-uri 'none'")
}

// csrfProtected rejects a POST whose form token is not this process's.
func (b *Bridge) csrfProtected(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		r.Body = http.MaxBytesReader(w, r.Body, 4096)
		if subtle.ConstantTimeCompare([]byte(r.PostFormValue("csrf")), []byte(b.csrf)) != 1 {
			http.Error(w, "invalid or missing CSRF token: reload the status page", http.StatusForbidden)
			return
		}
		h(w, r)
	}
}

// localOnly serves the page only to requests addressed to this machine by
// IP literal or as localhost: a web site that points its own name at
// 127.0.0.1 (DNS rebinding) is refused, so it cannot read the page's CSRF
// token.
func (b *Bridge) localOnly(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		host := r.Host
		if hh, _, err := net.SplitHostPort(host); err == nil {
			host = hh
		}
		host = strings.Trim(host, "[]")
		if !strings.EqualFold(host, "localhost") && net.ParseIP(host) == nil {
			http.Error(w, "open the status page as http://127.0.0.1:<port>/ or http://localhost:<port>/", http.StatusMisdirectedRequest)
			return
		}
		h(w, r)
	}
}

func (b *Bridge) queueCommand(cmd command) {
	if s := b.session.Load(); s != nil {
		s.queue(cmd)
	}
}

func (b *Bridge) currentPort() int {
	if s := b.session.Load(); s != nil {
		return s.currentSettings().Port
	}
	return b.cfg.Port
}

func (b *Bridge) redirectURI() string {
	return "http://localhost:" + strconv.Itoa(b.currentPort()) + "/oauth/callback"
}

// pageURL is the status page's address, for log lines.
func (b *Bridge) pageURL() string {
	return "http://" + net.JoinHostPort(dialHost(b.cfg.Host), strconv.Itoa(b.currentPort())) + "/"
}

// dialHost turns a listen address into one to connect to: a wildcard
// becomes the loopback address.
func dialHost(host string) string {
	switch strings.Trim(host, "[]") {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "::1"
	}
	return strings.Trim(host, "[]")
}

// formatClock is the page's time format.
func formatClock(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.Local().Format("Mon 15:04")
}

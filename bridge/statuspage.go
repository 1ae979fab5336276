package bridge

import (
	"crypto/subtle"
	"embed"
	"html/template"
	"net/http"
	"sort"
	"strconv"
)

//go:embed web/status.html
var webFS embed.FS

var statusTmpl = template.Must(template.ParseFS(webFS, "web/status.html"))

type componentRow struct{ Name, State string }

// statusRoutes adds the streamer's status page and its POST-only, CSRF-checked
// buttons (contract section 6). No token is ever rendered.
func (b *Bridge) statusRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /{$}", b.handleStatusPage)
	mux.HandleFunc("POST /action/test-follow", b.csrfProtected(func(w http.ResponseWriter, r *http.Request) {
		b.queueCommand(command{Name: cmdTestFollow})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))
	mux.HandleFunc("POST /action/register-webhooks", b.csrfProtected(func(w http.ResponseWriter, r *http.Request) {
		b.queueCommand(command{Name: cmdRegisterWebhooks})
		http.Redirect(w, r, "/", http.StatusSeeOther)
	}))
	b.oauthRoutes(mux)
}

func (b *Bridge) handleStatusPage(w http.ResponseWriter, r *http.Request) {
	states := b.status.snapshot()
	rows := make([]componentRow, 0, len(states))
	for k, v := range states {
		rows = append(rows, componentRow{k, v})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	events := b.status.recentEvents()
	for i, j := 0, len(events)-1; i < j; i, j = i+1, j-1 {
		events[i], events[j] = events[j], events[i]
	}
	data := map[string]any{
		"Version": b.version, "Status": b.status.bridgeStatus(), "Components": rows, "Events": events,
		"CSRF": b.csrf, "OAuth": b.oauthAvailable(), "RedirectURI": b.redirectURI(),
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'")
	if err := statusTmpl.Execute(w, data); err != nil {
		b.log.Warn("status page", "err", err)
	}
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

func (b *Bridge) queueCommand(cmd command) {
	if s := b.session.Load(); s != nil {
		s.queue(cmd)
	}
}

func (b *Bridge) redirectURI() string {
	port := b.cfg.Port
	if s := b.session.Load(); s != nil {
		port = s.currentSettings().Port
	}
	return "http://localhost:" + strconv.Itoa(port) + "/oauth/callback"
}

package picarto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"time"
)

// WebhookEvent is one decoded Picarto webhook callback.
type WebhookEvent struct {
	Type      WebhookType
	ChannelID int64  // 0 when the body does not say
	Channel   string // channel name as sent
	UserID    string // as text; "" when absent
	User      string // display name
	UserName  string // login, lower case
	Avatar    string // absolute URL
	// Timestamp is the body's time; when the body has none, the handler sets
	// the time it was received (DecodeWebhook leaves it zero).
	Timestamp time.Time
	// ID is stable for the same event delivered twice: the body's
	// event_id/uuid when present, else derived from the content (type,
	// channel, user, time). When the body has no time either, the handler
	// derives it with the receive time cut to the minute, so a re-delivery
	// within that minute still maps to the same id.
	ID string
	// Test is true for Picarto's own test alerts (user "SYSTEM") and bodies
	// with a truthy test/is_test field.
	Test bool
	// Raw is the body as received.
	Raw []byte

	derivedID bool   // ID came from deriveWebhookID
	plainID   string // the body's plain "id", if any
}

// DefaultWebhookMaxBody is the default cap on a callback body (64 KiB).
const DefaultWebhookMaxBody = 64 << 10

// WebhookOptions configures NewWebhookHandler.
type WebhookOptions struct {
	// MaxBody caps the body; larger bodies get 413. Default 64 KiB.
	MaxBody int64
	// Logger gets a debug line per callback (the body only at debug level)
	// and a warning when fn fails; nil discards.
	Logger *slog.Logger
	// Now is the clock for bodies without a time; default time.Now.
	Now func() time.Time
}

type webhookHandler struct {
	fn  func(context.Context, WebhookEvent) error
	max int64
	log *slog.Logger
	now func() time.Time
}

// NewWebhookHandler returns the receiver for Picarto webhook callbacks.
// POST bodies are decoded with DecodeWebhook (plus the query string) and
// handed to fn; the answer is 200 only after fn returned nil, 503 when it
// failed (so Picarto may deliver again), 400 for a body that is not JSON or
// form fields or has no recognisable type, 413 over MaxBody. GET and HEAD
// answer 200 for Picarto's ownership probe (echoing a `challenge` query
// parameter when one is sent); other methods 405. The body is never logged
// above debug level, and the request path (which holds the bridge's webhook
// secret) never at all.
func NewWebhookHandler(fn func(ctx context.Context, ev WebhookEvent) error, opts WebhookOptions) http.Handler {
	h := &webhookHandler{fn: fn, max: opts.MaxBody, log: opts.Logger, now: opts.Now}
	if h.max <= 0 {
		h.max = DefaultWebhookMaxBody
	}
	if h.log == nil {
		h.log = slog.New(slog.DiscardHandler)
	}
	h.log = h.log.With("component", "picarto.webhook")
	if h.now == nil {
		h.now = time.Now
	}
	return h
}

// challengeKeys are query or body fields whose value an ownership probe may
// expect echoed back. Nothing says Picarto sends one; echoing is harmless.
var challengeKeys = []string{"challenge", "hub.challenge", "verify_token", "echo"}

// ServeHTTP implements http.Handler (see NewWebhookHandler).
func (h *webhookHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	switch r.Method {
	case http.MethodGet, http.MethodHead:
		h.log.Debug("webhook probe", "method", r.Method, "remote", r.RemoteAddr)
		h.reply(w, http.StatusOK, challenge(r.URL.Query().Get))
		return
	case http.MethodPost:
	default:
		w.Header().Set("Allow", "GET, HEAD, POST")
		h.reply(w, http.StatusMethodNotAllowed, "method not allowed\n")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.max))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			h.log.Warn("webhook body too large, rejected", "limit", h.max)
			h.reply(w, http.StatusRequestEntityTooLarge,
				fmt.Sprintf("webhook body larger than %d bytes\n", h.max))
			return
		}
		h.reply(w, http.StatusBadRequest, "could not read the webhook body\n")
		return
	}
	ct := r.Header.Get("Content-Type")
	h.log.Debug("webhook received", "content_type", ct, "bytes", len(body), "body", clipText(string(body), 2048))
	ev, err := decodeWebhook(ct, body, r.URL.Query())
	if err != nil {
		if c := bodyChallenge(ct, body, r); c != "" {
			h.reply(w, http.StatusOK, c)
			return
		}
		h.log.Warn("webhook body not understood", "content_type", ct, "bytes", len(body), "err", err)
		h.reply(w, http.StatusBadRequest, err.Error()+"\n")
		return
	}
	if ev.Timestamp.IsZero() {
		now := h.now().UTC()
		ev.Timestamp = now.Truncate(time.Second)
		if ev.derivedID {
			ev.ID = deriveWebhookID(ev, now.Truncate(time.Minute))
		}
	}
	if err := h.fn(r.Context(), ev); err != nil {
		h.log.Warn("webhook event not accepted, answering 503", "type", ev.Type, "id", ev.ID, "err", err)
		w.Header().Set("Retry-After", "5")
		h.reply(w, http.StatusServiceUnavailable, "event not stored, try again\n")
		return
	}
	h.log.Debug("webhook accepted", "type", ev.Type, "id", ev.ID, "channel", ev.Channel, "user", ev.UserName)
	h.reply(w, http.StatusOK, "")
}

func (h *webhookHandler) reply(w http.ResponseWriter, status int, text string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Content-Length", strconv.Itoa(len(text)))
	w.WriteHeader(status)
	_, _ = io.WriteString(w, text)
}

// challenge returns the first challenge value get finds, capped.
func challenge(get func(string) string) string {
	for _, k := range challengeKeys {
		if v := get(k); v != "" {
			return clipText(v, 256)
		}
	}
	return ""
}

// bodyChallenge finds a challenge in a POST body that is not an event.
func bodyChallenge(ct string, body []byte, r *http.Request) string {
	if c := challenge(r.URL.Query().Get); c != "" {
		return c
	}
	f, err := webhookFields(ct, body)
	if err != nil {
		return ""
	}
	return challenge(func(k string) string { return f.str(normKey(k)) })
}

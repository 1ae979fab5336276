package picarto

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"
)

// Sentinels for the states callers branch on. An *APIError matches the one
// for its status with errors.Is.
var (
	// ErrUnauthorized is a 401: the Bearer token is missing, invalid or
	// expired. Refresh it or sign in again.
	ErrUnauthorized = errors.New("picarto: the Bearer token is invalid or expired (401)")
	// ErrForbidden is a 403: the token lacks a scope, or the app's client id
	// or client secret is wrong.
	ErrForbidden = errors.New("picarto: access denied: the token lacks a permission, or the client id or client secret is wrong (403)")
	// ErrNotFound is a 404: no such channel, user, webhook or webhook type.
	ErrNotFound = errors.New("picarto: not found (404)")
	// ErrWebhookExists is a 409 from webhook creation: a webhook with the same
	// channel, URI and type exists already. Registration can count it as done.
	ErrWebhookExists = errors.New("picarto: a webhook with the same channel, URI and type already exists (409)")
	// ErrWebhookUnverified is a 425 from webhook creation or update: Picarto
	// could not verify the URI, which means the webhook URL is not reachable
	// from the internet.
	ErrWebhookUnverified = errors.New("picarto: Picarto could not verify the webhook URI (425): your webhook URL is not reachable from the internet; use a public URL or a tunnel that forwards to the bridge")
	// ErrRateLimited is a 429 that was still there after the retries.
	ErrRateLimited = errors.New("picarto: rate limited by Picarto (429)")
)

// APIError is a non-2xx answer from the Picarto REST API. Path never holds
// the query string (which may carry the client secret), and Message is
// Picarto's text with every known secret removed.
type APIError struct {
	Method  string
	Path    string
	Status  int
	Message string
}

// Error implements error: "picarto: GET /user: 401 Unauthorized: ..." and,
// for the statuses with a sentinel, what the status means for the user.
func (e *APIError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "picarto: %s %s: %d %s", e.Method, e.Path, e.Status, http.StatusText(e.Status))
	if e.Message != "" {
		b.WriteString(": ")
		b.WriteString(e.Message)
	}
	if hint := statusHint(e.Status); hint != "" {
		b.WriteString(" (")
		b.WriteString(hint)
		b.WriteString(")")
	}
	return b.String()
}

// Is reports whether target is the sentinel for e.Status.
func (e *APIError) Is(target error) bool {
	s := sentinelFor(e.Status)
	return s != nil && s == target
}

// sentinelFor maps a status to its sentinel, or nil.
func sentinelFor(status int) error {
	switch status {
	case http.StatusUnauthorized:
		return ErrUnauthorized
	case http.StatusForbidden:
		return ErrForbidden
	case http.StatusNotFound:
		return ErrNotFound
	case http.StatusConflict:
		return ErrWebhookExists
	case http.StatusTooEarly:
		return ErrWebhookUnverified
	case http.StatusTooManyRequests:
		return ErrRateLimited
	}
	return nil
}

// statusHint is the user-facing meaning of a status.
func statusHint(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "the Bearer token is invalid or expired"
	case http.StatusForbidden:
		return "the token lacks a permission, or the client id or client secret is wrong"
	case http.StatusTooEarly:
		return "Picarto could not verify the webhook URI: your webhook URL is not reachable from the internet"
	case http.StatusTooManyRequests:
		return "rate limited"
	}
	return ""
}

// maxMessage caps the error text kept from a response body.
const maxMessage = 300

// apiErrorMessage extracts Picarto's message from an error body: the Laravel
// `message`, an OAuth-style `error`/`error_description`, or else the raw
// text (HTML pages are dropped), trimmed to maxMessage.
func apiErrorMessage(body []byte) string {
	var obj struct {
		Message          FlexString `json:"message"`
		Error            FlexString `json:"error"`
		ErrorDescription FlexString `json:"error_description"`
	}
	var msg string
	if json.Unmarshal(body, &obj) == nil {
		switch {
		case obj.Message != "":
			msg = string(obj.Message)
		case obj.Error != "" && obj.ErrorDescription != "":
			msg = string(obj.Error) + ": " + string(obj.ErrorDescription)
		default:
			msg = string(obj.Error + obj.ErrorDescription)
		}
	} else {
		msg = strings.TrimSpace(string(body))
		if strings.HasPrefix(msg, "<") {
			msg = "" // an HTML error page (Cloudflare 52x) says nothing useful
		}
	}
	return clipText(strings.Join(strings.Fields(msg), " "), maxMessage)
}

// clipText cuts s to at most n bytes on a rune boundary, marking the cut.
func clipText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	cut := n
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

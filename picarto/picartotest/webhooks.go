package picartotest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// createWebhook is POST /webhooks (spec 5.1): the user's Bearer token
// (readpub), form or query `type` and `uri`; 404 unknown type, 409 duplicate
// (channel, uri, type), 425 when the URI does not answer the probe with a
// 2xx, else 201 with Location: /webhooks/{id}.
func (a *API) createWebhook(w http.ResponseWriter, r *http.Request) {
	tok, ok := a.requireToken(w, r, scopeReadPub)
	if !ok {
		return
	}
	_ = r.ParseForm()
	typ, uri := r.Form.Get("type"), strings.TrimSpace(r.Form.Get("uri"))
	if !validWebhookType(typ) {
		apiMessage(w, http.StatusNotFound, "This webhook type does not exist")
		return
	}
	if !validURI(uri) {
		apiJSON(w, http.StatusUnprocessableEntity, map[string]any{
			"message": "The given data was invalid.", "errors": map[string]any{"uri": []string{"The uri must be a valid URL."}},
		})
		return
	}
	a.mu.Lock()
	ch := a.channels[tok.channelID]
	dup := false
	for _, h := range a.hooks {
		dup = dup || (h.ChannelID == tok.channelID && h.URI == uri && h.Type == typ)
	}
	a.mu.Unlock()
	if ch == nil {
		apiMessage(w, http.StatusNotFound, "This user does not exist")
		return
	}
	if dup {
		apiMessage(w, http.StatusConflict, "A webhook already exists with the same channel, URI and type")
		return
	}
	if !a.probe(r.Context(), uri) {
		apiMessage(w, http.StatusTooEarly, "Unable to verify you own this URI")
		return
	}
	a.mu.Lock()
	for _, h := range a.hooks { // a concurrent twin may have won meanwhile
		if h.ChannelID == tok.channelID && h.URI == uri && h.Type == typ {
			a.mu.Unlock()
			apiMessage(w, http.StatusConflict, "A webhook already exists with the same channel, URI and type")
			return
		}
	}
	h := &Webhook{ID: strconv.Itoa(a.nextHook), ClientID: a.tokenAppLocked(tok), ChannelID: ch.ID,
		ChannelName: ch.Name, Type: typ, URI: uri}
	a.nextHook++
	a.hooks = append(a.hooks, h)
	a.mu.Unlock()
	w.Header().Set("Location", "/webhooks/"+h.ID)
	w.WriteHeader(http.StatusCreated)
}

func validURI(s string) bool {
	u, err := url.Parse(s)
	return err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != ""
}

// probe checks ownership of uri: a 2xx answer to ProbeMethod.
func (a *API) probe(ctx context.Context, uri string) bool {
	if a.opts.ProbeMethod == "NONE" {
		return true
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, a.opts.ProbeMethod, uri, nil)
	if err != nil {
		return false
	}
	req.Header.Set("User-Agent", "Picarto-Webhook-Verifier (fake)")
	resp, err := a.hc.Do(req)
	if err != nil {
		return false
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode >= 200 && resp.StatusCode < 300
}

// render is the Webhook model {id, channel:{user_id,name,avatar,online}, type, uri}; mu held.
func (a *API) renderHookLocked(h *Webhook) map[string]any {
	ch := map[string]any{"user_id": h.ChannelID, "name": h.ChannelName}
	if c := a.channels[h.ChannelID]; c != nil {
		ch = c.search()
	}
	return map[string]any{"id": h.ID, "channel": ch, "type": h.Type, "uri": h.URI}
}

// listWebhooks is GET /webhooks?client_id&client_secret[&channel_id].
func (a *API) listWebhooks(w http.ResponseWriter, r *http.Request) {
	app := a.appFor(r)
	if app == nil {
		apiMessage(w, http.StatusForbidden, "Your client ID or client secret is invalid")
		return
	}
	filter, _ := strconv.ParseInt(r.URL.Query().Get("channel_id"), 10, 64)
	a.mu.Lock()
	out := []map[string]any{}
	for _, h := range a.hooks {
		if h.ClientID == app.id && (filter == 0 || h.ChannelID == filter) {
			out = append(out, a.renderHookLocked(h))
		}
	}
	a.mu.Unlock()
	apiJSON(w, http.StatusOK, out)
}

// appHook authenticates the app and finds its webhook {id}; it answers 403
// or 404 itself.
func (a *API) appHook(w http.ResponseWriter, r *http.Request, notFound string) *Webhook {
	app := a.appFor(r)
	if app == nil {
		apiMessage(w, http.StatusForbidden, "Your client ID or client secret is invalid")
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, h := range a.hooks {
		if h.ID == r.PathValue("id") && h.ClientID == app.id {
			return h
		}
	}
	apiMessage(w, http.StatusNotFound, notFound)
	return nil
}

func (a *API) getWebhook(w http.ResponseWriter, r *http.Request) {
	if h := a.appHook(w, r, "This webhook does not exist under the context of your application"); h != nil {
		a.mu.Lock()
		body := a.renderHookLocked(h)
		a.mu.Unlock()
		apiJSON(w, http.StatusOK, body)
	}
}

// updateWebhook is PUT /webhooks/{id}: only the uri changes; 201.
func (a *API) updateWebhook(w http.ResponseWriter, r *http.Request) {
	h := a.appHook(w, r, "This webhook does not exist")
	if h == nil {
		return
	}
	uri := strings.TrimSpace(r.Form.Get("uri"))
	if !validURI(uri) {
		apiMessage(w, http.StatusUnprocessableEntity, "The given data was invalid.")
		return
	}
	if !a.probe(r.Context(), uri) {
		apiMessage(w, http.StatusTooEarly, "Unable to verify you own this URI")
		return
	}
	a.mu.Lock()
	h.URI = uri
	a.mu.Unlock()
	w.Header().Set("Location", "/webhooks/"+h.ID)
	w.WriteHeader(http.StatusCreated)
}

func (a *API) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	h := a.appHook(w, r, "This webhook does not exist within the context of your client")
	if h == nil {
		return
	}
	a.mu.Lock()
	for i, x := range a.hooks {
		if x == h {
			a.hooks = append(a.hooks[:i], a.hooks[i+1:]...)
			break
		}
	}
	a.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

// Webhooks returns every registration, oldest first.
func (a *API) Webhooks() []Webhook {
	a.mu.Lock()
	defer a.mu.Unlock()
	out := make([]Webhook, 0, len(a.hooks))
	for _, h := range a.hooks {
		out = append(out, *h)
	}
	return out
}

// FireWebhook POSTs a callback of type typ to every registration of that
// type (only channel fields["channel_id"]'s when given) and returns their
// HTTP statuses in registration order (0 for a delivery that failed; the
// errors are joined). Picarto's real payload is unknown (spec 5.3): the
// default JSON body is {type, channel_id, channel, user_id, user,
// timestamp}, with the channel's newest follower (or subscriber) as the
// user, and fields override it: a key set to nil is removed, any other is
// added or replaced, so any shape can be produced. With form true the body
// is form-encoded (nested values as JSON text). No signature is sent.
func (a *API) FireWebhook(ctx context.Context, typ string, fields map[string]any, form bool) ([]int, error) {
	ctx = ctxOrBackground(ctx)
	var only int64
	if v, ok := fields["channel_id"]; ok {
		only, _ = strconv.ParseInt(fmt.Sprint(v), 10, 64)
	}
	type delivery struct {
		uri  string
		body map[string]any
	}
	var todo []delivery
	a.mu.Lock()
	for _, h := range a.hooks {
		if h.Type != typ || (only != 0 && h.ChannelID != only) {
			continue
		}
		body := map[string]any{"type": typ, "channel_id": h.ChannelID, "channel": h.ChannelName,
			"timestamp": time.Now().Unix()}
		user := User{ID: h.ChannelID, Name: h.ChannelName}
		if c := a.channels[h.ChannelID]; c != nil {
			switch {
			case (typ == "subscribe" || typ == "unsubscribe") && len(c.subscribers) > 0:
				user = c.subscribers[0]
			case strings.Contains(typ, "follow") || strings.Contains(typ, "subscribe"):
				user = User{ID: 42, Name: "SomeFan"}
				if len(c.followers) > 0 {
					user = c.followers[0]
				}
			}
		}
		body["user_id"], body["user"] = user.ID, user.Name
		for k, v := range fields {
			if v == nil {
				delete(body, k)
			} else {
				body[k] = v
			}
		}
		todo = append(todo, delivery{uri: h.URI, body: body})
	}
	a.mu.Unlock()
	statuses := make([]int, 0, len(todo))
	var errs []error
	for _, d := range todo {
		status, err := a.deliver(ctx, d.uri, d.body, form)
		statuses = append(statuses, status)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return statuses, errors.Join(errs...)
}

// deliver sends one callback and returns the status.
func (a *API) deliver(ctx context.Context, uri string, body map[string]any, form bool) (int, error) {
	var payload []byte
	ct := "application/json"
	if form {
		vals := url.Values{}
		for k, v := range body {
			switch v.(type) {
			case map[string]any, []any:
				b, _ := json.Marshal(v)
				vals.Set(k, string(b))
			default:
				vals.Set(k, fmt.Sprint(v))
			}
		}
		payload, ct = []byte(vals.Encode()), "application/x-www-form-urlencoded"
	} else {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("picartotest: webhook body: %w", err)
		}
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.ProbeTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, uri, bytes.NewReader(payload))
	if err != nil {
		return 0, fmt.Errorf("picartotest: webhook request: %w", err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("User-Agent", "Picarto-Webhook (fake)")
	resp, err := a.hc.Do(req)
	if err != nil {
		return 0, fmt.Errorf("picartotest: webhook delivery: %w", err)
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<16))
	resp.Body.Close()
	return resp.StatusCode, nil
}

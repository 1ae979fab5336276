package picarto

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
)

// CreateWebhook registers uri for typ on the token owner's channel (POST
// /webhooks with the user's Bearer token and a form body) and returns the
// new webhook's id, taken from the 201's Location header (/webhooks/{id}).
// Picarto probes uri first: ErrWebhookUnverified (425) means the URL is not
// reachable from the internet. ErrWebhookExists (409) means the same
// (channel, uri, type) is registered already. Unknown types are ErrNotFound.
func (c *Client) CreateWebhook(ctx context.Context, typ WebhookType, uri string) (string, error) {
	resp, err := c.do(ctx, request{
		method: http.MethodPost, path: "/webhooks", auth: authBearer,
		form: url.Values{"type": {string(typ)}, "uri": {uri}},
	})
	if err != nil {
		return "", err
	}
	if id := webhookIDFromLocation(resp.header.Get("Location")); id != "" {
		return id, nil
	}
	// No Location: accept an id in a body, should Picarto ever send one.
	var w wireWebhook
	if decodeOneOrFirst(resp.body, &w) == nil && w.ID != "" {
		return string(w.ID), nil
	}
	return "", fmt.Errorf("picarto: POST /webhooks: %d without a webhook id (no Location header)", resp.status)
}

// webhookIDFromLocation returns the last path segment of a Location such as
// "/webhooks/123" or "https://api.picarto.tv/api/v1/webhooks/123".
func webhookIDFromLocation(loc string) string {
	loc = strings.TrimSpace(loc)
	if loc == "" {
		return ""
	}
	if u, err := url.Parse(loc); err == nil {
		loc = u.Path
	}
	id := path.Base(strings.TrimRight(loc, "/"))
	if id == "." || id == "/" || id == "webhooks" {
		return ""
	}
	if un, err := url.PathUnescape(id); err == nil {
		id = un
	}
	return id
}

// ListWebhooks returns this app's webhooks (GET /webhooks with client_id and
// client_secret), only those of channelID when it is not 0. Bad app
// credentials are ErrForbidden.
func (c *Client) ListWebhooks(ctx context.Context, channelID int64) ([]Webhook, error) {
	r := request{method: http.MethodGet, path: "/webhooks", auth: authApp}
	if channelID != 0 {
		r.query = url.Values{"channel_id": {strconv.FormatInt(channelID, 10)}}
	}
	resp, err := c.do(ctx, r)
	if err != nil {
		return nil, err
	}
	var items lenientList[wireWebhook]
	if err := json.Unmarshal(listBody(resp.body), &items); err != nil {
		return nil, fmt.Errorf("picarto: GET /webhooks: %w", err)
	}
	out := make([]Webhook, 0, len(items))
	for _, w := range items {
		h := w.webhook()
		if channelID != 0 && h.ChannelID != 0 && h.ChannelID != channelID {
			continue // the filter is ours too, in case Picarto ignores it
		}
		out = append(out, h)
	}
	return out, nil
}

// DeleteWebhook removes one of this app's webhooks (DELETE /webhooks/{id}
// with client_id and client_secret). An unknown id is ErrNotFound, which a
// caller cleaning up may treat as done.
func (c *Client) DeleteWebhook(ctx context.Context, id string) error {
	id = strings.TrimSpace(id)
	if id == "" {
		return fmt.Errorf("picarto: delete webhook: empty id")
	}
	_, err := c.do(ctx, request{method: http.MethodDelete, path: "/webhooks/" + url.PathEscape(id), auth: authApp})
	return err
}

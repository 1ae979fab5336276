package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// webhookURI is the URI registered with Picarto (contract section 6).
func (b *Bridge) webhookURI(s Settings) string {
	return s.webhookBase() + "/webhook/" + b.webhookSecret
}

// registerWebhooks leaves exactly one webhook per type, all at the current
// URI (contract section 6): earlier ones of this app for the channel are
// deleted, and a 409 counts as success. It stores the eight ids in the hook
// globals and sets picartoInit back to False, whatever the outcome, so a
// failure is not retried in a loop.
func (b *Bridge) registerWebhooks(ctx context.Context, api picartoAPI, s Settings) error {
	defer b.globals.Set(ctx, b.sbRunner(), actions.GlobalInit, false)
	if s.Bearer == "" {
		return b.hookFailure(errors.New("picartoBearer is not set: webhooks are registered with the streamer's token"))
	}
	uri := b.webhookURI(s)
	channelID, err := b.resolveChannelID(ctx, api, s)
	if err != nil {
		return b.hookFailure(fmt.Errorf("find the channel id: %w", err))
	}
	kept := map[picarto.WebhookType]string{}
	canManage := s.ClientID != "" && s.ClientSecret != ""
	if canManage {
		existing, err := api.ListWebhooks(ctx, channelID)
		if err != nil {
			return b.hookFailure(fmt.Errorf("list webhooks (check picartoClientID and picartoClientToken): %w", err))
		}
		for _, w := range existing {
			if w.ChannelID != 0 && w.ChannelID != channelID {
				continue
			}
			if w.URI == uri && kept[w.Type] == "" && isHookType(w.Type) {
				kept[w.Type] = w.ID
				continue
			}
			if err := api.DeleteWebhook(ctx, w.ID); err != nil && !errors.Is(err, picarto.ErrNotFound) {
				return b.hookFailure(fmt.Errorf("delete old webhook %s: %w", w.ID, err))
			}
			b.log.Info("old webhook deleted", "type", w.Type, "id", w.ID)
		}
	} else {
		b.log.Warn("picartoClientID/picartoClientToken not set: earlier webhooks cannot be listed or deleted")
	}
	conflicts := false
	for _, typ := range picarto.WebhookTypes {
		if kept[typ] != "" {
			continue
		}
		id, err := api.CreateWebhook(ctx, typ, uri)
		switch {
		case err == nil:
			kept[typ] = id
		case errors.Is(err, picarto.ErrWebhookExists):
			conflicts = true
		case errors.Is(err, picarto.ErrWebhookUnverified):
			b.status.degrade(compWebhooks, "webhook URL not reachable")
			b.status.set(compWebhooks, "not reachable: Picarto could not reach "+s.webhookBase()+"; set picartoWebhookUrl to a public URL (polling keeps working)")
			b.log.Error("Picarto could not reach the webhook URL: it must be reachable from the internet "+
				"(set picartoWebhookUrl to a public tunnel URL); polling keeps working", "url", s.webhookBase())
			return fmt.Errorf("bridge: register webhooks: %w", err)
		default:
			return b.hookFailure(fmt.Errorf("create %s webhook: %w", typ, err))
		}
	}
	if conflicts && canManage {
		if existing, err := api.ListWebhooks(ctx, channelID); err == nil {
			for _, w := range existing {
				if w.URI == uri && kept[w.Type] == "" {
					kept[w.Type] = w.ID
				}
			}
		}
	}
	for _, typ := range picarto.WebhookTypes {
		if id := kept[typ]; id != "" {
			b.globals.Set(ctx, b.sbRunner(), actions.HookGlobal(string(typ)), id)
		}
	}
	b.status.degrade(compWebhooks, "")
	b.status.set(compWebhooks, fmt.Sprintf("registered %d of %d", len(kept), len(picarto.WebhookTypes)))
	b.log.Info("webhooks registered", "count", len(kept), "url", s.webhookBase())
	return nil
}

// unregisterWebhooks deletes every webhook of this app for the channel and
// clears the hook globals.
func (b *Bridge) unregisterWebhooks(ctx context.Context, api picartoAPI, s Settings) error {
	if s.ClientID == "" || s.ClientSecret == "" {
		return b.hookFailure(errors.New("picartoClientID and picartoClientToken are needed to delete webhooks"))
	}
	channelID, err := b.resolveChannelID(ctx, api, s)
	if err != nil {
		return b.hookFailure(fmt.Errorf("find the channel id: %w", err))
	}
	existing, err := api.ListWebhooks(ctx, channelID)
	if err != nil {
		return b.hookFailure(fmt.Errorf("list webhooks: %w", err))
	}
	for _, w := range existing {
		if err := api.DeleteWebhook(ctx, w.ID); err != nil && !errors.Is(err, picarto.ErrNotFound) {
			return b.hookFailure(fmt.Errorf("delete webhook %s: %w", w.ID, err))
		}
	}
	for _, typ := range picarto.WebhookTypes {
		b.globals.Set(ctx, b.sbRunner(), actions.HookGlobal(string(typ)), "")
	}
	b.status.set(compWebhooks, "none registered")
	b.log.Info("webhooks deleted", "count", len(existing))
	return nil
}

func (b *Bridge) hookFailure(err error) error {
	b.status.set(compWebhooks, "error: "+err.Error())
	b.log.Error("webhook registration failed", "err", err)
	return fmt.Errorf("bridge: webhooks: %w", err)
}

func (b *Bridge) resolveChannelID(ctx context.Context, api picartoAPI, s Settings) (int64, error) {
	if id := b.channelID.Load(); id != 0 {
		return id, nil
	}
	if s.Channel != "" {
		ch, err := api.ChannelByName(ctx, s.Channel)
		if err != nil {
			return 0, err
		}
		b.setChannelID(ch.UserID)
		return ch.UserID, nil
	}
	u, err := api.User(ctx)
	if err != nil {
		return 0, err
	}
	b.setChannelID(u.Channel.UserID)
	return u.Channel.UserID, nil
}

func isHookType(t picarto.WebhookType) bool {
	for _, x := range picarto.WebhookTypes {
		if strings.EqualFold(string(x), string(t)) {
			return true
		}
	}
	return false
}

package bridge

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

// Control command names (contract section 5): a Streamer.bot action runs
// CPH.WebsocketBroadcastJson({"picartoBridge": "<name>", ...}).
const (
	cmdRestart            = "restart"
	cmdStop               = "stop"
	cmdRegisterWebhooks   = "register-webhooks"
	cmdUnregisterWebhooks = "unregister-webhooks"
	cmdChat               = "chat"
	cmdTestFollow         = "test-follow" // from the status page
)

// command is one control command.
type command struct {
	Name    string
	Message string
}

// parseCommand reads a General.Custom event's data. Only JSON objects with a
// picartoBridge key are commands; anything else is ignored (contract
// section 5). A string broadcast may arrive wrapped as {"data":"<json>"}
// (streamerbot-ws spec 4.2), so that shape is unwrapped once.
func parseCommand(data json.RawMessage) (command, bool) {
	var obj map[string]any
	if err := json.Unmarshal(data, &obj); err != nil {
		return command{}, false
	}
	if _, ok := obj["picartoBridge"]; !ok {
		if inner, ok := obj["data"].(string); ok {
			if err := json.Unmarshal([]byte(inner), &obj); err != nil {
				return command{}, false
			}
		}
	}
	name, ok := obj["picartoBridge"].(string)
	if !ok {
		return command{}, false
	}
	cmd := command{Name: strings.ToLower(strings.TrimSpace(name))}
	if m, ok := obj["message"].(string); ok {
		cmd.Message = m
	}
	return cmd, true
}

// run carries out a command. It returns stop=true when the session must end.
func (s *session) run(ctx context.Context, cmd command) (outcome, bool) {
	b := s.b
	switch cmd.Name {
	case cmdRestart:
		return outcomeRestart, true
	case cmdStop:
		b.log.Info("stop command received")
		return outcomeStop, true
	case cmdRegisterWebhooks, cmdUnregisterWebhooks:
		if !s.loaded {
			// Until the globals are read the settings are the environment's
			// fallbacks: register with the streamer's real ones.
			s.deferred = append(s.deferred, cmd)
			break
		}
		st := s.currentSettings()
		s.wg.Go(func() {
			b.hookMu.Lock()
			defer b.hookMu.Unlock()
			if cmd.Name == cmdRegisterWebhooks {
				_ = b.registerWebhooks(ctx, s.api, st)
			} else {
				_ = b.unregisterWebhooks(ctx, s.api, st)
			}
		})
	case cmdChat:
		chat := s.currentChat()
		if chat == nil {
			b.log.Warn("chat command ignored: chat is off (set picartoChannelToken)")
			break
		}
		text := strings.TrimSpace(cmd.Message)
		if text == "" {
			b.log.Debug("chat command without message ignored")
			break
		}
		s.wg.Go(func() {
			sendCtx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			defer cancel()
			s.sent.add(text)
			if err := chat.Send(sendCtx, text); err != nil && ctx.Err() == nil {
				b.log.Warn("chat message not sent", "err", err)
			}
		})
	case cmdTestFollow:
		ev := actions.Event{Kind: actions.KindFollow, IsTest: true, CreatedAt: time.Now().UTC(),
			ID:   "test-" + randomHex(8),
			User: &actions.User{Display: "PicartoBridgeTest", Login: "picartobridgetest", ID: "0"}}
		if c := b.counts.Load(); c != nil {
			ev.FollowerCount = intPtr(c.followers)
		}
		if err := b.emit(ctx, ev); err != nil {
			b.log.Error("test follow not queued", "err", err)
		}
	default:
		b.log.Debug("unknown control command ignored", "command", cmd.Name)
	}
	return 0, false
}

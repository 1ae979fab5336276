package bridge

import (
	"strconv"
	"strings"
	"unicode"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/config"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// Settings are the user's choices, read from Streamer.bot globals (contract
// section 3) with the environment as fallback.
type Settings struct {
	Bearer       secret.Secret
	Channel      string
	ClientID     string
	ClientSecret secret.Secret
	RefreshToken secret.Secret
	ChatToken    secret.Secret
	BotName      string
	Port         int
	WebhookURL   string
	Init         bool
	Alerts       bool
}

// globalValues is the bridge's view of Streamer.bot's globals: name -> value
// as Streamer.bot stores it (string, float64, bool or nil). Temporary globals
// shadow persisted ones of the same name.
type globalValues map[string]any

// settingsFrom derives Settings from globals and the environment. Values are
// read leniently (contract section 3): "True"/"true"/true, 9005/"9005".
func settingsFrom(g globalValues, cfg config.Config) Settings {
	str := func(name string) string {
		v, ok := g[name]
		if !ok {
			return ""
		}
		return strings.TrimSpace(actions.ParseString(v))
	}
	s := Settings{
		Bearer:       secret.Secret(trimBearer(str(actions.GlobalBearer))),
		Channel:      str(actions.GlobalChannelName),
		ClientID:     str(actions.GlobalClientID),
		ClientSecret: secret.Secret(str(actions.GlobalClientToken)),
		RefreshToken: secret.Secret(str(actions.GlobalRefreshToken)),
		ChatToken:    secret.Secret(str(actions.GlobalChannelToken)),
		BotName:      str(actions.GlobalBotName),
		WebhookURL:   trimURL(str(actions.GlobalWebhookURL)),
		Port:         cfg.Port,
	}
	if s.Bearer == "" {
		s.Bearer = cfg.Bearer
	}
	if s.Channel == "" {
		s.Channel = strings.TrimSpace(cfg.Channel)
	}
	if v, ok := g[actions.GlobalPort]; ok {
		if p, ok := actions.ParseInt(v); ok && p > 0 && p < 65536 {
			s.Port = int(p)
		}
	}
	if v, ok := g[actions.GlobalInit]; ok {
		s.Init, _ = actions.ParseBool(v)
	}
	if v, ok := g[actions.GlobalAlerts]; ok {
		s.Alerts, _ = actions.ParseBool(v)
	}
	if s.BotName == "" {
		s.BotName = s.Channel
	}
	return s
}

// isSettingGlobal reports whether a global is one the bridge reads (contract
// section 3, "Read"): only a change to one of these can reconfigure anything.
func isSettingGlobal(name string) bool {
	switch name {
	case actions.GlobalBearer, actions.GlobalChannelName, actions.GlobalClientID, actions.GlobalClientToken,
		actions.GlobalRefreshToken, actions.GlobalChannelToken, actions.GlobalBotName, actions.GlobalPort,
		actions.GlobalWebhookURL, actions.GlobalInit, actions.GlobalAlerts:
		return true
	}
	return false
}

// trimURL drops trailing slashes and white space, however mixed
// ("https://x.example/\t/" is "https://x.example").
func trimURL(u string) string {
	return strings.TrimRightFunc(u, func(r rune) bool { return r == '/' || unicode.IsSpace(r) })
}

// trimBearer accepts a token pasted with its "Bearer " prefix, as the seed's
// copy-from-curl instructions make likely.
func trimBearer(tok string) string {
	tok = strings.TrimSpace(tok)
	if len(tok) > 7 && strings.EqualFold(tok[:7], "bearer ") {
		tok = strings.TrimSpace(tok[7:])
	}
	for { // `" 'tok' "` and the like: cut quotes and spaces until none is left
		next := strings.TrimSpace(strings.Trim(tok, `'"`))
		if next == tok {
			return tok
		}
		tok = next
	}
}

// pollKey, chatKey, alertsKey and httpKey say which settings each component
// depends on: a component restarts only when its key changes.
func (s Settings) pollKey() string {
	return s.Channel + "\x00" + s.Bearer.Reveal()
}

func (s Settings) chatKey() string {
	if s.ChatToken == "" || s.BotName == "" {
		return ""
	}
	return s.BotName + "\x00" + s.ChatToken.Reveal()
}

func (s Settings) alertsKey() string {
	if !s.Alerts || s.Channel == "" {
		return ""
	}
	return strings.ToLower(s.Channel)
}

func (s Settings) httpKey() string { return strconv.Itoa(s.Port) }

// webhookBase is where Picarto must send webhooks: picartoWebhookUrl, or
// http://localhost:<port> (contract section 3).
func (s Settings) webhookBase() string {
	if s.WebhookURL != "" {
		return s.WebhookURL
	}
	return "http://localhost:" + strconv.Itoa(s.Port)
}

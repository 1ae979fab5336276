// Package config reads picarto-bridge's settings from the environment
// (contract section 2): a .env file in the working directory is loaded first
// and the real environment wins over it. Every problem is reported at once.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"github.com/joho/godotenv"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// Config is every environment setting of contract section 2.
type Config struct {
	// SBURL is the Streamer.bot WebSocket server (SB_WS_URL).
	SBURL string `env:"SB_WS_URL" envDefault:"ws://127.0.0.1:8080/"`
	// SBPassword is the Streamer.bot WebSocket password (SB_WS_PASSWORD).
	SBPassword secret.Secret `env:"SB_WS_PASSWORD"`

	// PicartoAPIURL is the Picarto REST base (PICARTO_API_URL).
	PicartoAPIURL string `env:"PICARTO_API_URL" envDefault:"https://api.picarto.tv/api/v1"`
	// PicartoOAuthURL is the Picarto OAuth base (PICARTO_OAUTH_URL).
	PicartoOAuthURL string `env:"PICARTO_OAUTH_URL" envDefault:"https://oauth.picarto.tv"`
	// PicartoChatURL is the Picarto bot chat base (PICARTO_CHAT_URL).
	PicartoChatURL string `env:"PICARTO_CHAT_URL" envDefault:"wss://chat.picarto.tv/bot/"`
	// PicartoInternalURL is Picarto's internal GraphQL endpoint (PICARTO_INTERNAL_URL).
	PicartoInternalURL string `env:"PICARTO_INTERNAL_URL" envDefault:"https://ptvintern.picarto.tv/ptvapi"`
	// PicartoAlertsURL is Picarto's alert-box socket base (PICARTO_ALERTS_URL).
	PicartoAlertsURL string `env:"PICARTO_ALERTS_URL" envDefault:"wss://chat.picarto.tv/widget/"`

	// Host is the address the bridge's HTTP server listens on (BRIDGE_HOST).
	Host string `env:"BRIDGE_HOST" envDefault:"127.0.0.1"`
	// Port is the HTTP port unless the picartoPort global is set (BRIDGE_PORT).
	Port int `env:"BRIDGE_PORT" envDefault:"9005"`
	// DataDir holds state, the event queue, the lock and logs (BRIDGE_DATA_DIR).
	// Default: the user config dir + "/picarto-bridge".
	DataDir string `env:"BRIDGE_DATA_DIR"`
	// PollInterval is the Picarto polling period, at least 5s (BRIDGE_POLL_INTERVAL).
	PollInterval time.Duration `env:"BRIDGE_POLL_INTERVAL" envDefault:"30s"`
	// RateLimit is the most Picarto REST requests in any 60 s (PICARTO_RATE_LIMIT).
	RateLimit int `env:"PICARTO_RATE_LIMIT" envDefault:"30"`
	// EventTTL drops undelivered events older than this (BRIDGE_EVENT_TTL).
	EventTTL time.Duration `env:"BRIDGE_EVENT_TTL" envDefault:"15m"`
	// LogLevel is debug, info, warn or error (BRIDGE_LOG_LEVEL).
	LogLevel slog.Level `env:"BRIDGE_LOG_LEVEL" envDefault:"info"`
	// LogFile, when set, also receives the logs, rotated (BRIDGE_LOG_FILE).
	LogFile string `env:"BRIDGE_LOG_FILE"`

	// Bearer is used only while the picartoBearer global is unset (PICARTO_BEARER).
	Bearer secret.Secret `env:"PICARTO_BEARER"`
	// Channel is used only while picartoChannelName is unset (PICARTO_CHANNEL).
	Channel string `env:"PICARTO_CHANNEL"`
}

// Error lists every configuration problem; main exits 2 with it.
type Error struct {
	// Problems are one line each, naming the variable to fix, never a secret.
	Problems []string
}

func (e *Error) Error() string {
	return "config: " + strings.Join(e.Problems, "; ")
}

// Load reads .env (when envFile exists) and the process environment; the
// real environment wins. It returns *Error listing every problem.
func Load(envFile string) (Config, error) {
	vars := map[string]string{}
	var problems []string
	if envFile != "" {
		fileVars, err := godotenv.Read(envFile)
		switch {
		case err == nil:
			vars = fileVars
		case errors.Is(err, os.ErrNotExist):
		default:
			problems = append(problems, fmt.Sprintf("%s: cannot read: %v", envFile, err))
		}
	}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			vars[k] = v
		}
	}
	cfg, err := Parse(vars)
	if err != nil {
		var ce *Error
		if errors.As(err, &ce) {
			ce.Problems = append(problems, ce.Problems...)
			return cfg, ce
		}
		return cfg, err
	}
	if len(problems) > 0 {
		return cfg, &Error{Problems: problems}
	}
	return cfg, nil
}

// Parse builds a Config from vars alone (hermetic; tests use it) and
// validates it.
func Parse(vars map[string]string) (Config, error) {
	var problems []string
	cfg, err := env.ParseAsWithOptions[Config](env.Options{Environment: vars})
	if err != nil {
		var agg env.AggregateError
		if errors.As(err, &agg) {
			for _, e := range agg.Errors {
				problems = append(problems, describe(e))
			}
		} else {
			problems = append(problems, err.Error())
		}
	}
	problems = append(problems, cfg.validate(vars)...)
	if cfg.DataDir == "" {
		dir, derr := os.UserConfigDir()
		if derr != nil {
			problems = append(problems, "BRIDGE_DATA_DIR: not set and no user config directory: set BRIDGE_DATA_DIR")
		} else {
			cfg.DataDir = filepath.Join(dir, "picarto-bridge")
		}
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return cfg, &Error{Problems: problems}
	}
	return cfg, nil
}

// describe turns one caarlos0/env error into a line without the value, so a
// mistyped secret never reaches the terminal.
func describe(err error) string {
	var pe env.ParseError
	if errors.As(err, &pe) {
		key := envKey(pe.Name)
		return fmt.Sprintf("%s: cannot parse as %s", key, pe.Type)
	}
	return err.Error()
}

// envKey maps a Config field name to its variable name.
func envKey(field string) string {
	keys := map[string]string{
		"SBURL": "SB_WS_URL", "Port": "BRIDGE_PORT", "PollInterval": "BRIDGE_POLL_INTERVAL",
		"RateLimit": "PICARTO_RATE_LIMIT", "EventTTL": "BRIDGE_EVENT_TTL", "LogLevel": "BRIDGE_LOG_LEVEL",
	}
	if k, ok := keys[field]; ok {
		return k
	}
	return field
}

func (c Config) validate(vars map[string]string) []string {
	var p []string
	checkURL := func(name, value string, schemes ...string) {
		u, err := url.Parse(value)
		if err != nil || u.Host == "" || !contains(schemes, u.Scheme) {
			p = append(p, fmt.Sprintf("%s: %q is not a URL with scheme %s", name, value, strings.Join(schemes, " or ")))
		}
	}
	checkURL("SB_WS_URL", c.SBURL, "ws", "wss")
	checkURL("PICARTO_API_URL", c.PicartoAPIURL, "http", "https")
	checkURL("PICARTO_OAUTH_URL", c.PicartoOAuthURL, "http", "https")
	checkURL("PICARTO_CHAT_URL", c.PicartoChatURL, "ws", "wss")
	checkURL("PICARTO_INTERNAL_URL", c.PicartoInternalURL, "http", "https")
	checkURL("PICARTO_ALERTS_URL", c.PicartoAlertsURL, "ws", "wss")
	if _, set := vars["BRIDGE_PORT"]; set || c.Port != 0 {
		if c.Port < 1 || c.Port > 65535 {
			p = append(p, fmt.Sprintf("BRIDGE_PORT: %d is out of range 1-65535", c.Port))
		}
	}
	if c.PollInterval != 0 && c.PollInterval < 5*time.Second {
		p = append(p, fmt.Sprintf("BRIDGE_POLL_INTERVAL: %v is below the minimum 5s", c.PollInterval))
	}
	if _, set := vars["PICARTO_RATE_LIMIT"]; set && c.RateLimit < 1 {
		p = append(p, fmt.Sprintf("PICARTO_RATE_LIMIT: %d must be at least 1", c.RateLimit))
	}
	if _, set := vars["BRIDGE_EVENT_TTL"]; set && c.EventTTL <= 0 {
		p = append(p, "BRIDGE_EVENT_TTL: must be a positive duration such as 15m")
	}
	if strings.TrimSpace(c.Host) == "" {
		p = append(p, "BRIDGE_HOST: must not be empty")
	}
	return p
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

package picarto

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// The GraphQL operations of Picarto's internal API (spec §3.2, §3.3), exactly
// as the peers send them (whitespace folded), and the channel look-up of §3.6.
const (
	alertQueryKey     = `query generateToken($channelId: Int, $channelName: String, $userId: Int) { generateJwtToken(channel_id: $channelId, channel_name: $channelName, user_id: $userId) { key __typename } }`
	alertQueryWidget  = `query generateJwtTokenFromKey($key: String!) { __typename generateJwtTokenFromKey(key: $key) { key __typename } }`
	alertQueryChannel = `query channel($name: String!) { channel(name: $name) { id name __typename } }`
)

var (
	// ErrAlertsUnknownChannel means Picarto knows no such channel (the look-up
	// answered null, or step A gave a null key for every variant), or none is
	// configured. It is a configuration error: Run returns it at once.
	ErrAlertsUnknownChannel = errors.New("picarto: alerts: unknown channel")
	// ErrAlertsNoKey means a token step answered without a usable key (null,
	// empty, or not a JWT where one is required).
	ErrAlertsNoKey = errors.New("picarto: alerts: no key in answer")
)

// AlertsGraphQLError is a failed call to Picarto's internal GraphQL API: the
// messages of the answer's `errors` (tokens scrubbed), or an HTTP status
// other than 200 (Status, with any messages the body had).
type AlertsGraphQLError struct {
	Operation string   // "generateJwtToken", "generateJwtTokenFromKey", "channel"
	Status    int      // HTTP status; 200 when the failure was in the body
	Messages  []string // GraphQL error messages, first one first
}

// Error implements error.
func (e *AlertsGraphQLError) Error() string {
	msg := "no message"
	if len(e.Messages) > 0 {
		msg = strings.Join(e.Messages, "; ")
	}
	if e.Status != http.StatusOK {
		return fmt.Sprintf("picarto: alerts: %s: HTTP %d: %s", e.Operation, e.Status, msg)
	}
	return fmt.Sprintf("picarto: alerts: %s: graphql: %s", e.Operation, msg)
}

// AlertsToken is the result of the token flow: step A's key (also the site
// chat token, spec §3.2) and step B's widget-socket token.
type AlertsToken struct {
	ChannelID   int64
	ChannelName string
	Key         secret.Secret
	Widget      secret.Secret
	// Expires is the widget token's JWT exp, zero when it has none.
	Expires time.Time
}

var alertJWTRe = regexp.MustCompile(`^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$`)

// FetchToken runs the token flow of spec §3.6 once: resolve the channel name
// to an id when no id is configured (cached afterwards), step A
// (generateJwtToken by id, then by name when the id gives no key), step B
// (generateJwtTokenFromKey with A's key, passed on unchanged). A configured
// Key skips step A, a configured WidgetToken skips both. Each request waits
// on the shared Limiter. It makes one attempt: Run does the retrying.
func (a *Alerts) FetchToken(ctx context.Context) (AlertsToken, error) {
	tok := AlertsToken{ChannelID: a.channelID.Load(), ChannelName: a.cfg.ChannelName}
	if !a.cfg.WidgetToken.IsZero() {
		tok.Widget, tok.Expires = a.cfg.WidgetToken, alertJWTExpiry(a.cfg.WidgetToken.Reveal())
		return tok, nil
	}
	tok.Key = a.cfg.Key
	if tok.Key.IsZero() {
		if tok.ChannelID == 0 && tok.ChannelName == "" {
			return tok, fmt.Errorf("%w: set the channel name or id", ErrAlertsUnknownChannel)
		}
		if tok.ChannelID == 0 {
			id, err := a.alertResolve(ctx, tok.ChannelName)
			switch {
			case err == nil:
				tok.ChannelID = id
				a.channelID.Store(id)
			case errors.Is(err, ErrAlertsUnknownChannel) || ctx.Err() != nil:
				return tok, err
			default: // the look-up is only a convenience: step A takes the name too
				a.log.Debug("picarto alerts: channel look-up failed, asking by name", "err", err)
			}
		}
		key, err := a.alertKey(ctx, tok.ChannelID, tok.ChannelName)
		if err != nil {
			return tok, err
		}
		tok.Key = key
	}
	var out struct {
		Field *struct{ Key *string } `json:"generateJwtTokenFromKey"`
	}
	vars := map[string]any{"key": tok.Key.Reveal()}
	if err := a.alertGraphQL(ctx, "generateJwtTokenFromKey", alertQueryWidget, vars, &out); err != nil {
		if out.Field == nil {
			return tok, fmt.Errorf("picarto: alerts: widget token: %w: %w", ErrAlertsNoKey, err)
		}
		a.log.Warn("picarto alerts: widget token answer had errors", "err", err)
	}
	if out.Field == nil || out.Field.Key == nil || strings.TrimSpace(*out.Field.Key) == "" {
		return tok, fmt.Errorf("picarto: alerts: widget token: %w (generateJwtTokenFromKey answered null)", ErrAlertsNoKey)
	}
	tok.Widget = secret.Secret(*out.Field.Key)
	tok.Expires = alertJWTExpiry(*out.Field.Key)
	return tok, nil
}

// alertKey is step A: by id first, then by name.
func (a *Alerts) alertKey(ctx context.Context, id int64, name string) (secret.Secret, error) {
	var variants []map[string]any
	if id != 0 {
		variants = append(variants, map[string]any{"channelId": id})
	}
	if name != "" {
		variants = append(variants, map[string]any{"channelName": name})
	}
	var last error
	for _, vars := range variants {
		var out struct {
			Field *struct{ Key *string } `json:"generateJwtToken"`
		}
		err := a.alertGraphQL(ctx, "generateJwtToken", alertQueryKey, vars, &out)
		switch {
		case err != nil && out.Field == nil:
			// Only an answer that was a GraphQL failure is worth another
			// variant; HTTP and network failures go back to Run's backoff.
			var gerr *AlertsGraphQLError
			if !errors.As(err, &gerr) || gerr.Status != http.StatusOK {
				return "", err
			}
			last = err
			continue
		case out.Field == nil || out.Field.Key == nil || *out.Field.Key == "":
			// Spec §3.2: an unknown channel answers "key": null.
			last = fmt.Errorf("picarto: alerts: key for channel %q (id %d): %w: %w", name, id, ErrAlertsNoKey, ErrAlertsUnknownChannel)
			continue
		case !alertJWTRe.MatchString(*out.Field.Key):
			last = fmt.Errorf("picarto: alerts: key for channel %q: %w (not a JWT)", name, ErrAlertsNoKey)
			continue
		}
		return secret.Secret(*out.Field.Key), nil
	}
	return "", last
}

// alertResolve looks the channel id up by name (GraphQL channel(name:)).
func (a *Alerts) alertResolve(ctx context.Context, name string) (int64, error) {
	var out struct {
		Channel *struct{ ID json.RawMessage } `json:"channel"`
	}
	if err := a.alertGraphQL(ctx, "channel", alertQueryChannel, map[string]any{"name": name}, &out); err != nil {
		return 0, err
	}
	if out.Channel == nil {
		return 0, fmt.Errorf("%w: %q", ErrAlertsUnknownChannel, name)
	}
	id, err := strconv.ParseInt(strings.Trim(string(out.Channel.ID), `" `), 10, 64)
	if err != nil || id <= 0 {
		return 0, fmt.Errorf("picarto: alerts: channel %q: odd id %s", name, alertSnippet(string(out.Channel.ID)))
	}
	return id, nil
}

// alertGraphQL POSTs one operation and decodes `data` into out. On GraphQL
// errors it still decodes what data there is and returns *AlertsGraphQLError.
func (a *Alerts) alertGraphQL(ctx context.Context, op, query string, vars map[string]any, out any) error {
	secrets := a.alertSecrets(vars)
	body, err := json.Marshal(map[string]any{"operationName": alertOperationName(query), "query": query, "variables": vars})
	if err != nil {
		return fmt.Errorf("picarto: alerts: %s: %w", op, err)
	}
	if err := a.limiter.Wait(ctx); err != nil {
		return fmt.Errorf("picarto: alerts: %s: %w", op, err)
	}
	a.stats.graphql.Add(1)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, a.cfg.InternalURL, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("picarto: alerts: %s: %s", op, secret.Scrub(err.Error(), secrets...))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Origin", a.cfg.Origin)
	req.Header.Set("User-Agent", a.cfg.UserAgent)
	resp, err := a.http.Do(req)
	if err != nil {
		return fmt.Errorf("picarto: alerts: %s: %s", op, secret.Scrub(err.Error(), secrets...))
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return fmt.Errorf("picarto: alerts: %s: read: %s", op, secret.Scrub(err.Error(), secrets...))
	}
	if resp.StatusCode == http.StatusTooManyRequests {
		a.limiter.PauseUntil(alertRetryAfter(resp.Header.Get("Retry-After"), time.Now()))
	}
	var env struct {
		Data   json.RawMessage
		Errors []struct{ Message string }
	}
	jsonErr := json.Unmarshal(raw, &env)
	gerr := &AlertsGraphQLError{Operation: op, Status: resp.StatusCode}
	for _, e := range env.Errors {
		gerr.Messages = append(gerr.Messages, secret.Scrub(e.Message, secrets...))
	}
	if resp.StatusCode != http.StatusOK {
		if len(gerr.Messages) == 0 {
			gerr.Messages = []string{alertSnippet(secret.Scrub(string(raw), secrets...))}
		}
		return gerr
	}
	if jsonErr != nil {
		gerr.Messages = []string{"answer is not JSON: " + alertSnippet(secret.Scrub(string(raw), secrets...))}
		return gerr
	}
	if len(env.Data) > 0 && string(env.Data) != "null" {
		if err := json.Unmarshal(env.Data, out); err != nil {
			gerr.Messages = append(gerr.Messages, "odd data: "+secret.Scrub(err.Error(), secrets...))
			return gerr
		}
	}
	if len(gerr.Messages) > 0 {
		return gerr
	}
	return nil
}

// alertSecrets lists the values to scrub from anything a call returns.
func (a *Alerts) alertSecrets(vars map[string]any) []string {
	s := []string{a.cfg.Key.Reveal(), a.cfg.WidgetToken.Reveal()}
	if k, ok := vars["key"].(string); ok {
		s = append(s, k)
	}
	return s
}

func alertOperationName(query string) string {
	f := strings.Fields(strings.NewReplacer("(", " ", "{", " ").Replace(query))
	if len(f) > 1 && f[0] == "query" {
		return f[1]
	}
	return ""
}

// alertRetryAfter reads Retry-After (seconds or a date); without one the
// pause lasts to the start of the next minute (contract §8).
func alertRetryAfter(h string, now time.Time) time.Time {
	if s, err := strconv.Atoi(strings.TrimSpace(h)); err == nil && s >= 0 {
		return now.Add(time.Duration(s) * time.Second)
	}
	if t, err := http.ParseTime(h); err == nil {
		return t
	}
	return now.Truncate(time.Minute).Add(time.Minute)
}

func alertSnippet(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}

// alertJWTExpiry returns a JWT's exp claim, or zero. It only reads the
// payload; the token itself is never re-encoded.
func alertJWTExpiry(tok string) time.Time {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return time.Time{}
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(parts[1], "="))
	if err != nil {
		return time.Time{}
	}
	var claims struct{ Exp json.Number }
	if json.Unmarshal(b, &claims) != nil || claims.Exp == "" {
		return time.Time{}
	}
	exp, err := claims.Exp.Float64()
	if err != nil || exp <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(exp), 0)
}

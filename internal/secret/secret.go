// Package secret holds a string type for tokens and passwords that never
// prints its value: not in logs, errors, fmt verbs or JSON.
package secret

import (
	"log/slog"
	"strings"
)

// Redacted is what a Secret prints as.
const Redacted = "REDACTED"

// Secret is a token or password. Its String, GoString, LogValue, MarshalText
// and MarshalJSON all return "REDACTED"; Reveal returns the real value.
// It is filled by caarlos0/env through UnmarshalText.
type Secret string

// Reveal returns the secret's real value, for use on the wire only.
func (s Secret) Reveal() string { return string(s) }

// IsZero reports whether the secret is empty.
func (s Secret) IsZero() bool { return s == "" }

// String implements fmt.Stringer and returns "REDACTED" (or "" when empty).
func (s Secret) String() string {
	if s == "" {
		return ""
	}
	return Redacted
}

// GoString implements fmt.GoStringer so %#v does not leak the value.
func (s Secret) GoString() string { return `secret.Secret("` + s.String() + `")` }

// LogValue implements slog.LogValuer.
func (s Secret) LogValue() slog.Value { return slog.StringValue(s.String()) }

// MarshalText implements encoding.TextMarshaler; it writes "REDACTED".
func (s Secret) MarshalText() ([]byte, error) { return []byte(s.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler; it stores the value.
func (s *Secret) UnmarshalText(b []byte) error {
	*s = Secret(strings.TrimSpace(string(b)))
	return nil
}

// Scrub replaces every occurrence of each non-empty secret value in text with
// "REDACTED". Use it on text that came from outside (an error body, a URL)
// before it reaches a log line or an error.
func Scrub(text string, secrets ...string) string {
	for _, v := range secrets {
		if len(v) >= 4 { // shorter values would mangle ordinary text
			text = strings.ReplaceAll(text, v, Redacted)
		}
	}
	return text
}

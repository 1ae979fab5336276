package bridge

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/jsonstr"
	"github.com/picarto-bridge/picarto-bridge/internal/outbox"
)

// Dedup memories (contract section 4): the same Picarto event seen twice runs
// once; a user who unfollows and follows again within 24 hours gets no second
// follow alert.
const (
	followMemory = 24 * time.Hour
	eventMemory  = 24 * time.Hour
	chatMemory   = time.Hour
)

// payload is what an outbox entry holds: the action to run and its
// arguments, already encoded, so delivery does no work but send.
type payload struct {
	Kind   actions.Kind    `json:"k"`
	Action string          `json:"a"`
	Args   json.RawMessage `json:"args"`
}

func encodePayload(e actions.Event) []byte {
	b := make([]byte, 0, 512)
	b = append(b, `{"k":`...)
	b = jsonstr.Append(b, string(e.Kind))
	b = append(b, `,"a":`...)
	b = jsonstr.Append(b, actions.ActionName(e.Kind))
	b = append(b, `,"args":`...)
	b = actions.AppendArgsJSON(b, e)
	b = append(b, '}')
	return b
}

// dedupKey returns the outbox dedup key of an event and how long it is
// remembered. Follows share one key per user across every source (webhook,
// poll, notifications, alert socket), which is also the 24 h re-follow rule.
func dedupKey(e actions.Event) (string, time.Duration) {
	login := ""
	if e.User != nil {
		login = strings.ToLower(e.User.Login)
		if login == "" {
			login = strings.ToLower(e.User.Display)
		}
	}
	switch e.Kind {
	case actions.KindFollow:
		if login != "" {
			return "follow:" + login, followMemory
		}
	case actions.KindSubscribe:
		if login != "" && (e.IsGift == nil || !*e.IsGift) {
			return "subscribe:" + login, eventMemory
		}
	case actions.KindUnfollow, actions.KindUnsubscribe:
		if login != "" {
			return string(e.Kind) + ":" + login + ":" + e.ID, eventMemory
		}
	case actions.KindChat, actions.KindTip:
		return string(e.Kind) + ":" + e.ID, chatMemory
	}
	return string(e.Kind) + ":" + e.ID, eventMemory
}

// emit puts an event in the durable outbox. It returns once the event is on
// disk (or is a duplicate), which is when a source may be acknowledged.
func (b *Bridge) emit(ctx context.Context, e actions.Event) error {
	return b.emitMany(ctx, []actions.Event{e})
}

// emitMany queues events in order, sharing commits (a chat flood), and
// returns the first error.
func (b *Bridge) emitMany(ctx context.Context, events []actions.Event) error {
	items := make([]outbox.Item, len(events))
	for i := range events {
		e := &events[i]
		if e.CreatedAt.IsZero() {
			e.CreatedAt = time.Now().UTC()
		}
		if e.ID == "" {
			e.ID = fmt.Sprintf("%s-%d", e.Kind, e.CreatedAt.UnixNano())
		}
		key, memory := dedupKey(*e)
		if e.IsTest {
			key = "" // test events always run
		}
		items[i] = outbox.Item{Key: key, Payload: encodePayload(*e), At: e.CreatedAt, DedupFor: memory}
	}
	var first error
	for i, r := range b.store.AppendMany(ctx, items) {
		e := events[i]
		switch {
		case r.Err != nil:
			if first == nil {
				first = fmt.Errorf("bridge: queue %s event: %w", e.Kind, r.Err)
			}
		case r.Dup:
			b.log.Debug("duplicate event dropped", "kind", e.Kind, "id", e.ID)
		default:
			b.status.recordEvent(e)
			level := slog.LevelInfo
			if e.Kind == actions.KindChat {
				level = slog.LevelDebug // a busy chat would flood the log
			}
			b.log.Log(ctx, level, "event queued", "kind", e.Kind, "id", e.ID, "user", userDisplay(e))
		}
	}
	return first
}

func userDisplay(e actions.Event) string {
	if e.User == nil {
		return ""
	}
	return e.User.Display
}

// eventUser builds the user of an event from what a source tells: the
// display name, the login (lower-cased; the display name when unknown), the
// id and the avatar URL. It is nil when the source names nobody.
func eventUser(display, login, id, avatar string) *actions.User {
	if display == "" && login == "" {
		return nil
	}
	if display == "" {
		display = login
	}
	if login == "" {
		login = display
	}
	return &actions.User{Display: display, Login: strings.ToLower(login), ID: id, Avatar: avatar}
}

package bridge

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto"
)

// runChat reads Picarto chat with the bot token (contract sections 4, 5, 8).
// A rejected token is reported once and not retried until
// picartoChannelToken changes: the component then simply restarts.
func (s *session) runChat(ctx context.Context, st Settings) error {
	b := s.b
	chat := picarto.NewChat(picarto.ChatConfig{
		URL: b.cfg.PicartoChatURL, Username: st.BotName, Token: st.ChatToken,
		Logger: b.log.With("component", "chat"), SendLimiter: b.chatLimiter, EventBuffer: 8192,
		OnConnect: func() {
			b.status.degrade(compChat, "")
			b.status.set(compChat, "connected")
		},
		OnDisconnect: func(error) { b.status.set(compChat, "reconnecting") },
	})
	s.mu.Lock()
	s.chat = chat
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		if s.chat == chat {
			s.chat = nil
		}
		s.mu.Unlock()
	}()
	b.status.set(compChat, "connecting")
	return runSource(ctx, s, chat.Run, chat.Events(), s.chatEvent, func(err error) error {
		if !errors.Is(err, picarto.ErrChatAuth) {
			return err
		}
		b.status.set(compChat, "token rejected: renew picartoChannelToken")
		b.status.degrade(compChat, "chat token rejected")
		b.log.Error("Picarto rejected the chat token: generate a new one and set picartoChannelToken (not retried until it changes)",
			"bot", st.BotName)
		return nil
	})
}

// chatEvent maps one chat frame to an action event; frames the decoder did
// not understand are captured, and the echo of the bridge's own sends is
// skipped.
func (s *session) chatEvent(ev picarto.ChatEvent) (actions.Event, bool) {
	switch m := ev.(type) {
	case picarto.ChatUnknown:
		s.b.captures.Add("chat", m.Raw, false)
		return actions.Event{}, false
	case picarto.ChatMessage:
		if m.Self && s.sent.take(m.Text) {
			return actions.Event{}, false
		}
	}
	return chatToEvent(ev)
}

// chatToEvent maps a decoded chat frame to an action event.
func chatToEvent(ev picarto.ChatEvent) (actions.Event, bool) {
	switch m := ev.(type) {
	case picarto.ChatMessage:
		e := actions.Event{Kind: actions.KindChat, ID: m.ID, CreatedAt: m.Time.UTC(), User: chatUser(m),
			Message: m.Text, MsgID: m.ID, Color: m.Color,
			IsStreamer: m.IsStreamer, IsBot: m.IsBot, IsModerator: m.IsModerator}
		return e, true
	case picarto.ChatTip:
		e := actions.Event{Kind: actions.KindTip, ID: m.ID, CreatedAt: m.Time.UTC(), User: chatUser(m.ChatMessage),
			Message: m.Text, MsgID: m.ID, Amount: intPtr(m.Amount)}
		return e, true
	case picarto.ChatRaid:
		now := time.Now().UTC()
		e := actions.Event{Kind: actions.KindRaid, ID: fmt.Sprintf("raid-%s-%d", strings.ToLower(m.From), now.Unix()/60), CreatedAt: now,
			User: eventUser(m.From, "", "", ""), Message: m.Message}
		if m.Viewers > 0 {
			e.Viewers = intPtr(m.Viewers)
		}
		return e, true
	}
	return actions.Event{}, false
}

func chatUser(m picarto.ChatMessage) *actions.User {
	return eventUser(m.DisplayName, m.UserName, m.UserID, m.Avatar)
}

// sentMessages remembers the chat texts the bridge sent in the last minute,
// so their echo is not run as Process Picarto Chat. The streamer's own lines
// (when the bot uses the streamer's account) still are.
type sentMessages struct {
	mu   sync.Mutex
	list []sentMessage
}

type sentMessage struct {
	text string
	at   time.Time
}

func (m *sentMessages) add(text string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune()
	m.list = append(m.list, sentMessage{text, time.Now()})
}

// take reports whether text was sent recently and forgets it.
func (m *sentMessages) take(text string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.prune()
	for i, s := range m.list {
		if s.text == text {
			m.list = append(m.list[:i], m.list[i+1:]...)
			return true
		}
	}
	return false
}

func (m *sentMessages) prune() {
	cut := 0
	for cut < len(m.list) && time.Since(m.list[cut].at) > time.Minute {
		cut++
	}
	m.list = m.list[cut:]
}

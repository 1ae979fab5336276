package picartotest

import (
	"fmt"
	"maps"
	"strconv"
	"time"

	"github.com/google/uuid"
)

// ChatLine is one chat line the fake sends, rendered in the real
// abbreviated shape of API spec §6.7 (string `c`/`u`, `d` in epoch ms).
type ChatLine struct {
	// ID defaults to a fresh UUID v1, like Picarto's.
	ID string
	// ChannelID and ChannelName default to the receiving connection's.
	ChannelID   int64
	ChannelName string
	UserID      int64
	Name        string
	// Avatar is a path relative to images.picarto.tv (or absolute);
	// default "ptvimages/1/<uid%100>/<uid>/avatars/avatar.png".
	Avatar string
	Text   string
	// Color is the name colour, hex without '#'; default "66afff".
	Color         string
	Streamer, Bot bool
	// Time defaults to now.
	Time time.Time
	// OldTime puts the time under the older key `a` instead of `d`.
	OldTime bool
	// Extra keys are added as they are (y, o, cb, g, e, mod ...).
	Extra map[string]any
}

func (l ChatLine) render(to *chatConn, typ string) map[string]any {
	if l.ID == "" {
		if id, err := uuid.NewUUID(); err == nil {
			l.ID = id.String()
		} else {
			l.ID = uuid.NewString()
		}
	}
	if l.ChannelID == 0 {
		l.ChannelID, l.ChannelName = to.channelID, to.channelName
	}
	if l.Avatar == "" {
		l.Avatar = fmt.Sprintf("ptvimages/1/%d/%d/avatars/avatar.png", l.UserID%100, l.UserID)
	}
	if l.Color == "" {
		l.Color = "66afff"
	}
	if l.Time.IsZero() {
		l.Time = time.Now()
	}
	m := map[string]any{
		"t": typ, "c": strconv.FormatInt(l.ChannelID, 10), "u": strconv.FormatInt(l.UserID, 10),
		"n": l.Name, "rn": l.ChannelName, "i": l.Avatar, "m": l.Text, "id": l.ID,
		"k": l.Color, "rc": "66afff", "s": l.Streamer, "z": l.Bot,
	}
	if l.OldTime {
		m["a"] = l.Time.UnixMilli()
	} else {
		m["d"] = l.Time.UnixMilli()
	}
	if l.Streamer {
		m["o"], m["cb"], m["y"] = true, true, "F"
	}
	maps.Copy(m, l.Extra)
	return m
}

func chatBatch(typ string, lines ...map[string]any) map[string]any {
	return map[string]any{"t": typ, "m": lines}
}

// Say sends line as a `c` batch to every connection.
func (s *ChatServer) Say(line ChatLine) {
	s.broadcast(func(to *chatConn) any { return chatBatch("c", line.render(to, "c")) })
}

// Tip sends a Kudos tip: a `ct` batch whose line has `x` (kudos) and `v`.
func (s *ChatServer) Tip(line ChatLine, kudos int) {
	s.broadcast(func(to *chatConn) any {
		m := line.render(to, "ct")
		m["x"], m["v"] = kudos, true
		return chatBatch("ct", m)
	})
}

// History sends lines as a history page (`paginated:true`, the answer to
// `chatNext`), which live clients must skip.
func (s *ChatServer) History(lines ...ChatLine) {
	s.broadcast(func(to *chatConn) any {
		ms := make([]map[string]any, 0, len(lines))
		for _, l := range lines {
			ms = append(ms, l.render(to, "c"))
		}
		f := chatBatch("c", ms...)
		f["paginated"] = true
		return f
	})
}

// Raid sends a raid notice `{m: sentence, n: from, rn: channel}`. The
// count is in the sentence, and under opts.RaidViewersKey when set.
func (s *ChatServer) Raid(from string, viewers int) {
	s.broadcast(func(to *chatConn) any {
		text := fmt.Sprintf("%s is raiding %s!", from, to.channelName)
		if viewers > 0 {
			text = fmt.Sprintf("%s is raiding %s with %d viewers!", from, to.channelName, viewers)
		}
		m := map[string]any{"m": text, "n": from, "rn": to.channelName}
		if s.opts.RaidViewersKey != "" {
			m[s.opts.RaidViewersKey] = viewers
		}
		return map[string]any{"t": "raid", "m": m}
	})
}

// Join and Leave send `un` / `ur` `{u, n}`.
func (s *ChatServer) Join(userID int64, name string) { s.userFrame("un", userID, name) }

// Leave sends `ur` `{u, n}`.
func (s *ChatServer) Leave(userID int64, name string) { s.userFrame("ur", userID, name) }

func (s *ChatServer) userFrame(typ string, userID int64, name string) {
	f := map[string]any{"t": typ, "m": map[string]any{"u": strconv.FormatInt(userID, 10), "n": name}}
	s.broadcast(func(*chatConn) any { return f })
}

// ChatSub is a subscription notice for Subscription (API spec §6.8).
type ChatSub struct {
	// Name is the subscriber or gifter ("" when Anonymous).
	Name string
	// Recipient of a direct gift.
	Recipient string
	Months    int
	Gift      bool
	Anonymous bool
	// Community lists community-gift recipients (`sc`).
	Community []string
	Level     int
}

// Subscription sends an `ns` notice.
func (s *ChatServer) Subscription(sub ChatSub) {
	s.broadcast(func(to *chatConn) any {
		m := map[string]any{"n": to.channelName}
		set := func(k string, v any, ok bool) {
			if ok {
				m[k] = v
			}
		}
		set("sn", sub.Name, sub.Name != "")
		set("gn", sub.Recipient, sub.Recipient != "")
		set("md", sub.Months, sub.Months > 0)
		set("sg", true, sub.Gift)
		set("ag", true, sub.Anonymous)
		set("sc", sub.Community, len(sub.Community) > 0)
		set("slvl", sub.Level, sub.Level > 0)
		return map[string]any{"t": "ns", "m": m}
	})
}

// RemoveMessage sends `rm {id, m}`.
func (s *ChatServer) RemoveMessage(id, replacement string) {
	f := map[string]any{"t": "rm", "m": map[string]any{"id": id, "m": replacement}}
	s.broadcast(func(*chatConn) any { return f })
}

// ClearUser sends `cm {u}`: all of a user's messages cleared.
func (s *ChatServer) ClearUser(userID int64) {
	f := map[string]any{"t": "cm", "m": map[string]any{"u": strconv.FormatInt(userID, 10)}}
	s.broadcast(func(*chatConn) any { return f })
}

// System sends a `system` notice; modOnly sets the top-level `c:"b"`.
func (s *ChatServer) System(text string, modOnly bool) {
	f := map[string]any{"t": "system", "m": []map[string]any{{"t": "system", "m": text}}}
	if modOnly {
		f["c"] = "b"
	}
	s.broadcast(func(*chatConn) any { return f })
}

// SendRaw sends b as a text frame to every connection, as it is.
func (s *ChatServer) SendRaw(b []byte) {
	s.broadcast(func(*chatConn) any { return b })
}

// Stream records a channel's state and sends it as a `stream` frame to the
// connections of that channel (every connection when channelID is 0).
func (s *ChatServer) Stream(channelID int64, viewers int, online bool) {
	s.mu.Lock()
	s.streams[channelID] = chatStream{viewers: viewers, online: online}
	s.mu.Unlock()
	s.broadcast(func(to *chatConn) any {
		if channelID != 0 && to.channelID != channelID {
			return nil
		}
		return chatStreamFrame(to, chatStream{viewers: viewers, online: online})
	})
}

// chatStreamFrame is the long-form state frame (alerts spec §9).
func chatStreamFrame(to *chatConn, st chatStream) map[string]any {
	stream := map[string]any{
		"id": to.channelID, "user_id": to.channelID, "name": to.channelName, "account_type": "PREMIUM",
		"online": st.online, "viewers": st.viewers, "color": "#66afff", "adult": false, "multistream": false,
		"stream_name": "golive+" + to.channelName, "accountType": "PREMIUM",
		"channelId": to.channelID, "channelName": to.channelName,
	}
	return map[string]any{"type": "stream", "messages": map[string]any{
		"id": to.channelID, "name": to.channelName, "online": st.online, "multistream": false,
		"adult": false, "viewers": st.viewers, "streams": []any{stream},
	}}
}

// streamTimer sends each connection its channel's state every
// opts.StreamInterval.
func (s *ChatServer) streamTimer() {
	t := time.NewTicker(s.opts.StreamInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			s.mu.Lock()
			states := maps.Clone(s.streams)
			s.mu.Unlock()
			s.broadcast(func(to *chatConn) any {
				st, ok := states[to.channelID]
				if !ok {
					st = states[0]
				}
				return chatStreamFrame(to, st)
			})
		}
	}
}

package sbclient

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// Authentication computes the Authenticate request's "authentication" value
// (spec §1.3, same scheme as obs-websocket 5):
// base64(sha256(base64(sha256(password+salt)) + challenge)).
func Authentication(password, salt, challenge string) string {
	h := sha256.Sum256([]byte(password + salt))
	secret := base64.StdEncoding.EncodeToString(h[:])
	h2 := sha256.Sum256([]byte(secret + challenge))
	return base64.StdEncoding.EncodeToString(h2[:])
}

type handshakeResult struct {
	Info
	gen uint64 // subscription generation that was sent
}

// handshake runs on Run's goroutine with the session's loops already started
// (gorilla read errors, timeouts included, are permanent, so "wait a little
// for Hello" needs the reader running):
//
//  1. wait up to HelloTimeout for Hello; none: a pre-0.2.5 server, ask GetInfo;
//  2. Hello asks for authentication and a password is set: Authenticate
//     (always the first request); an error reply or a close before "ok" is
//     ErrAuth;
//  3. Hello asks for authentication, no password: proceed if GetInfo is
//     answered "ok" (auth not enforced), else ErrAuth (a password is needed);
//  4. Subscribe the desired set, when not empty.
func (c *Client) handshake(ctx context.Context, s *session) (handshakeResult, error) {
	var h *hello
	timer := time.NewTimer(c.cfg.HelloTimeout)
	defer timer.Stop()
	select {
	case raw := <-s.hello:
		h = new(hello)
		if err := json.Unmarshal(raw, h); err != nil {
			return handshakeResult{}, fmt.Errorf("sbclient: handshake: bad Hello: %w", err)
		}
	case <-timer.C:
		c.log.Debug("no Hello from streamer.bot (older than 0.2.5?); asking GetInfo")
	case <-s.done:
		return handshakeResult{}, fmt.Errorf("sbclient: handshake: %w", s.cause())
	case <-ctx.Done():
		return handshakeResult{}, ctx.Err()
	}

	var res handshakeResult
	password := c.cfg.Password.Reveal()
	switch {
	case h != nil && h.Authentication != nil && password != "":
		auth := Authentication(password, h.Authentication.Salt, h.Authentication.Challenge)
		_, err := c.call(ctx, s, "Authenticate", func(b []byte) ([]byte, error) {
			return appendField(b, "authentication", auth)
		})
		if err != nil {
			var re *RequestError
			if errors.As(err, &re) || errors.Is(err, ErrDisconnected) {
				return res, fmt.Errorf("sbclient: password rejected (check SB_WS_PASSWORD): %w", ErrAuth)
			}
			return res, fmt.Errorf("sbclient: handshake: %w", err)
		}
		res.Info = h.Info.info()
	case h != nil && h.Authentication != nil:
		info, err := c.getInfo(ctx, s)
		if err != nil {
			var re *RequestError
			if errors.As(err, &re) || errors.Is(err, ErrDisconnected) {
				return res, fmt.Errorf("sbclient: streamer.bot requires a password (set SB_WS_PASSWORD): %w", ErrAuth)
			}
			return res, fmt.Errorf("sbclient: handshake: %w", err)
		}
		res.Info = info
	case h != nil:
		if password != "" {
			c.log.Debug("streamer.bot has authentication off; password not used")
		}
		res.Info = h.Info.info()
	default:
		info, err := c.getInfo(ctx, s)
		if err != nil {
			return res, fmt.Errorf("sbclient: handshake: %w", err)
		}
		res.Info = info
	}

	set, gen := c.subscriptionSnapshot()
	res.gen = gen
	if len(set) > 0 {
		if err := c.sendSubscribe(ctx, s, set); err != nil {
			var re *RequestError
			if !errors.As(err, &re) {
				return res, fmt.Errorf("sbclient: handshake: %w", err)
			}
			c.log.Warn("streamer.bot refused the subscription", "err", err)
		}
	}
	return res, nil
}

// resubscribeIfChanged closes the race where Subscribe changed the desired
// set after the handshake took its snapshot but before the session was
// published: it re-sends the whole set until nothing changed in between.
func (c *Client) resubscribeIfChanged(ctx context.Context, s *session, sent uint64) {
	for {
		set, gen := c.subscriptionSnapshot()
		if gen == sent {
			return
		}
		if err := c.sendSubscribe(ctx, s, set); err != nil {
			c.log.Warn("re-subscribe failed", "err", err)
			return
		}
		sent = gen
	}
}

func (c *Client) subscriptionSnapshot() (map[string][]string, uint64) {
	c.subMu.Lock()
	defer c.subMu.Unlock()
	return c.subs.wire(), c.subGen
}

func (c *Client) sendSubscribe(ctx context.Context, s *session, set map[string][]string) error {
	_, err := c.call(ctx, s, "Subscribe", func(b []byte) ([]byte, error) {
		return appendField(b, "events", set)
	})
	return err
}

package picarto

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/picarto-bridge/picarto-bridge/internal/backoff"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// maxRetryAfter caps how long one 429 may pause the client.
const maxRetryAfter = 10 * time.Minute

// do sends r and returns the 2xx response. It is the only place requests are
// sent: every attempt first waits on the shared limiter, so retries spend
// the budget too. 429 pauses the whole limiter until Retry-After (or the
// next window) and retries; 5xx and network errors are retried with backoff
// at most maxRetries times in all. A request with a body (POST) is retried
// after a network error only when it provably never reached the wire.
func (c *Client) do(ctx context.Context, r request) (*response, error) {
	bo := backoff.Backoff{Initial: c.retryInit, Max: c.retryMax}
	idempotent := r.method == http.MethodGet || r.method == http.MethodHead || r.method == http.MethodDelete
	for attempt := 0; ; attempt++ {
		if err := c.lim.Wait(ctx); err != nil {
			return nil, fmt.Errorf("picarto: %s %s: waiting for the rate limit: %w", r.method, r.path, err)
		}
		req, err := c.newHTTPRequest(ctx, r)
		if err != nil {
			return nil, fmt.Errorf("picarto: %s %s: %w", r.method, r.path, err)
		}
		var wrote atomic.Bool
		req = req.WithContext(httptrace.WithClientTrace(req.Context(), &httptrace.ClientTrace{
			WroteHeaders: func() { wrote.Store(true) },
		}))
		resp, err := c.send(req)
		if err != nil {
			err = c.cleanError(r, err)
			if ctx.Err() != nil || attempt >= c.maxRetries || (!idempotent && wrote.Load()) {
				return nil, fmt.Errorf("picarto: %s %s: %w", r.method, r.path, err)
			}
			d := bo.Next()
			c.log.Warn("picarto: request failed, retrying", "method", r.method, "path", r.path,
				"attempt", attempt+1, "retry_in", d, "err", err)
			if err := backoff.Sleep(ctx, d); err != nil {
				return nil, fmt.Errorf("picarto: %s %s: %w", r.method, r.path, err)
			}
			continue
		}
		now := time.Now()
		c.observeLimits(resp, now)
		switch {
		case resp.status == http.StatusTooManyRequests:
			until := c.retryAt(resp.header, now)
			c.lim.PauseUntil(until)
			c.log.Warn("picarto: rate limited (429), pausing every request", "method", r.method,
				"path", r.path, "pause", until.Sub(now).Round(time.Millisecond), "attempt", attempt+1)
			if attempt >= c.maxRetries {
				return nil, c.apiError(r, resp)
			}
			// The next Wait holds until the pause ends, for every caller.
		case resp.status >= 500:
			if attempt >= c.maxRetries {
				return nil, c.apiError(r, resp)
			}
			d := bo.Next()
			c.log.Warn("picarto: server error, retrying", "method", r.method, "path", r.path,
				"status", resp.status, "attempt", attempt+1, "retry_in", d)
			if err := backoff.Sleep(ctx, d); err != nil {
				return nil, fmt.Errorf("picarto: %s %s: %w", r.method, r.path, err)
			}
		case resp.status < 200 || resp.status > 299:
			return nil, c.apiError(r, resp)
		default:
			return resp, nil
		}
	}
}

// send performs one HTTP exchange and reads the whole body.
func (c *Client) send(req *http.Request) (*response, error) {
	resp, err := c.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return nil, err
	}
	return &response{status: resp.StatusCode, header: resp.Header, body: body}, nil
}

// cleanError rewrites a transport error so that it cannot carry the query
// string (client_secret) or any other secret, keeping errors.Is working for
// context and net errors.
func (c *Client) cleanError(r request, err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		inner := ue.Err
		if s := secret.Scrub(inner.Error(), c.secrets()...); s != inner.Error() {
			inner = errors.New(s)
		}
		return &url.Error{Op: ue.Op, URL: c.base.String() + r.path, Err: inner}
	}
	if s := secret.Scrub(err.Error(), c.secrets()...); s != err.Error() {
		return errors.New(s)
	}
	return err
}

// limitWarned makes the "server limit below ours" warning appear once.
var limitWarned atomic.Bool

// observeLimits applies x-ratelimit-remaining: 0 (no request until the
// server's window resets) to the limiter. A 429 is handled by retryAt.
func (c *Client) observeLimits(resp *response, now time.Time) {
	h := resp.header
	if v := h.Get("X-Ratelimit-Limit"); v != "" {
		if n, ok := ParseInt(v); ok && n > 0 {
			if ours, _ := c.lim.Limit(); int64(ours) > n && limitWarned.CompareAndSwap(false, true) {
				c.log.Warn("picarto: Picarto's rate limit is below the configured one; lower PICARTO_RATE_LIMIT",
					"picarto_limit", n, "configured", ours)
			}
		}
	}
	if resp.status == http.StatusTooManyRequests {
		return
	}
	v := strings.TrimSpace(h.Get("X-Ratelimit-Remaining"))
	if n, ok := ParseInt(v); v != "" && ok && n <= 0 {
		until := c.resetAt(h, now)
		c.lim.Exhaust(until)
		c.log.Debug("picarto: rate budget used up, waiting for the next window",
			"wait", until.Sub(now).Round(time.Millisecond))
	}
}

// retryAt is when a 429 lets requests go again: Retry-After as seconds or
// an HTTP date (read against the response's Date, so clock skew does not
// matter), else the next window. Never sooner than RetryInitial, so a
// "Retry-After: 0" cannot become a tight loop, never later than
// maxRetryAfter.
func (c *Client) retryAt(h http.Header, now time.Time) time.Time {
	d := time.Duration(-1)
	if ra := strings.TrimSpace(h.Get("Retry-After")); ra != "" {
		if secs, err := strconv.ParseFloat(ra, 64); err == nil && secs >= 0 && secs < 1e9 {
			d = time.Duration(secs * float64(time.Second))
		} else if t, err := http.ParseTime(ra); err == nil {
			d = t.Sub(serverNow(h, now))
		}
	}
	if d < 0 {
		return c.resetAt(h, now)
	}
	return now.Add(min(max(d, c.retryInit), maxRetryAfter))
}

// resetAt is when the server's window resets: x-ratelimit-reset when sent
// (unix seconds, or seconds from now when small), else the start of the
// next minute by the server's Date header (Picarto resets at the top of
// each minute, spec 7). It is never further away than the limiter's own
// window, which is a minute in production and shorter only in tests.
func (c *Client) resetAt(h http.Header, now time.Time) time.Time {
	server := serverNow(h, now)
	d := server.Truncate(time.Minute).Add(time.Minute).Sub(server)
	if v := strings.TrimSpace(h.Get("X-Ratelimit-Reset")); v != "" {
		if n, ok := ParseInt(v); ok && n > 0 {
			if n > 1e9 {
				d = time.Unix(n, 0).Sub(server)
			} else {
				d = time.Duration(n) * time.Second
			}
		}
	}
	if _, per := c.lim.Limit(); per > 0 && d > per {
		d = per
	}
	return now.Add(max(d, 0))
}

// serverNow is the response's Date header, or now when it has none.
func serverNow(h http.Header, now time.Time) time.Time {
	if t, err := http.ParseTime(h.Get("Date")); err == nil {
		return t
	}
	return now
}

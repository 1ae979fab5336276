package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/sbclient/sbtest"
)

// idPrefix marks the bench's webhook events: their picartoEventId is
// "webhook-" + event_id.
const idPrefix = "webhook-bench-"

// ledger tracks every webhook event the bench sends, by index. Each index
// is written by the one worker that posts it; reads happen after the
// workers are joined.
type ledger struct {
	sent, acked, delivered []time.Time
	status                 []int32
	next                   int // next index to hand out (dispatcher only)
	dupes                  int
	scanned                int // ActionRuns already matched
	setGlobals             int // set-global runs seen while scanning
	action                 string
}

func newLedger(capacity int, action string) *ledger {
	return &ledger{
		sent: make([]time.Time, capacity), acked: make([]time.Time, capacity),
		delivered: make([]time.Time, capacity), status: make([]int32, capacity), action: action,
	}
}

// scan matches the fake Streamer.bot's new runs to events.
func (l *ledger) scan(runs []sbtest.ActionRun) {
	for _, r := range runs[min(l.scanned, len(runs)):] {
		if r.Name == actions.SetGlobalAction {
			l.setGlobals++
			continue
		}
		if r.Name != l.action {
			continue
		}
		id, _ := r.Args["picartoEventId"].(string)
		n, err := strconv.Atoi(strings.TrimPrefix(id, idPrefix))
		if !strings.HasPrefix(id, idPrefix) || err != nil || n < 0 || n >= len(l.delivered) {
			continue
		}
		if !l.delivered[n].IsZero() {
			l.dupes++
			continue
		}
		l.delivered[n] = r.At
	}
	l.scanned = len(runs)
}

// poster posts webhook callbacks as Picarto would.
type poster struct {
	client *http.Client
	url    string
	typ    string
}

func newPoster(url, typ string, conns int) *poster {
	tr := &http.Transport{Proxy: nil, MaxIdleConns: conns * 2, MaxIdleConnsPerHost: conns * 2,
		MaxConnsPerHost: conns * 2, DisableCompression: true, IdleConnTimeout: 90 * time.Second}
	return &poster{client: &http.Client{Transport: tr, Timeout: 30 * time.Second}, url: url, typ: typ}
}

// body is a callback in the fake Picarto's default shape, with a distinct
// user and event id so nothing is deduplicated (follows dedup per user).
func (p *poster) body(i int) []byte {
	b := make([]byte, 0, 192)
	b = append(b, `{"type":"`...)
	b = append(b, p.typ...)
	b = append(b, `","channel_id":`...)
	b = strconv.AppendInt(b, channelID, 10)
	b = append(b, `,"channel":"`+channelName+`","user_id":`...)
	b = strconv.AppendInt(b, int64(1_000_000+i), 10)
	b = append(b, `,"user":"BenchFan`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","event_id":"bench-`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","timestamp":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	return append(b, '}')
}

func (p *poster) post(ctx context.Context, i int) int {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.url, bytes.NewReader(p.body(i)))
	if err != nil {
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := p.client.Do(req)
	if err != nil {
		return 0
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// offerResult is one paced run of webhooks.
type offerResult struct {
	From, To   int           // event indices [From, To)
	Start, End time.Time     // first send, last answer
	Late       time.Duration // how far the dispatcher fell behind its schedule at worst
	Failed     int
}

// offer posts events at rate per second for d with workers concurrent
// posters (open loop: an event is due at its scheduled time whether or not
// earlier ones were answered, as long as a worker is free).
func offer(ctx context.Context, p *poster, l *ledger, rate float64, d time.Duration, workers int) offerResult {
	total := int(rate * d.Seconds())
	if l.next+total > len(l.sent) {
		total = len(l.sent) - l.next
	}
	res := offerResult{From: l.next, To: l.next + total}
	jobs := make(chan int, workers*2)
	var failed atomic.Int64
	var wg conc.WaitGroup
	for range workers {
		wg.Go(func() {
			for i := range jobs {
				l.sent[i] = time.Now()
				st := p.post(ctx, i)
				l.acked[i] = time.Now()
				l.status[i] = int32(st)
				if st/100 != 2 {
					failed.Add(1)
				}
			}
		})
	}
	start := time.Now()
	res.Start = start
	interval := time.Duration(float64(time.Second) / rate)
	timer := time.NewTimer(time.Hour)
	for k := 0; k < total && ctx.Err() == nil; {
		now := time.Now()
		due := int(now.Sub(start)/interval) + 1
		for ; k < min(due, total); k++ {
			jobs <- res.From + k
		}
		if late := time.Since(start.Add(time.Duration(k) * interval)); late > res.Late {
			res.Late = late
		}
		if k < total {
			timer.Reset(time.Until(start.Add(time.Duration(k) * interval)))
			select {
			case <-timer.C:
			case <-ctx.Done():
			}
		}
	}
	timer.Stop()
	close(jobs)
	wg.Wait()
	l.next = res.To
	res.End = time.Now()
	res.Failed = int(failed.Load())
	return res
}

// queued asks the bridge's /healthz how many events wait in its queue.
func queued(ctx context.Context, port int) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://127.0.0.1:"+strconv.Itoa(port)+"/healthz", nil)
	if err != nil {
		return 0, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("bench: healthz: %w", err)
	}
	defer resp.Body.Close()
	var h struct {
		Queued int `json:"queued"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		return 0, fmt.Errorf("bench: healthz: %w", err)
	}
	return h.Queued, nil
}

// drain waits until the bridge's queue is empty (polling /healthz, which
// costs the fakes nothing), then matches the runs.
func drain(ctx context.Context, w *world, port int, l *ledger, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		n, err := queued(ctx, port)
		if err == nil && n == 0 {
			break
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			l.scan(w.sb.ActionRuns())
			return fmt.Errorf("bench: queue not drained within %v (%d left)", timeout, n)
		}
	}
	l.scan(w.sb.ActionRuns())
	return nil
}

// deliveredIn counts the delivered events of [from, to) and the latest
// delivery time.
func (l *ledger) deliveredIn(from, to int) (n int, last time.Time) {
	for i := from; i < to; i++ {
		if t := l.delivered[i]; !t.IsZero() {
			n++
			if t.After(last) {
				last = t
			}
		}
	}
	return n, last
}

// acceptedIn counts the events of [from, to) answered 2xx.
func (l *ledger) acceptedIn(from, to int) int {
	n := 0
	for i := from; i < to; i++ {
		if l.status[i]/100 == 2 {
			n++
		}
	}
	return n
}

// latencies returns delivery (sent -> DoAction recorded) and ack (sent ->
// 2xx) latencies of the accepted events of [from, to).
func (l *ledger) latencies(from, to int) (deliver, ack []time.Duration) {
	for i := from; i < to; i++ {
		if l.status[i]/100 != 2 {
			continue
		}
		ack = append(ack, l.acked[i].Sub(l.sent[i]))
		if !l.delivered[i].IsZero() {
			deliver = append(deliver, l.delivered[i].Sub(l.sent[i]))
		}
	}
	return deliver, ack
}

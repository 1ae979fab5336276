package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/picarto/picartotest"
)

// measureReady starts the bridge ReadyRuns times, each with a fresh data
// directory and without picartoChannelID in Streamer.bot, and times process
// start -> first request on Streamer.bot's socket (connected) and -> the
// picartoChannelID write (connected, Picarto read, globals written).
func measureReady(ctx context.Context, w *world, bin, dir string, p plan) (ReadyResult, error) {
	var conn, ready []time.Duration
	for i := range p.ReadyRuns {
		data := filepath.Join(dir, fmt.Sprintf("ready-%d", i))
		if err := os.MkdirAll(data, 0o700); err != nil {
			return ReadyResult{}, fmt.Errorf("bench: %w", err)
		}
		port, err := freePort()
		if err != nil {
			return ReadyResult{}, err
		}
		w.sb.DeleteGlobal(actions.GlobalChannelID, true)
		runsBefore, reqsBefore := len(w.sb.ActionRuns()), len(w.sb.Requests())
		bp, err := startBridge(bin, data, w.environ(data, port, p.LogLevel))
		if err != nil {
			return ReadyResult{}, err
		}
		var at time.Time
		err = w.waitFor(ctx, 15*time.Second, "picartoChannelID written", func() bool {
			t, ok := w.globalWrite(runsBefore, actions.GlobalChannelID)
			at = t
			return ok
		})
		if err == nil {
			reqs := w.sb.Requests()
			if len(reqs) > reqsBefore {
				conn = append(conn, reqs[reqsBefore].At.Sub(bp.started))
			}
			ready = append(ready, at.Sub(bp.started))
		}
		code := bp.stop(15 * time.Second)
		if err != nil {
			return ReadyResult{}, fmt.Errorf("%w (bridge log %s)", err, bp.logPath)
		}
		if code != 0 {
			return ReadyResult{}, fmt.Errorf("bench: bridge exited %d after SIGTERM (log %s)", code, bp.logPath)
		}
	}
	return ReadyResult{Connected: summarize(conn), Ready: summarize(ready)}, nil
}

// mainRun is one bridge process through idle, latency, ramp, the 100k
// events and the chat flood.
func mainRun(ctx context.Context, w *world, bin, dir string, p plan, res *Results, say func(string, ...any)) error {
	data := filepath.Join(dir, "main")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return fmt.Errorf("bench: %w", err)
	}
	port, err := freePort()
	if err != nil {
		return err
	}
	w.sb.DeleteGlobal(actions.GlobalChannelID, true)
	runsBefore := len(w.sb.ActionRuns())
	bp, err := startBridge(bin, data, w.environ(data, port, p.LogLevel))
	if err != nil {
		return err
	}
	defer func() {
		code := bp.stop(20 * time.Second)
		res.ExitCode = code
	}()
	pid := bp.pid()
	if err := w.waitFor(ctx, 15*time.Second, "picartoChannelID written", func() bool {
		_, ok := w.globalWrite(runsBefore, actions.GlobalChannelID)
		return ok
	}); err != nil {
		return err
	}
	say("registering webhooks (picartoInit=True)")
	hookURL, err := w.registerWebhooks(ctx, p.Kind)
	if err != nil {
		return err
	}
	if err := w.waitFor(ctx, 15*time.Second, "chat connected", func() bool { return w.chat.Active() > 0 }); err != nil {
		return err
	}

	// Idle: CPU over IdleFor, RSS at its end.
	say("idle for %v (CPU, RSS)", time.Duration(p.IdleFor))
	if err := sleepCtx(ctx, 2*time.Second); err != nil { // let start-up work settle
		return err
	}
	c0, err := cpuTime(pid)
	if err != nil {
		return err
	}
	t0 := time.Now()
	if err := sleepCtx(ctx, time.Duration(p.IdleFor)); err != nil {
		return err
	}
	c1, _ := cpuTime(pid)
	res.Idle.CPUPercent = 100 * (c1 - c0).Seconds() / time.Since(t0).Seconds()
	res.Idle.CPUTime = Dur(c1 - c0)
	res.Idle.Window = Dur(time.Since(t0))
	if res.Idle.Status, err = readStatus(pid); err != nil {
		return err
	}
	say("idle CPU %.3f%%, RSS %.1f MB", res.Idle.CPUPercent, mb(res.Idle.Status.VmRSS))

	action := actions.ActionName(actions.KindFollow)
	if p.Kind == "event_start" {
		action = actions.ActionName(actions.KindEventStart)
	}
	capacity := p.TotalEvents + int(p.LatencyRate*time.Duration(p.LatencyFor).Seconds()) + 10_000
	for _, r := range p.RampRates {
		capacity += int(r * time.Duration(p.RampStep).Seconds())
	}
	l := newLedger(capacity, action)
	l.scanned = len(w.sb.ActionRuns())
	post := newPoster(hookURL, p.Kind, p.Workers)

	// Latency at a steady rate, after a short warm-up.
	say("latency: %v/s for %v", p.LatencyRate, time.Duration(p.LatencyFor))
	offer(ctx, post, l, p.LatencyRate, 2*time.Second, 8)
	if err := drain(ctx, w, port, l, 30*time.Second); err != nil {
		return err
	}
	lr := offer(ctx, post, l, p.LatencyRate, time.Duration(p.LatencyFor), 8)
	if err := drain(ctx, w, port, l, 30*time.Second); err != nil {
		return err
	}
	del, ack := l.latencies(lr.From, lr.To)
	n, _ := l.deliveredIn(lr.From, lr.To)
	res.Latency = LatencyResult{Rate: p.LatencyRate, Events: lr.To - lr.From, Accepted: l.acceptedIn(lr.From, lr.To),
		Delivered: n, Deliver: summarize(del), Ack: summarize(ack)}
	say("latency p50 %v p99 %v max %v (ack p50 %v)", res.Latency.Deliver.P50, res.Latency.Deliver.P99, res.Latency.Deliver.Max, res.Latency.Ack.P50)

	// Ramp: each step must be accepted and delivered at its rate.
	for _, rate := range p.RampRates {
		say("ramp: %v/s for %v with %d posters", rate, time.Duration(p.RampStep), p.Workers)
		cpu0, _ := cpuTime(pid)
		r := offer(ctx, post, l, rate, time.Duration(p.RampStep), p.Workers)
		derr := drain(ctx, w, port, l, 60*time.Second)
		cpu1, _ := cpuTime(pid)
		st := stepOf(l, r, rate)
		st.CPUPercent = 100 * (cpu1 - cpu0).Seconds() / time.Since(r.Start).Seconds()
		res.Ramp = append(res.Ramp, st)
		say("  accepted %.0f/s, delivered %.0f/s, all delivered %v, drain %v, ack p99 %v: %s",
			st.AcceptedPerSec, st.DeliveredPerSec, st.AllDelivered, st.Drain, st.Ack.P99, map[bool]string{true: "pass", false: "FAIL"}[st.Pass])
		if derr != nil {
			return derr
		}
		if res.AfterEvents == 0 && l.next >= p.TotalEvents {
			if err := afterEvents(ctx, pid, l.next, res); err != nil {
				return err
			}
			say("after %d events: RSS %.1f MB (peak %.1f MB)", l.next, mb(res.After.VmRSS), mb(res.After.VmHWM))
		}
		if !st.Pass {
			break
		}
	}

	// Top up to TotalEvents webhook events, at the best passing rate.
	if left := p.TotalEvents - l.next; left > 0 {
		rate := 1000.0
		for _, s := range res.Ramp {
			if s.Pass {
				rate = s.Rate
			}
		}
		say("top-up: %d more events at %v/s", left, rate)
		offer(ctx, post, l, rate, time.Duration(float64(left)/rate*float64(time.Second)), p.Workers)
		if err := drain(ctx, w, port, l, 120*time.Second); err != nil {
			return err
		}
	}
	total, _ := l.deliveredIn(0, l.next)
	res.Events = EventTotals{Sent: l.next, Accepted: l.acceptedIn(0, l.next), Delivered: total, Duplicates: l.dupes, SetGlobalRuns: l.setGlobals}
	post.client.CloseIdleConnections()
	if res.AfterEvents == 0 {
		if err := afterEvents(ctx, pid, l.next, res); err != nil {
			return err
		}
		say("after %d events: RSS %.1f MB (peak %.1f MB)", l.next, mb(res.After.VmRSS), mb(res.After.VmHWM))
	}
	if res.AllEvents, err = readStatus(pid); err != nil {
		return err
	}

	// Chat flood.
	say("chat flood: %v lines/s for %v", p.ChatRate, time.Duration(p.ChatFor))
	if res.Chat, err = chatFlood(ctx, w, port, bp, p.ChatRate, time.Duration(p.ChatFor)); err != nil {
		return err
	}
	say("chat: %d/%d delivered, %.0f/s, p50 %v p99 %v", res.Chat.Delivered, res.Chat.Sent, res.Chat.DeliveredPerSec, res.Chat.Latency.P50, res.Chat.Latency.P99)
	if res.Final, err = readStatus(pid); err != nil {
		return err
	}
	if bp.exited() {
		return fmt.Errorf("bench: the bridge exited during the run (log %s)", bp.logPath)
	}
	return nil
}

// afterEvents reads the bridge's memory 3 s after its queue emptied, once
// the first TotalEvents webhooks are through (before a failing ramp step's
// backlog, when the ramp gets there first).
func afterEvents(ctx context.Context, pid, events int, res *Results) error {
	if err := sleepCtx(ctx, 3*time.Second); err != nil {
		return err
	}
	st, err := readStatus(pid)
	if err != nil {
		return err
	}
	res.After, res.AfterEvents = st, events
	return nil
}

func stepOf(l *ledger, r offerResult, rate float64) RampStep {
	del, ack := l.latencies(r.From, r.To)
	n, last := l.deliveredIn(r.From, r.To)
	acc := l.acceptedIn(r.From, r.To)
	st := RampStep{Rate: rate, Events: r.To - r.From, Accepted: acc, Delivered: n,
		Ack: summarize(ack), Deliver: summarize(del), DispatchLate: Dur(r.Late)}
	span := r.End.Sub(r.Start).Seconds()
	if span > 0 {
		st.AcceptedPerSec = float64(acc) / span
	}
	if !last.IsZero() {
		st.DeliveredPerSec = float64(n) / last.Sub(r.Start).Seconds()
		if d := last.Sub(r.End); d > 0 {
			st.Drain = Dur(d)
		}
	}
	st.AllDelivered = acc == st.Events && n == acc
	// Sustained: everything accepted and delivered, and both kept within
	// 5% of the offered rate (a backlog that only drains afterwards fails).
	st.Pass = st.AllDelivered && st.AcceptedPerSec >= 0.95*rate && st.DeliveredPerSec >= 0.95*rate
	return st
}

// chatFlood sends chat lines at rate for d and waits for their actions.
func chatFlood(ctx context.Context, w *world, port int, bp *bridgeProc, rate float64, d time.Duration) (ChatResult, error) {
	chatAction := actions.ActionName(actions.KindChat)
	scanned := len(w.sb.ActionRuns())
	total := int(rate * d.Seconds())
	said := make([]time.Time, total)
	dropsBefore := bp.logCount("consumer too slow")
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	timer := time.NewTimer(time.Hour)
	for k := 0; k < total && ctx.Err() == nil; {
		due := int(time.Since(start)/interval) + 1
		for ; k < min(due, total); k++ {
			said[k] = time.Now()
			w.chat.Say(picartotest.ChatLine{UserID: int64(500_000 + k%997), Name: fmt.Sprintf("Chatter%d", k%997),
				Text: fmt.Sprintf("flood-%d", k)})
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
	sendEnd := time.Now()
	delivered := make([]time.Time, total)
	count, dupes := 0, 0
	scan := func() {
		runs := w.sb.ActionRuns()
		for _, r := range runs[min(scanned, len(runs)):] {
			if r.Name != chatAction {
				continue
			}
			msg, _ := r.Args["message"].(string)
			var k int
			if _, err := fmt.Sscanf(msg, "flood-%d", &k); err != nil || k < 0 || k >= total {
				continue
			}
			if !delivered[k].IsZero() {
				dupes++
				continue
			}
			delivered[k] = r.At
			count++
		}
		scanned = len(runs)
	}
	// Wait until every line arrived, or nothing moved for 3 s with an empty queue.
	lastCount, stillSince := -1, time.Now()
	deadline := time.Now().Add(60 * time.Second)
	for count < total && time.Now().Before(deadline) {
		if err := sleepCtx(ctx, 250*time.Millisecond); err != nil {
			return ChatResult{}, err
		}
		scan()
		if count != lastCount {
			lastCount, stillSince = count, time.Now()
			continue
		}
		if q, err := queued(ctx, port); err == nil && q == 0 && time.Since(stillSince) > 3*time.Second {
			break
		}
	}
	var lat []time.Duration
	var last time.Time
	for k, t := range delivered {
		if !t.IsZero() {
			lat = append(lat, t.Sub(said[k]))
			if t.After(last) {
				last = t
			}
		}
	}
	res := ChatResult{Rate: rate, Sent: total, Delivered: count, Duplicates: dupes, Lost: total - count,
		SendPerSec: float64(total) / sendEnd.Sub(start).Seconds(), Latency: summarize(lat),
		BridgeDropWarnings: bp.logCount("consumer too slow") - dropsBefore}
	if !last.IsZero() {
		res.DeliveredPerSec = float64(count) / last.Sub(start).Seconds()
	}
	return res, nil
}

// machineInfo describes where the bench ran.
func machineInfo(dir string) Machine {
	m := Machine{CPUs: numCPU(), GoVersion: goVersion(), TempDir: dir}
	m.pressure0, _ = cpuPressure()
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPUModel = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, line := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(line, "MemTotal:") {
				var kb int64
				fmt.Sscanf(strings.TrimSpace(strings.TrimPrefix(line, "MemTotal:")), "%d", &kb)
				m.MemoryMB = kb / 1024
			}
		}
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	if b, err := os.ReadFile("/proc/loadavg"); err == nil {
		m.LoadAvg = strings.Join(strings.Fields(string(b))[:3], " ")
	}
	return m
}

// cpuPressure returns the "some" total of /proc/pressure/cpu, in µs.
func cpuPressure() (int64, bool) {
	b, err := os.ReadFile("/proc/pressure/cpu")
	if err != nil {
		return 0, false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if !strings.HasPrefix(line, "some ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "total="); ok {
				var n int64
				if _, err := fmt.Sscanf(v, "%d", &n); err == nil {
					return n, true
				}
			}
		}
	}
	return 0, false
}

package main

import (
	"fmt"
	"io"
	"os/exec"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"
)

// Results is everything one run measured; it is what -json writes.
type Results struct {
	Started time.Time     `json:"started"`
	Elapsed Dur           `json:"elapsed"`
	Plan    plan          `json:"plan"`
	Machine Machine       `json:"machine"`
	Floors  Floors        `json:"floors"`
	Ready   ReadyResult   `json:"ready"`
	Idle    IdleResult    `json:"idle"`
	Latency LatencyResult `json:"latency"`
	Ramp    []RampStep    `json:"ramp"`
	Events  EventTotals   `json:"events"`
	After   procStatus    `json:"status_after_events_kb"`
	// AfterEvents is how many webhooks had been delivered when After was
	// read: the first ramp step that reached Plan.TotalEvents, or all.
	AfterEvents int        `json:"after_events"`
	AllEvents   procStatus `json:"status_after_all_events_kb"`
	Chat        ChatResult `json:"chat"`
	Final       procStatus `json:"status_final_kb"`
	ExitCode    int        `json:"exit_code"`
	Verdicts    []Verdict  `json:"verdicts"`
}

// Machine is where the run happened.
type Machine struct {
	CPUs      int    `json:"cpus"`
	CPUModel  string `json:"cpu_model"`
	MemoryMB  int64  `json:"memory_mb"`
	Kernel    string `json:"kernel"`
	GoVersion string `json:"go_version"`
	LoadAvg   string `json:"load_avg_at_start"`
	// CPUPressure is the share of the run's wall time during which some
	// runnable task waited for a CPU (/proc/pressure/cpu): other load on
	// the machine, or the bench and the bridge competing for two cores.
	CPUPressure float64 `json:"cpu_pressure_percent"`
	pressure0   int64
	TempDir     string `json:"temp_dir"`
}

// ReadyResult: process start -> first Streamer.bot request, and -> the
// picartoChannelID write.
type ReadyResult struct {
	Connected Summary `json:"connected"`
	Ready     Summary `json:"ready"`
}

// IdleResult is the bridge doing nothing but its 30 s polls.
type IdleResult struct {
	Window     Dur        `json:"window"`
	CPUTime    Dur        `json:"cpu_time"`
	CPUPercent float64    `json:"cpu_percent_of_one_core"`
	Status     procStatus `json:"status_kb"`
}

// LatencyResult is the steady-rate phase.
type LatencyResult struct {
	Rate      float64 `json:"rate"`
	Events    int     `json:"events"`
	Accepted  int     `json:"accepted"`
	Delivered int     `json:"delivered"`
	Deliver   Summary `json:"webhook_to_doaction"`
	Ack       Summary `json:"webhook_to_2xx"`
}

// RampStep is one rate of the ramp.
type RampStep struct {
	Rate            float64 `json:"rate"`
	Events          int     `json:"events"`
	Accepted        int     `json:"accepted"`
	Delivered       int     `json:"delivered"`
	AcceptedPerSec  float64 `json:"accepted_per_s"`
	DeliveredPerSec float64 `json:"delivered_per_s"`
	Drain           Dur     `json:"drain_after_last_answer"`
	Ack             Summary `json:"webhook_to_2xx"`
	Deliver         Summary `json:"webhook_to_doaction"`
	DispatchLate    Dur     `json:"dispatcher_behind_max"`
	CPUPercent      float64 `json:"bridge_cpu_percent"`
	AllDelivered    bool    `json:"all_delivered"`
	Pass            bool    `json:"pass"`
}

// EventTotals counts every webhook event of the run.
type EventTotals struct {
	Sent          int `json:"sent"`
	Accepted      int `json:"accepted"`
	Delivered     int `json:"delivered"`
	Duplicates    int `json:"duplicates"`
	SetGlobalRuns int `json:"set_global_runs"`
}

// ChatResult is the chat flood.
type ChatResult struct {
	Rate               float64 `json:"rate"`
	Sent               int     `json:"sent"`
	SendPerSec         float64 `json:"send_per_s"`
	Delivered          int     `json:"delivered"`
	Duplicates         int     `json:"duplicates"`
	Lost               int     `json:"lost"`
	DeliveredPerSec    float64 `json:"delivered_per_s"`
	Latency            Summary `json:"say_to_doaction"`
	BridgeDropWarnings int     `json:"bridge_drop_warnings"`
}

// Verdict is one row of the table.
type Verdict struct {
	Measure string `json:"measure"`
	Result  string `json:"result"`
	Target  string `json:"target"`
	Floor   string `json:"floor"`
	Status  string `json:"status"` // ok, MISSED, n/a
}

func (r *Results) sustained() (RampStep, bool) {
	var best RampStep
	ok := false
	for _, s := range r.Ramp {
		if s.Pass {
			best, ok = s, true
		}
	}
	return best, ok
}

// evaluate fills Verdicts from the figures and the targets.
func (r *Results) evaluate() {
	f := r.Floors
	status := func(ok bool) string {
		if ok {
			return "ok"
		}
		return "MISSED"
	}
	add := func(measure, result, target, floor string, ok bool, measured bool) {
		s := status(ok)
		if !measured {
			s, result = "n/a", "not measured"
		}
		r.Verdicts = append(r.Verdicts, Verdict{measure, result, target, floor, s})
	}
	lat := r.Latency.Deliver
	latFloor := fmt.Sprintf("%v (POST+WS %v + commit %v)", f.LatencyFloor, f.PostWSP50, f.CommitP50)
	add(fmt.Sprintf("webhook→DoAction median @%v/s", r.Latency.Rate), lat.P50.String(), "< 1.0 ms", latFloor,
		time.Duration(lat.P50) < time.Millisecond, lat.N > 0)
	add(fmt.Sprintf("webhook→DoAction p99 @%v/s", r.Latency.Rate), lat.P99.String(), "< 3 ms",
		fmt.Sprintf("%v (POST+WS p99 %v + commit p99 %v)", f.PostWSP99+f.CommitP99, f.PostWSP99, f.CommitP99),
		time.Duration(lat.P99) < 3*time.Millisecond, lat.N > 0)
	add("webhook→DoAction max", lat.Max.String(), "—", "", true, lat.N > 0)
	add("webhook→2xx (durable ack) median", r.Latency.Ack.P50.String(), "—", fmt.Sprintf("%v (POST %v + commit %v)", f.PostP50+f.CommitP50, f.PostP50, f.CommitP50), true, r.Latency.Ack.N > 0)
	lost := r.Latency.Accepted - r.Latency.Delivered
	add("latency phase: events lost", fmt.Sprintf("%d of %d", lost, r.Latency.Accepted), "0", "", lost == 0, r.Latency.Events > 0)
	best, ok := r.sustained()
	res := "none passed"
	if ok {
		res = fmt.Sprintf("%.0f/s (accepted %.0f/s, delivered %.0f/s)", best.Rate, best.AcceptedPerSec, best.DeliveredPerSec)
	}
	add("sustained durable events/s, all delivered", res, ">= 4,000/s",
		fmt.Sprintf("one commit per event: %d/s", f.SerialPerSec), ok && best.Rate >= 4000, len(r.Ramp) > 0)
	c := r.Chat
	add(fmt.Sprintf("chat→action @%v lines/s", c.Rate), fmt.Sprintf("%.0f/s, %d of %d lost", c.DeliveredPerSec, c.Lost, c.Sent),
		"keeps up, none lost", fmt.Sprintf("one commit per line: %d/s", f.SerialPerSec), c.Lost == 0 && c.DeliveredPerSec >= 0.95*c.Rate, c.Sent > 0)
	add("ready: start → picartoChannelID written (p50)", fmt.Sprintf("%v (max %v; connected p50 %v)", r.Ready.Ready.P50, r.Ready.Ready.Max, r.Ready.Connected.P50),
		"< 100 ms", fmt.Sprintf("exec of `version` %v", f.ExecP50), time.Duration(r.Ready.Ready.P50) < 100*time.Millisecond, r.Ready.Ready.N > 0)
	add("RSS idle", fmt.Sprintf("%.1f MB (anon %.1f, file %.1f)", mb(r.Idle.Status.VmRSS), mb(r.Idle.Status.RssAnon), mb(r.Idle.Status.RssFile)),
		"< 15 MB", "", mb(r.Idle.Status.VmRSS) < 15, r.Idle.Status.VmRSS > 0)
	growth := mb(r.After.VmRSS - r.Idle.Status.VmRSS)
	add(fmt.Sprintf("RSS growth after %d events", r.AfterEvents),
		fmt.Sprintf("%+.1f MB (anon %+.1f, file %+.1f; peak %.1f MB)", growth, mb(r.After.RssAnon-r.Idle.Status.RssAnon), mb(r.After.RssFile-r.Idle.Status.RssFile), mb(r.After.VmHWM)),
		"< 10 MB", "", growth < 10, r.After.VmRSS > 0)
	add(fmt.Sprintf("idle CPU over %v", r.Idle.Window), fmt.Sprintf("%.3f %% of one core (%v)", r.Idle.CPUPercent, r.Idle.CPUTime),
		"< 0.2 %", "", r.Idle.CPUPercent < 0.2, r.Idle.Window > 0)
}

func printTable(w io.Writer, r *Results) {
	m := r.Machine
	fmt.Fprintf(w, "\npicarto-bridge bench (%s): %d CPUs %s, %d MB, %s, load %s, CPU pressure during the run %.1f %%\n", map[bool]string{true: "quick", false: "full"}[r.Plan.Quick],
		m.CPUs, m.CPUModel, m.MemoryMB, m.GoVersion, m.LoadAvg, m.CPUPressure)
	fmt.Fprintf(w, "floor: fsync p50 %v p99 %v · bbolt commit p50 %v p99 %v · POST p50 %v · WS round trip p50 %v · POST+WS p50 %v p99 %v\n\n",
		r.Floors.FsyncP50, r.Floors.FsyncP99, r.Floors.CommitP50, r.Floors.CommitP99, r.Floors.PostP50, r.Floors.WSP50, r.Floors.PostWSP50, r.Floors.PostWSP99)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "measure\tresult\ttarget\tfloor\tstatus")
	for _, v := range r.Verdicts {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", v.Measure, v.Result, v.Target, v.Floor, v.Status)
	}
	tw.Flush()
	if len(r.Ramp) > 0 {
		fmt.Fprintln(w, "\nramp (webhook type "+r.Plan.Kind+", "+fmt.Sprint(r.Plan.Workers)+" concurrent posters)")
		tw = tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "offered/s\tevents\taccepted/s\tdelivered/s\tdrain\t2xx p50\t2xx p99\tdeliver p50\tdeliver p99\tbridge CPU\tresult")
		for _, s := range r.Ramp {
			fmt.Fprintf(tw, "%.0f\t%d\t%.0f\t%.0f\t%v\t%v\t%v\t%v\t%v\t%.0f %%\t%s\n", s.Rate, s.Events, s.AcceptedPerSec, s.DeliveredPerSec, s.Drain,
				s.Ack.P50, s.Ack.P99, s.Deliver.P50, s.Deliver.P99, s.CPUPercent, map[bool]string{true: "pass", false: "FAIL"}[s.Pass])
		}
		tw.Flush()
	}
	fmt.Fprintf(w, "\nevents: %d webhooks sent, %d accepted, %d delivered, %d duplicates; %d set-global runs; chat %d lines, %d delivered, %d duplicates\n",
		r.Events.Sent, r.Events.Accepted, r.Events.Delivered, r.Events.Duplicates, r.Events.SetGlobalRuns, r.Chat.Sent, r.Chat.Delivered, r.Chat.Duplicates)
	fmt.Fprintf(w, "threads: idle %d, after events %d, final %d · RSS after all %d webhooks %.1f MB, after the chat flood %.1f MB · bridge exit %d · run took %v\n",
		r.Idle.Status.Threads, r.After.Threads, r.Final.Threads, r.Events.Sent, mb(r.AllEvents.VmRSS), mb(r.Final.VmRSS), r.ExitCode, r.Elapsed)
}

func numCPU() int { return runtime.NumCPU() }

func goVersion() string {
	out, err := exec.Command("go", "env", "GOVERSION").Output()
	if err != nil {
		return runtime.Version()
	}
	return strings.TrimSpace(string(out))
}

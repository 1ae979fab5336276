// Command bench measures picarto-bridge the way a streamer runs it: it builds
// the real binary, starts the fake Streamer.bot (sbtest) and the fake Picarto
// API and chat (picartotest) in this process, runs the bridge as a separate
// process against them, and measures webhook→DoAction latency, the highest
// sustained event rate with every event delivered, chat throughput, start-up
// time, memory and idle CPU. Next to each figure it prints this machine's
// floor (fsync, one bbolt commit, a loopback HTTP POST plus a WebSocket round
// trip), measured first. See BENCHMARKS.md.
//
//	go run ./internal/bench [-json out.json] [-quick]
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

// plan is what one run measures; -quick shrinks it to a smoke test.
type plan struct {
	Quick         bool      `json:"quick"`
	Kind          string    `json:"webhook_type"`
	LatencyRate   float64   `json:"latency_rate"`
	LatencyFor    Dur       `json:"latency_duration"`
	RampRates     []float64 `json:"ramp_rates"`
	RampStep      Dur       `json:"ramp_step"`
	Workers       int       `json:"ramp_posters"`
	TotalEvents   int       `json:"events_for_rss"`
	ChatRate      float64   `json:"chat_rate"`
	ChatFor       Dur       `json:"chat_duration"`
	IdleFor       Dur       `json:"idle_duration"`
	ReadyRuns     int       `json:"ready_runs"`
	FloorSamples  int       `json:"floor_samples"`
	LogLevel      string    `json:"bridge_log_level"`
	GCPercentSelf int       `json:"bench_gogc"`
}

func fullPlan() plan {
	return plan{Kind: "follow", LatencyRate: 200, LatencyFor: Dur(30 * time.Second),
		RampRates: []float64{1000, 2000, 3000, 4000, 6000, 8000}, RampStep: Dur(6 * time.Second), Workers: 64,
		TotalEvents: 100_000, ChatRate: 2000, ChatFor: Dur(10 * time.Second), IdleFor: Dur(60 * time.Second),
		ReadyRuns: 7, FloorSamples: 2000, LogLevel: "info", GCPercentSelf: 400}
}

func quickPlan() plan {
	p := fullPlan()
	p.Quick = true
	p.LatencyFor = Dur(8 * time.Second)
	p.RampRates = []float64{1000, 2000, 4000}
	p.RampStep = Dur(2 * time.Second)
	p.TotalEvents = 20_000
	p.ChatFor = Dur(3 * time.Second)
	p.IdleFor = Dur(10 * time.Second)
	p.ReadyRuns = 3
	p.FloorSamples = 500
	return p
}

func main() {
	jsonOut := flag.String("json", "", "also write the results as JSON to this file")
	quick := flag.Bool("quick", false, "a ~1-minute smoke run with shorter phases")
	kind := flag.String("type", "follow", "webhook type of the load: follow (each also writes picartoLastFollower) or event_start")
	logLevel := flag.String("log", "info", "BRIDGE_LOG_LEVEL of the bridge (its output goes to a file)")
	keep := flag.Bool("keep", false, "keep the temporary directory (binary, data, bridge log)")
	flag.Parse()
	p := fullPlan()
	if *quick {
		p = quickPlan()
	}
	p.Kind, p.LogLevel = *kind, *logLevel
	if p.Kind != "follow" && p.Kind != "event_start" {
		fmt.Fprintln(os.Stderr, "bench: -type must be follow or event_start")
		os.Exit(2)
	}
	debug.SetGCPercent(p.GCPercentSelf) // the fakes keep every run; fewer GC cycles here leave the CPU to the bridge

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	res, err := run(ctx, p, *keep, os.Stderr)
	if res != nil {
		printTable(os.Stdout, res)
		if *jsonOut != "" {
			b, _ := json.MarshalIndent(res, "", "  ")
			if werr := os.WriteFile(*jsonOut, append(b, '\n'), 0o644); werr != nil {
				fmt.Fprintln(os.Stderr, "bench:", werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// moduleRoot is the directory of go.mod, where the binary is built from.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("bench: go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", fmt.Errorf("bench: run from inside the picarto-bridge module")
	}
	return filepath.Dir(mod), nil
}

func buildBinary(dir string) (string, error) {
	root, err := moduleRoot()
	if err != nil {
		return "", err
	}
	bin := filepath.Join(dir, "picarto-bridge")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("bench: go build: %w", err)
	}
	return bin, nil
}

func run(ctx context.Context, p plan, keep bool, logw io.Writer) (*Results, error) {
	began := time.Now()
	say := func(format string, a ...any) {
		fmt.Fprintf(logw, "[%6.1fs] "+format+"\n", append([]any{time.Since(began).Seconds()}, a...)...)
	}
	dir, err := os.MkdirTemp("", "picarto-bridge-bench-")
	if err != nil {
		return nil, fmt.Errorf("bench: temp dir: %w", err)
	}
	if keep {
		say("keeping %s", dir)
	} else {
		defer os.RemoveAll(dir)
	}
	res := &Results{Plan: p, Machine: machineInfo(dir), Started: began.UTC()}

	say("building the bridge (go build, no -race)")
	bin, err := buildBinary(dir)
	if err != nil {
		return nil, err
	}
	say("measuring the floor of this machine")
	if res.Floors, err = measureFloors(ctx, dir, bin, p.FloorSamples); err != nil {
		return nil, err
	}
	say("floor: fsync p50 %v, bbolt commit p50 %v, POST+WS p50 %v", res.Floors.FsyncP50, res.Floors.CommitP50, res.Floors.PostWSP50)

	w, err := newWorld()
	if err != nil {
		return nil, err
	}
	defer w.close()

	say("ready time: %d cold starts", p.ReadyRuns)
	if res.Ready, err = measureReady(ctx, w, bin, dir, p); err != nil {
		return res, err
	}
	say("ready p50 %v (connected p50 %v)", res.Ready.Ready.P50, res.Ready.Connected.P50)

	err = mainRun(ctx, w, bin, dir, p, res, say)
	res.Elapsed = Dur(time.Since(began))
	if p1, ok := cpuPressure(); ok && res.Machine.pressure0 > 0 {
		res.Machine.CPUPressure = 100 * float64(p1-res.Machine.pressure0) / float64(time.Since(began).Microseconds())
	}
	res.evaluate()
	return res, err
}

package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/sourcegraph/conc"
)

// bridgeProc is one running picarto-bridge process.
type bridgeProc struct {
	cmd     *exec.Cmd
	started time.Time // just before exec
	logPath string
	logFile *os.File
	done    chan struct{}
	exit    int
	wg      conc.WaitGroup
}

// startBridge runs binary with env in dir, its output going to dir/bridge.log.
func startBridge(binary, dir string, env []string) (*bridgeProc, error) {
	p := &bridgeProc{logPath: filepath.Join(dir, "bridge.log"), done: make(chan struct{})}
	f, err := os.OpenFile(p.logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bench: bridge log: %w", err)
	}
	p.logFile = f
	p.cmd = exec.Command(binary)
	p.cmd.Env = env
	p.cmd.Dir = dir
	p.cmd.Stdout, p.cmd.Stderr = f, f
	p.started = time.Now()
	if err := p.cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("bench: start bridge: %w", err)
	}
	p.wg.Go(func() {
		err := p.cmd.Wait()
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			p.exit = ee.ExitCode()
		}
		close(p.done)
	})
	return p, nil
}

func (p *bridgeProc) pid() int { return p.cmd.Process.Pid }

// stop sends SIGTERM and waits (killing after timeout); it returns the exit code.
func (p *bridgeProc) stop(timeout time.Duration) int {
	select {
	case <-p.done:
	default:
		_ = p.cmd.Process.Signal(syscall.SIGTERM)
		t := time.NewTimer(timeout)
		select {
		case <-p.done:
		case <-t.C:
			_ = p.cmd.Process.Kill()
			<-p.done
		}
		t.Stop()
	}
	p.wg.Wait()
	p.logFile.Close()
	return p.exit
}

func (p *bridgeProc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// logContains counts the log lines of the process containing s.
func (p *bridgeProc) logCount(s string) int {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte(s))
}

// procStatus holds the fields of /proc/<pid>/status the bench reads, in kB
// (Threads: a count).
type procStatus struct {
	VmRSS, RssAnon, RssFile, VmHWM int64
	Threads                        int64
}

func readStatus(pid int) (procStatus, error) {
	f, err := os.Open(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return procStatus{}, fmt.Errorf("bench: read status: %w", err)
	}
	defer f.Close()
	var st procStatus
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ":")
		if !ok {
			continue
		}
		fields := strings.Fields(v)
		if len(fields) == 0 {
			continue
		}
		n, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			continue
		}
		switch k {
		case "VmRSS":
			st.VmRSS = n
		case "RssAnon":
			st.RssAnon = n
		case "RssFile":
			st.RssFile = n
		case "VmHWM":
			st.VmHWM = n
		case "Threads":
			st.Threads = n
		}
	}
	return st, sc.Err()
}

// clockTick is USER_HZ: the unit of utime and stime in /proc/<pid>/stat. It is
// 100 on every Linux configuration Go supports (sysconf needs cgo).
const clockTick = 100

// cpuTime returns the CPU time (user + system) the process has used.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, fmt.Errorf("bench: read stat: %w", err)
	}
	// The command name is in parentheses and may contain spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, errors.New("bench: unreadable /proc stat")
	}
	f := strings.Fields(string(b[i+1:]))
	// After ")": state(3) ppid(4) ... utime is field 14, stime 15 (1-based).
	if len(f) < 13 {
		return 0, errors.New("bench: short /proc stat")
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("bench: unreadable utime/stime")
	}
	return time.Duration(ut+st) * time.Second / clockTick, nil
}

// sleepCtx waits d (a measurement interval, not synchronisation).
func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

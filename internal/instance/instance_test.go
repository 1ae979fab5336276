package instance

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gofrs/flock"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func acquireT(t *testing.T, dir string, opts Options) *Lock {
	t.Helper()
	l, err := Acquire(context.Background(), dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Release() })
	return l
}

func stopRequested(l *Lock) bool {
	select {
	case <-l.StopRequested():
		return true
	default:
		return false
	}
}

// msgHandler forwards log messages to a channel.
type msgHandler struct{ ch chan string }

func (h msgHandler) Enabled(context.Context, slog.Level) bool { return true }
func (h msgHandler) Handle(_ context.Context, r slog.Record) error {
	select {
	case h.ch <- r.Message:
	default:
	}
	return nil
}
func (h msgHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h msgHandler) WithGroup(string) slog.Handler      { return h }

func TestAcquireRelease(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data") // created by Acquire
	l := acquireT(t, dir, Options{})
	if _, err := os.Stat(filepath.Join(dir, LockFile)); err != nil {
		t.Fatal(err)
	}
	info, err := ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	if info.PID != os.Getpid() || !strings.HasPrefix(info.Addr, "127.0.0.1:") || len(info.Token) != 32 {
		t.Fatalf("info %+v", info)
	}
	if fi, err := os.Stat(filepath.Join(dir, InfoFile)); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
		t.Fatalf("instance.json: %v %v", fi.Mode(), err)
	}
	if stopRequested(l) || l.Dir() != dir {
		t.Fatal("fresh lock state")
	}
	if err := l.Release(); err != nil {
		t.Fatal(err)
	}
	if err := l.Release(); err != nil {
		t.Fatalf("second release: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, InfoFile)); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("instance.json left behind: %v", err)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("data directory holds %v", entries)
	}
	l2 := acquireT(t, dir, Options{TakeoverTimeout: time.Second})
	if err := l2.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestTakeover(t *testing.T) {
	dir := t.TempDir()
	holder := acquireT(t, dir, Options{})
	old, _ := ReadInfo(dir)
	released := make(chan error, 1)
	go func() {
		<-holder.StopRequested() // a graceful shutdown would happen here
		released <- holder.Release()
	}()
	l := acquireT(t, dir, Options{TakeoverTimeout: 10 * time.Second})
	if err := <-released; err != nil {
		t.Fatal(err)
	}
	info, err := ReadInfo(dir)
	if err != nil || info.Token == old.Token || info.Token != l.token {
		t.Fatalf("new info %+v (old %+v) %v", info, old, err)
	}
	if stopRequested(l) {
		t.Fatal("newcomer asked to stop")
	}
}

func TestTakeoverTimeout(t *testing.T) {
	dir := t.TempDir()
	holder := acquireT(t, dir, Options{}) // never lets go
	start := time.Now()
	_, err := Acquire(context.Background(), dir, Options{TakeoverTimeout: 300 * time.Millisecond})
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), dir) || !strings.Contains(err.Error(), "another picarto-bridge is running") {
		t.Fatalf("err = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("took %s", d)
	}
	if !stopRequested(holder) {
		t.Fatal("holder was not asked to stop")
	}
	if info, _ := ReadInfo(dir); info.PID != os.Getpid() || info.Token != holder.token {
		t.Fatal("newcomer touched instance.json")
	}
}

func TestContextCancelWhileWaiting(t *testing.T) {
	dir := t.TempDir()
	acquireT(t, dir, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	_, err := Acquire(ctx, dir, Options{TakeoverTimeout: time.Minute})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrHeld) {
		t.Fatalf("err = %v", err)
	}
}

func TestStopEndpoint(t *testing.T) {
	dir := t.TempDir()
	l := acquireT(t, dir, Options{})
	info, err := ReadInfo(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, method, path, auth string
		want                     int
	}{
		{"no token", http.MethodPost, "/stop", "", http.StatusForbidden},
		{"wrong token", http.MethodPost, "/stop", "Bearer 00000000000000000000000000000000", http.StatusForbidden},
		{"prefix of token", http.MethodPost, "/stop", "Bearer " + info.Token[:31], http.StatusForbidden},
		{"token without scheme", http.MethodPost, "/stop", info.Token, http.StatusForbidden},
		{"GET", http.MethodGet, "/stop", "Bearer " + info.Token, http.StatusMethodNotAllowed},
		{"other path", http.MethodPost, "/", "Bearer " + info.Token, http.StatusNotFound},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(tc.method, "http://"+info.Addr+tc.path, nil)
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != tc.want {
			t.Fatalf("%s: status %d, want %d", tc.name, resp.StatusCode, tc.want)
		}
		if stopRequested(l) {
			t.Fatalf("%s: stop accepted", tc.name)
		}
	}
	req, _ := http.NewRequest(http.MethodPost, "http://"+info.Addr+"/stop", nil)
	req.Header.Set("Authorization", "Bearer "+info.Token)
	for range 2 { // idempotent
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusAccepted || !stopRequested(l) {
			t.Fatalf("valid stop: %d", resp.StatusCode)
		}
	}
	http.DefaultClient.CloseIdleConnections()
}

func TestStaleInfoFile(t *testing.T) {
	for _, content := range []string{`{"pid":999999,"addr":"127.0.0.1:1","token":"x"}`, `garbage`, ``} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, InfoFile), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		l, err := Acquire(context.Background(), dir, Options{TakeoverTimeout: 200 * time.Millisecond})
		if err != nil {
			t.Fatalf("%q: %v", content, err)
		}
		if info, err := ReadInfo(dir); err != nil || info.PID != os.Getpid() || info.Token != l.token {
			t.Fatalf("%q: info %+v %v", content, info, err)
		}
		if err := l.Release(); err != nil {
			t.Fatal(err)
		}
	}
}

// A holder that has the lock but no endpoint yet (or a foreign one): the
// newcomer keeps polling and gets the lock once it is free; without that,
// ErrHeld says it could not ask.
func TestHolderWithoutEndpoint(t *testing.T) {
	dir := t.TempDir()
	bare := flock.New(filepath.Join(dir, LockFile))
	if ok, err := bare.TryLock(); !ok || err != nil {
		t.Fatal(ok, err)
	}
	_, err := Acquire(context.Background(), dir, Options{TakeoverTimeout: 150 * time.Millisecond})
	if !errors.Is(err, ErrHeld) || !strings.Contains(err.Error(), "could not ask it to stop") {
		t.Fatalf("err = %v", err)
	}

	logs := make(chan string, 16)
	done := make(chan error, 1)
	go func() {
		l, err := Acquire(context.Background(), dir, Options{Logger: slog.New(msgHandler{logs}), TakeoverTimeout: 10 * time.Second})
		if err == nil {
			err = l.Release()
		}
		done <- err
	}()
wait:
	for {
		select {
		case msg := <-logs:
			if strings.Contains(msg, "asking the running picarto-bridge to stop") {
				break wait // it found the lock held and is polling
			}
		case err := <-done:
			t.Fatalf("acquired while held: %v", err)
		}
	}
	if err := bare.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

const childEnv = "INSTANCE_CHILD_DIR"

// TestChildHolder is the child half of TestCrossProcessTakeover.
func TestChildHolder(t *testing.T) {
	dir := os.Getenv(childEnv)
	if dir == "" {
		t.Skip("child process of TestCrossProcessTakeover")
	}
	l, err := Acquire(context.Background(), dir, Options{})
	if err != nil {
		fmt.Println("acquire:", err)
		os.Exit(3)
	}
	fmt.Println("ready")
	select {
	case <-l.StopRequested():
	case <-time.After(30 * time.Second): // never wait forever if the parent died
	}
	if err := l.Release(); err != nil {
		fmt.Println("release:", err)
		os.Exit(4)
	}
	fmt.Println("released")
}

func TestCrossProcessTakeover(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestChildHolder$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, "GORACE=atexit_sleep_ms=0") // -race sleeps 1s at exit otherwise
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(out)
	if !sc.Scan() || sc.Text() != "ready" {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		t.Fatalf("child said %q", sc.Text())
	}
	if info, err := ReadInfo(dir); err != nil || info.PID != cmd.Process.Pid {
		t.Fatalf("child info %+v %v", info, err)
	}
	l := acquireT(t, dir, Options{})
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("child: %v %v", err, lines)
	}
	if !strings.Contains(strings.Join(lines, "\n"), "released") {
		t.Fatalf("child output %v", lines)
	}
	if info, _ := ReadInfo(dir); info.PID != os.Getpid() || info.Token != l.token {
		t.Fatalf("info %+v", info)
	}
}

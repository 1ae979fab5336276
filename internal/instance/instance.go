// Package instance keeps one picarto-bridge per data directory and lets a
// newcomer take over from the running one.
//
// The holder of <dir>/picarto-bridge.lock (an OS file lock, released by the
// OS when the process dies) serves a tiny control endpoint on 127.0.0.1 and
// writes its address and a one-time token to <dir>/instance.json. A newcomer
// that finds the lock held POSTs /stop with that token, then waits for the
// lock, at most Options.TakeoverTimeout.
package instance

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/gofrs/flock"
	"github.com/sourcegraph/conc"
)

const (
	// LockFile is the lock's name inside the data directory.
	LockFile = "picarto-bridge.lock"
	// InfoFile is the control endpoint's address file inside the data directory.
	InfoFile = "instance.json"
)

// ErrHeld is wrapped by Acquire when the running instance did not let go of
// the data directory in time.
var ErrHeld = errors.New("another picarto-bridge is running")

// Options configures Acquire. The zero value is usable.
type Options struct {
	// Logger receives takeover progress; nil discards.
	Logger *slog.Logger
	// TakeoverTimeout bounds the wait for a running instance to stop
	// (default 10s).
	TakeoverTimeout time.Duration
	// PollInterval is how often the lock is retried while waiting
	// (default 50ms).
	PollInterval time.Duration
}

// Info is the content of instance.json.
type Info struct {
	PID   int    `json:"pid"`   // process id of the holder
	Addr  string `json:"addr"`  // host:port of the control endpoint, loopback
	Token string `json:"token"` // hex, 128 random bits; the file is 0600
}

// Lock is the held data directory.
type Lock struct {
	dir   string
	log   *slog.Logger
	fl    *flock.Flock
	token string
	srv   *http.Server
	wg    conc.WaitGroup

	stop     chan struct{}
	stopOnce sync.Once

	releaseOnce sync.Once
	releaseErr  error
}

// Acquire takes the data directory dir, creating it if needed. When another
// process holds it, Acquire asks that process to stop gracefully and waits
// for its lock, at most Options.TakeoverTimeout; then it fails with an error
// wrapping ErrHeld (or ctx's error when ctx ends first).
func Acquire(ctx context.Context, dir string, opts Options) (*Lock, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	timeout := opts.TakeoverTimeout
	if timeout <= 0 {
		timeout = 10 * time.Second
	}
	poll := opts.PollInterval
	if poll <= 0 {
		poll = 50 * time.Millisecond
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("instance: create data directory: %w", err)
	}
	fl := flock.New(filepath.Join(dir, LockFile))
	ok, err := fl.TryLock()
	if err != nil {
		return nil, fmt.Errorf("instance: lock %s: %w", fl.Path(), err)
	}
	if !ok {
		log.Info("instance: data directory in use, asking the running picarto-bridge to stop", "dir", dir)
		if err := takeover(ctx, dir, fl, timeout, poll, log); err != nil {
			return nil, err
		}
		log.Info("instance: took over the data directory", "dir", dir)
	}
	l, err := start(dir, fl, log)
	if err != nil {
		_ = fl.Unlock()
		return nil, err
	}
	return l, nil
}

// takeover asks the holder to stop and polls the lock until it is ours.
func takeover(ctx context.Context, dir string, fl *flock.Flock, timeout, poll time.Duration, log *slog.Logger) error {
	client := &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	defer client.CloseIdleConnections()
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	askCtx, cancel := context.WithTimeout(ctx, timeout) // bounds a hanging request too
	defer cancel()
	tick := time.NewTicker(poll)
	defer tick.Stop()

	var asked bool
	var lastAsk time.Time
	var askErr error
	for {
		// Ask, again every half second until one request is accepted: the
		// holder may be between taking the lock and writing instance.json.
		if !asked && time.Since(lastAsk) >= 500*time.Millisecond {
			lastAsk = time.Now()
			if askErr = askStop(askCtx, client, dir); askErr == nil {
				asked = true
				log.Debug("instance: stop requested")
			} else {
				log.Debug("instance: stop request failed", "err", askErr)
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("instance: waiting for the running picarto-bridge in %s: %w", dir, ctx.Err())
		case <-deadline.C:
			if ok, err := fl.TryLock(); err == nil && ok {
				return nil
			}
			why := ""
			if !asked && askErr != nil {
				why = fmt.Sprintf(" (could not ask it to stop: %v)", askErr)
			}
			return fmt.Errorf("instance: data directory %s: %w and did not stop within %s%s", dir, ErrHeld, timeout, why)
		case <-tick.C:
		}
		ok, err := fl.TryLock()
		if err != nil {
			return fmt.Errorf("instance: lock %s: %w", fl.Path(), err)
		}
		if ok {
			return nil
		}
	}
}

// askStop POSTs /stop to the endpoint named in instance.json.
func askStop(ctx context.Context, client *http.Client, dir string) error {
	info, err := ReadInfo(dir)
	if err != nil {
		return err
	}
	host, _, err := net.SplitHostPort(info.Addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("instance: %s: address %q is not a loopback address", InfoFile, info.Addr)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+info.Addr+"/stop", nil)
	if err != nil {
		return fmt.Errorf("instance: stop request: %w", err)
	}
	req.Header.Set("Authorization", "Bearer "+info.Token)
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("instance: stop request: %w", err)
	}
	_ = resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("instance: stop request: %s", resp.Status)
	}
	return nil
}

// ReadInfo reads <dir>/instance.json. The file may be stale (its process
// gone); only the lock says whether an instance runs.
func ReadInfo(dir string) (Info, error) {
	var info Info
	b, err := os.ReadFile(filepath.Join(dir, InfoFile))
	if err != nil {
		return info, fmt.Errorf("instance: read %s: %w", InfoFile, err)
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return info, fmt.Errorf("instance: read %s: %w", InfoFile, err)
	}
	return info, nil
}

// start runs the control endpoint for a freshly taken lock and publishes it.
func start(dir string, fl *flock.Flock, log *slog.Logger) (*Lock, error) {
	var raw [16]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return nil, fmt.Errorf("instance: token: %w", err)
	}
	l := &Lock{dir: dir, log: log, fl: fl, token: hex.EncodeToString(raw[:]), stop: make(chan struct{})}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("instance: control endpoint: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/stop", l.handleStop)
	l.srv = &http.Server{
		Handler:           mux,
		ReadHeaderTimeout: 2 * time.Second,
		ReadTimeout:       5 * time.Second,
		WriteTimeout:      5 * time.Second,
		IdleTimeout:       10 * time.Second,
		MaxHeaderBytes:    8 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelDebug),
	}
	l.wg.Go(func() {
		if err := l.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			log.Warn("instance: control endpoint stopped", "err", err)
		}
	})
	info := Info{PID: os.Getpid(), Addr: ln.Addr().String(), Token: l.token}
	if err := writeInfo(dir, info); err != nil {
		_ = l.srv.Close()
		l.wg.Wait()
		return nil, err
	}
	return l, nil
}

func (l *Lock) handleStop(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	got := r.Header.Get("Authorization")
	want := "Bearer " + l.token
	if subtle.ConstantTimeCompare([]byte(got), []byte(want)) != 1 {
		l.log.Warn("instance: stop request with a wrong token rejected", "remote", r.RemoteAddr)
		http.Error(w, "forbidden", http.StatusForbidden)
		return
	}
	l.log.Info("instance: another picarto-bridge asked this one to stop")
	l.stopOnce.Do(func() { close(l.stop) })
	w.WriteHeader(http.StatusAccepted)
	_, _ = w.Write([]byte("stopping\n"))
}

// writeInfo replaces instance.json atomically: temp file, fsync, rename,
// then fsync of the directory where the OS allows it.
func writeInfo(dir string, info Info) error {
	b, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("instance: write %s: %w", InfoFile, err)
	}
	f, err := os.CreateTemp(dir, InfoFile+".*.tmp") // mode 0600
	if err != nil {
		return fmt.Errorf("instance: write %s: %w", InfoFile, err)
	}
	tmp := f.Name()
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, filepath.Join(dir, InfoFile))
	}
	if err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("instance: write %s: %w", InfoFile, err)
	}
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync() // not supported on every OS; the rename is atomic anyway
		_ = d.Close()
	}
	return nil
}

// StopRequested is closed when another instance asked this one to stop.
// The owner should shut down gracefully and then call Release.
func (l *Lock) StopRequested() <-chan struct{} { return l.stop }

// Dir returns the held data directory.
func (l *Lock) Dir() string { return l.dir }

// Release stops the control endpoint, removes instance.json and unlocks
// the data directory. Later calls return the first call's result.
func (l *Lock) Release() error {
	l.releaseOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if err := l.srv.Shutdown(ctx); err != nil {
			_ = l.srv.Close()
		}
		l.wg.Wait()
		var errs []error
		// Remove before unlocking: once unlocked, the file belongs to the next holder.
		if err := os.Remove(filepath.Join(l.dir, InfoFile)); err != nil && !errors.Is(err, os.ErrNotExist) {
			errs = append(errs, err)
		}
		if err := l.fl.Unlock(); err != nil {
			errs = append(errs, err)
		}
		if err := errors.Join(errs...); err != nil {
			l.releaseErr = fmt.Errorf("instance: release: %w", err)
		}
	})
	return l.releaseErr
}

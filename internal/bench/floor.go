package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"

	"github.com/gorilla/websocket"
	"github.com/sourcegraph/conc"
	bolt "go.etcd.io/bbolt"
)

// Floors are what this machine cannot go below: the costs every event pays
// whatever the bridge does.
type Floors struct {
	FsyncP50     Dur `json:"fsync_p50"`
	FsyncP99     Dur `json:"fsync_p99"`
	CommitP50    Dur `json:"bbolt_commit_p50"`
	CommitP99    Dur `json:"bbolt_commit_p99"`
	PostP50      Dur `json:"http_post_p50"`
	WSP50        Dur `json:"ws_roundtrip_p50"`
	PostWSP50    Dur `json:"http_post_plus_ws_roundtrip_p50"`
	PostWSP99    Dur `json:"http_post_plus_ws_roundtrip_p99"`
	ExecP50      Dur `json:"exec_version_p50"`
	SerialPerSec int `json:"serial_commit_events_per_s"`
	LatencyFloor Dur `json:"latency_floor"`
	FloorSamples int `json:"samples"`
	ExecSamples  int `json:"exec_samples"`
}

func measureFloors(ctx context.Context, dir, binary string, n int) (Floors, error) {
	var f Floors
	f.FloorSamples = n
	var err error
	if f.FsyncP50, f.FsyncP99, err = fsyncFloor(dir, n); err != nil {
		return f, err
	}
	if f.CommitP50, f.CommitP99, err = commitFloor(dir, n); err != nil {
		return f, err
	}
	if err := loopbackFloor(ctx, n, &f); err != nil {
		return f, err
	}
	f.ExecSamples = 20
	if f.ExecP50, err = execFloor(binary, f.ExecSamples); err != nil {
		return f, err
	}
	if f.CommitP50 > 0 {
		f.SerialPerSec = int(time.Second / time.Duration(f.CommitP50))
	}
	f.LatencyFloor = f.PostWSP50 + f.CommitP50
	return f, nil
}

// fsyncFloor: rewrite 64 bytes at offset 0 of a file and fsync it.
func fsyncFloor(dir string, n int) (p50, p99 Dur, err error) {
	fh, err := os.CreateTemp(dir, "fsync-")
	if err != nil {
		return 0, 0, fmt.Errorf("bench: fsync floor: %w", err)
	}
	defer os.Remove(fh.Name())
	defer fh.Close()
	buf := make([]byte, 64)
	lat := make([]time.Duration, 0, n)
	for i := range n + n/10 {
		binary.BigEndian.PutUint64(buf, uint64(i))
		t0 := time.Now()
		if _, err := fh.WriteAt(buf, 0); err != nil {
			return 0, 0, fmt.Errorf("bench: fsync floor: %w", err)
		}
		if err := fh.Sync(); err != nil {
			return 0, 0, fmt.Errorf("bench: fsync floor: %w", err)
		}
		if i >= n/10 {
			lat = append(lat, time.Since(t0))
		}
	}
	s := summarize(lat)
	return s.P50, s.P99, nil
}

// commitFloor: one bbolt Update putting one ~130-byte value, the outbox's
// file options.
func commitFloor(dir string, n int) (p50, p99 Dur, err error) {
	path := filepath.Join(dir, "floor.db")
	db, err := bolt.Open(path, 0o600, &bolt.Options{Timeout: time.Second, FreelistType: bolt.FreelistMapType})
	if err != nil {
		return 0, 0, fmt.Errorf("bench: bbolt floor: %w", err)
	}
	defer os.Remove(path)
	defer db.Close()
	val := bytes.Repeat([]byte("x"), 130)
	lat := make([]time.Duration, 0, n)
	for i := range n + n/10 {
		t0 := time.Now()
		err := db.Update(func(tx *bolt.Tx) error {
			b, err := tx.CreateBucketIfNotExists([]byte("e"))
			if err != nil {
				return err
			}
			k := make([]byte, 8)
			binary.BigEndian.PutUint64(k, uint64(i))
			return b.Put(k, val)
		})
		if err != nil {
			return 0, 0, fmt.Errorf("bench: bbolt floor: %w", err)
		}
		if i >= n/10 {
			lat = append(lat, time.Since(t0))
		}
	}
	s := summarize(lat)
	return s.P50, s.P99, nil
}

// loopbackFloor: an HTTP POST of a webhook-sized body to a handler that
// reads it and answers 204, then one WebSocket text frame echoed back.
func loopbackFloor(ctx context.Context, n int, f *Floors) error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("bench: loopback floor: %w", err)
	}
	up := websocket.Upgrader{}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /hook", func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusNoContent)
	})
	mux.HandleFunc("/ws", func(w http.ResponseWriter, r *http.Request) {
		c, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer c.Close()
		for {
			t, b, err := c.ReadMessage()
			if err != nil {
				return
			}
			if c.WriteMessage(t, b) != nil {
				return
			}
		}
	})
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	var wg conc.WaitGroup
	wg.Go(func() { _ = srv.Serve(ln) })
	defer func() {
		_ = srv.Close()
		wg.Wait()
	}()
	base := "http://" + ln.Addr().String()
	client := &http.Client{Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4, DisableCompression: true}}
	defer client.CloseIdleConnections()
	ws, _, err := websocket.DefaultDialer.DialContext(ctx, "ws://"+ln.Addr().String()+"/ws", nil)
	if err != nil {
		return fmt.Errorf("bench: loopback floor: %w", err)
	}
	defer ws.Close()
	body := []byte(`{"type":"follow","channel_id":7001,"channel":"BenchArtist","user_id":100001,"user":"BenchFan1","event_id":"bench-1","timestamp":1700000000}`)
	frame := bytes.Repeat([]byte("a"), 330) // a DoAction frame's size
	post := make([]time.Duration, 0, n)
	rt := make([]time.Duration, 0, n)
	both := make([]time.Duration, 0, n)
	for i := range n + n/10 {
		t0 := time.Now()
		resp, err := client.Post(base+"/hook", "application/json", bytes.NewReader(body))
		if err != nil {
			return fmt.Errorf("bench: loopback floor: %w", err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		t1 := time.Now()
		if err := ws.WriteMessage(websocket.TextMessage, frame); err != nil {
			return fmt.Errorf("bench: loopback floor: %w", err)
		}
		if _, _, err := ws.ReadMessage(); err != nil {
			return fmt.Errorf("bench: loopback floor: %w", err)
		}
		t2 := time.Now()
		if i >= n/10 {
			post = append(post, t1.Sub(t0))
			rt = append(rt, t2.Sub(t1))
			both = append(both, t2.Sub(t0))
		}
	}
	f.PostP50 = summarize(post).P50
	f.WSP50 = summarize(rt).P50
	sb := summarize(both)
	f.PostWSP50, f.PostWSP99 = sb.P50, sb.P99
	return nil
}

// execFloor: start `picarto-bridge version` and wait for it to exit.
func execFloor(binary string, n int) (Dur, error) {
	lat := make([]time.Duration, 0, n)
	for range n {
		t0 := time.Now()
		if err := exec.Command(binary, "version").Run(); err != nil {
			return 0, fmt.Errorf("bench: exec floor: %w", err)
		}
		lat = append(lat, time.Since(t0))
	}
	return summarize(lat).P50, nil
}

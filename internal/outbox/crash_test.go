package outbox

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

const crashEnv = "OUTBOX_CRASH_CHILD_DB"

// TestCrashChild is the child half of TestSurvivesSIGKILL: it appends from
// four goroutines until killed and prints "<seq> <key>" after each Append
// returns nil.
func TestCrashChild(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("child process of TestSurvivesSIGKILL")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("open:", err)
		os.Exit(3)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; i < 1_000_000; i++ {
				key := fmt.Sprintf("%d/%d", w, i)
				seq, dup, err := s.Append(context.Background(), key, []byte("payload "+key), time.Now(), 0)
				if err != nil || dup {
					fmt.Println("append:", err, dup)
					os.Exit(4)
				}
				mu.Lock()
				fmt.Printf("%d %s\n", seq, key) // unbuffered: one write per ack
				mu.Unlock()
			}
		})
	}
	wg.Wait()
}

func TestSurvivesSIGKILL(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns a child process")
	}
	path := filepath.Join(t.TempDir(), "outbox.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := map[uint64]string{}
	sc := bufio.NewScanner(out)
	killed := false
	for sc.Scan() {
		var seq uint64
		var key string
		if _, err := fmt.Sscanf(sc.Text(), "%d %s", &seq, &key); err != nil {
			t.Errorf("child said %q", sc.Text())
			continue
		}
		if prev, ok := acked[seq]; ok {
			t.Fatalf("seq %d acked twice (%s, %s)", seq, prev, key)
		}
		acked[seq] = key
		if len(acked) == 300 && !killed {
			killed = true
			if err := cmd.Process.Kill(); err != nil { // SIGKILL on Unix
				t.Fatal(err)
			}
		}
	}
	_ = cmd.Wait()
	if !killed {
		t.Fatalf("child ended before it was killed, %d acks", len(acked))
	}

	s := openT(t, path, Options{})
	es, err := s.Peek(0)
	if err != nil {
		t.Fatal(err)
	}
	stored := map[uint64]Entry{}
	seenKey := map[string]bool{}
	last := make(map[int]int)
	for i, e := range es {
		if i > 0 && e.Seq <= es[i-1].Seq {
			t.Fatalf("seq order broken at %d", i)
		}
		if seenKey[e.Key] {
			t.Fatalf("key %s stored twice", e.Key)
		}
		seenKey[e.Key] = true
		if string(e.Payload) != "payload "+e.Key {
			t.Fatalf("entry %d payload %q", e.Seq, e.Payload)
		}
		var w, n int
		if _, err := fmt.Sscanf(e.Key, "%d/%d", &w, &n); err != nil {
			t.Fatal(err)
		}
		if p, ok := last[w]; (ok && n != p+1) || (!ok && n != 0) {
			t.Fatalf("worker %d: entry %d after %d", w, n, p)
		}
		last[w] = n
		stored[e.Seq] = e
	}
	for seq, key := range acked {
		if e, ok := stored[seq]; !ok || e.Key != key {
			t.Fatalf("acknowledged seq %d (%s) missing after SIGKILL (got %+v)", seq, key, e)
		}
	}
	t.Logf("child acked %d, file holds %d (unacked writes in flight may commit)", len(acked), len(es))
}

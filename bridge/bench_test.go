package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/outbox"
	"github.com/picarto-bridge/picarto-bridge/picarto"
	"github.com/picarto-bridge/picarto-bridge/sbclient"
)

// The hot path of an event, piece by piece: decode (webhook or chat), build
// the action's arguments into the queue payload, put it in the outbox, and
// deliver it. The I/O-free pieces report allocations; the durable ones report
// latency percentiles and commits per event. `go run ./internal/bench`
// measures the whole path across processes (BENCHMARKS.md).

var (
	benchWebhookJSON = []byte(`{"type":"follow","channel_id":7001,"channel":"BenchArtist","user_id":1000042,"user":"BenchFan42","event_id":"bench-42","timestamp":1700000000}`)
	benchWebhookForm = []byte(`type=follow&channel_id=7001&channel=BenchArtist&user_id=1000042&user=BenchFan42&event_id=bench-42&timestamp=1700000000`)
	benchChatFrame   = []byte(`{"t":"c","m":[{"i":"6b1f8e2a-5d3c-11ee-8c99-0242ac120002","c":"7001","u":"5042","n":"Chatter42","a":"ptvimages/1/42/5042/avatars/avatar.png","m":"hello from the bench, how is the stream going?","k":"66afff","d":1700000000000}]}`)
)

func discardBridge(tb testing.TB) *Bridge {
	tb.Helper()
	store, err := outbox.Open(filepath.Join(tb.TempDir(), "bridge.db"), outbox.Options{})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { store.Close() })
	log := slog.New(slog.DiscardHandler)
	return &Bridge{log: log, store: store, globals: newGlobalWriter(log), status: newStatusBoard(),
		missing: &missingReporter{log: log}, triggers: newTriggerSet()}
}

func BenchmarkDecodeWebhook(b *testing.B) {
	for _, tc := range []struct {
		name, ct string
		body     []byte
	}{
		{"json", "application/json", benchWebhookJSON},
		{"form", "application/x-www-form-urlencoded", benchWebhookForm},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(tc.body)))
			for b.Loop() {
				if _, err := picarto.DecodeWebhook(tc.ct, tc.body); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkWebhookToPayload: decoded body to queue payload and dedup key,
// everything a webhook costs before the disk.
func BenchmarkWebhookToPayload(b *testing.B) {
	counts := &channelCounts{followers: 1234, subscribers: 56}
	b.ReportAllocs()
	for b.Loop() {
		ev, err := picarto.DecodeWebhook("application/json", benchWebhookJSON)
		if err != nil {
			b.Fatal(err)
		}
		e := webhookToEvent(ev, counts)
		_, _ = dedupKey(e)
		_ = encodePayload(e)
	}
}

func BenchmarkEncodePayload(b *testing.B) {
	at := time.Date(2024, 5, 1, 20, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name string
		e    actions.Event
	}{
		{"follow", actions.Event{Kind: actions.KindFollow, ID: "webhook-bench-42", CreatedAt: at, FollowerCount: intPtr(1234),
			User: &actions.User{Display: "BenchFan42", Login: "benchfan42", ID: "1000042", Avatar: "https://images.picarto.tv/a.png"}}},
		{"chat", actions.Event{Kind: actions.KindChat, ID: "6b1f8e2a-5d3c-11ee-8c99-0242ac120002", CreatedAt: at,
			User:    &actions.User{Display: "Chatter42", Login: "chatter42", ID: "5042", Avatar: "https://images.picarto.tv/a.png"},
			Message: "hello from the bench, how is the stream going?", MsgID: "6b1f8e2a-5d3c-11ee-8c99-0242ac120002", Color: "66afff"}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				_ = encodePayload(tc.e)
			}
		})
	}
}

// BenchmarkChatToPayload: one chat frame decoded into its queue payload.
func BenchmarkChatToPayload(b *testing.B) {
	b.ReportAllocs()
	for b.Loop() {
		evs, err := picarto.DecodeChatFrame(benchChatFrame)
		if err != nil || len(evs) != 1 {
			b.Fatal(len(evs), err)
		}
		e, ok := chatToEvent(evs[0])
		if !ok {
			b.Fatal("not an event")
		}
		_, _ = dedupKey(e)
		_ = encodePayload(e)
	}
}

func BenchmarkParseCommand(b *testing.B) {
	for _, tc := range []struct{ name, data string }{
		{"command", `{"picartoBridge":"chat","message":"thanks for the follow!"}`},
		{"wrapped", `{"data":"{\"picartoBridge\":\"register-webhooks\"}"}`},
		{"other", `{"event":"mediaPlayer","action":"pause","volume":0.5}`},
	} {
		b.Run(tc.name, func(b *testing.B) {
			data := json.RawMessage(tc.data)
			b.ReportAllocs()
			for b.Loop() {
				parseCommand(data)
			}
		})
	}
}

func reportLatency(b *testing.B, lat []time.Duration, store *outbox.Store, events int) {
	b.Helper()
	if len(lat) > 0 {
		slices.Sort(lat)
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
	if st := store.Stats(); events > 0 {
		b.ReportMetric(float64(st.Commits)/float64(events), "commits/event")
	}
}

// BenchmarkEmit: one source queueing events one at a time (a chat reader):
// every emit waits for its own fsynced commit.
func BenchmarkEmit(b *testing.B) {
	br := discardBridge(b)
	ctx := b.Context()
	lat := make([]time.Duration, 0, 4096)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		e := actions.Event{Kind: actions.KindChat, ID: "chat-" + strconv.Itoa(i), Message: "hello",
			User: &actions.User{Display: "Chatter", Login: "chatter", ID: "5"}}
		t0 := time.Now()
		if err := br.emit(ctx, e); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(t0))
	}
	b.StopTimer()
	reportLatency(b, lat, br.store, b.N)
}

// BenchmarkWebhookHTTP: a webhook POSTed over loopback to the bridge's
// handler (decode, event, durable append, 2xx), one at a time, in process.
func BenchmarkWebhookHTTP(b *testing.B) {
	for _, typ := range []string{"event_start", "follow"} {
		b.Run(typ, func(b *testing.B) {
			br := discardBridge(b)
			srv := httptest.NewServer(picarto.NewWebhookHandler(br.onWebhook, picarto.WebhookOptions{}))
			b.Cleanup(srv.Close)
			client := srv.Client()
			lat := make([]time.Duration, 0, 4096)
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				body := []byte(`{"type":"` + typ + `","channel_id":7001,"user":"Fan` + strconv.Itoa(i) + `","event_id":"b-` + strconv.Itoa(i) + `"}`)
				t0 := time.Now()
				resp, err := client.Post(srv.URL+"/webhook/x", "application/json", bytes.NewReader(body))
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode/100 != 2 {
					b.Fatalf("status %d", resp.StatusCode)
				}
				lat = append(lat, time.Since(t0))
			}
			b.StopTimer()
			reportLatency(b, lat, br.store, b.N)
		})
	}
}

// instantSB answers every request ok at once.
type instantSB struct{ n atomic.Int64 }

func (s *instantSB) Pipeline(_ context.Context, calls []sbclient.Call) []error {
	s.n.Add(int64(len(calls)))
	return make([]error, len(calls))
}

func (s *instantSB) Connected() bool { return true }

// BenchmarkDeliver: the deliverer draining a full queue to a Streamer.bot
// that answers instantly, so what is left is the outbox: Peek, decode and
// the acks (durable). It reports events/s and commits per event.
func BenchmarkDeliver(b *testing.B) {
	br := discardBridge(b)
	ctx := b.Context()
	payload := encodePayload(actions.Event{Kind: actions.KindFollow, ID: "x", FollowerCount: intPtr(1),
		User: &actions.User{Display: "Fan", Login: "fan", ID: "1"}})
	var wg conc.WaitGroup
	for w := range 32 {
		wg.Go(func() {
			for i := w; i < b.N; i += 32 {
				if _, _, err := br.store.Append(ctx, "", payload, time.Now(), 0); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	commits0 := br.store.Stats().Commits
	sb := &instantSB{}
	d := &deliverer{store: br.store, sb: sb, log: br.log, conn: &signal{}, triggers: br.triggers,
		missing: br.missing, status: br.status}
	runCtx, cancel := context.WithCancel(ctx)
	b.ReportAllocs()
	b.ResetTimer()
	var run conc.WaitGroup
	run.Go(func() { _ = d.run(runCtx) })
	tick := time.NewTicker(time.Millisecond)
	for br.store.Len() > 0 {
		<-tick.C
	}
	b.StopTimer()
	tick.Stop()
	cancel()
	run.Wait()
	if got := sb.n.Load(); got != int64(b.N) {
		b.Fatalf("%d DoActions for %d entries", got, b.N)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	b.ReportMetric(float64(br.store.Stats().Commits-commits0)/float64(b.N), "commits/event")
}

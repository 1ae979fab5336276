package picarto

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// FuzzDecodeAlertFrame checks that the decoder never panics, errs only on
// non-JSON, and keeps its promises on every event. Its seed corpus
// (testdata/fuzz/FuzzDecodeAlertFrame: both dialects of spec §5.4, batches,
// odd values, garbage) runs with every `go test`.
func FuzzDecodeAlertFrame(f *testing.F) {
	f.Add([]byte(alertSpecFollow))
	f.Fuzz(func(t *testing.T, b []byte) {
		now := time.Unix(1790000000, 0)
		evs, err := alertDecodeAt(b, now)
		if valid := json.Valid(bytes.TrimSpace(b)); (err != nil) == valid {
			t.Fatalf("err = %v for JSON-valid=%v input", err, valid)
		}
		if err != nil {
			return
		}
		if len(evs) == 0 {
			t.Fatalf("valid JSON gave no events")
		}
		again, _ := alertDecodeAt(b, now)
		for i, ev := range evs {
			base := ev.Base()
			if !strings.HasPrefix(base.ID, "alerts:"+string(base.Kind)+":") || base.ID != again[i].Base().ID {
				t.Fatalf("event %d: id %q (again %q), kind %q", i, base.ID, again[i].Base().ID, base.Kind)
			}
			if base.UserName != strings.ToLower(strings.TrimSpace(base.User)) {
				t.Fatalf("UserName %q for User %q", base.UserName, base.User)
			}
			if base.User == "SYSTEM" && !base.IsTest {
				t.Fatalf("SYSTEM alert without IsTest")
			}
			if !bytes.Equal(base.Raw, bytes.TrimSpace(b)) {
				t.Fatalf("Raw is not the frame")
			}
			switch e := ev.(type) {
			case AlertSubscription:
				if e.Quantity < 1 || e.Months < 0 || e.PriceCents < 0 {
					t.Fatalf("sub %+v", e)
				}
				if e.Tier != "" && e.Tier != "tier 1" && e.Tier != "tier 2" && e.Tier != "tier 3" {
					t.Fatalf("tier %q", e.Tier)
				}
			case AlertTip:
				if e.Amount < 0 {
					t.Fatalf("tip amount %d", e.Amount)
				}
			case AlertFollow:
			case AlertUnknown:
				if e.Reason == "" {
					t.Fatalf("unknown without reason")
				}
			default:
				t.Fatalf("event of type %T", ev)
			}
		}
	})
}

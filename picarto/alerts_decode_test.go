package picarto

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

var alertTestNow = time.Date(2026, 9, 1, 12, 30, 0, 0, time.UTC)

// The five provisional frames of spec §5.4, verbatim.
const (
	alertSpecFollow = `{"t":"nf","m":{"n":"Fan1","rn":"MyChannel","d":1790000000000}}`
	alertSpecSub    = `{"t":"ns","m":{"sn":"Fan2","n":"MyChannel","amount":"14.97","q":1,"sg":false,"d":1790000001000}}`
	alertSpecGift   = `{"t":"ns","m":{"sn":"Gifter","n":"MyChannel","amount":"24.95","q":5,"sg":true,"sc":["a","b","c","d","e"],"d":1790000002000}}`
	alertSpecTip    = `{"t":"nk","m":[{"n":"Fan3","rn":"MyChannel","x":562,"m":"great stream","d":1790000003000}]}`
	alertSpecTest   = `{"type":"follow","data":{"username":"SYSTEM","channel":"MyChannel","timestamp":"2026-09-01T12:00:00Z"}}`
)

func alertMustDecode(t *testing.T, frame string) []AlertEvent {
	t.Helper()
	evs, err := alertDecodeAt([]byte(frame), alertTestNow)
	if err != nil {
		t.Fatalf("decode %s: %v", frame, err)
	}
	return evs
}

func alertOne[T AlertEvent](t *testing.T, frame string) T {
	t.Helper()
	evs := alertMustDecode(t, frame)
	if len(evs) != 1 {
		t.Fatalf("decode %s: %d events, want 1: %#v", frame, len(evs), evs)
	}
	ev, ok := evs[0].(T)
	if !ok {
		t.Fatalf("decode %s: got %T, want %T", frame, evs[0], *new(T))
	}
	return ev
}

func TestAlertDecodeSpecDialects(t *testing.T) {
	f := alertOne[AlertFollow](t, alertSpecFollow)
	if f.User != "Fan1" || f.UserName != "fan1" || f.Channel != "MyChannel" || f.IsTest || len(f.Missing) > 0 {
		t.Errorf("follow = %+v", f.AlertBase)
	}
	if want := time.UnixMilli(1790000000000).UTC(); !f.Time.Equal(want) || !f.TimeFromFrame {
		t.Errorf("follow time = %v (from frame %v), want %v", f.Time, f.TimeFromFrame, want)
	}
	if string(f.Raw) != alertSpecFollow || f.Type != "nf" || !strings.HasPrefix(f.ID, "alerts:follow:") {
		t.Errorf("follow raw/type/id = %s %q %q", f.Raw, f.Type, f.ID)
	}

	s := alertOne[AlertSubscription](t, alertSpecSub)
	if s.User != "Fan2" || s.Channel != "MyChannel" || s.PriceCents != 1497 || s.PriceRaw != "14.97" ||
		s.Quantity != 1 || s.Gift || s.Tier != "tier 1" || s.Months != 3 || s.Unmapped {
		t.Errorf("sub = %+v", s)
	}

	g := alertOne[AlertSubscription](t, alertSpecGift)
	if g.User != "Gifter" || g.PriceCents != 2495 || g.Quantity != 5 || !g.Gift || g.Tier != "tier 1" || g.Months != 1 ||
		!reflect.DeepEqual(g.Recipients, []string{"a", "b", "c", "d", "e"}) {
		t.Errorf("gift = %+v", g)
	}

	tip := alertOne[AlertTip](t, alertSpecTip)
	if tip.User != "Fan3" || tip.Amount != 562 || tip.Message != "great stream" || tip.Channel != "MyChannel" {
		t.Errorf("tip = %+v", tip)
	}

	sys := alertOne[AlertFollow](t, alertSpecTest)
	if sys.User != "SYSTEM" || !sys.IsTest || sys.Channel != "MyChannel" ||
		!sys.Time.Equal(time.Date(2026, 9, 1, 12, 0, 0, 0, time.UTC)) {
		t.Errorf("SYSTEM follow = %+v", sys.AlertBase)
	}
}

func TestAlertDecodeLongDialect(t *testing.T) {
	s := alertOne[AlertSubscription](t, `{"type":"subscription","data":{"username":"Fan","channel":"C","price":9.99,"quantity":1,"isGift":false,"timestamp":"2026-09-01T12:00:00Z"}}`)
	if s.Tier != "tier 2" || s.Months != 1 || s.PriceCents != 999 || s.Gift {
		t.Errorf("long sub = %+v", s)
	}
	g := alertOne[AlertSubscription](t, `{"type":"gift","data":{"username":"G","price":44.91,"quantity":3,"isGift":true,"recipients":["x","y","z"]}}`)
	if !g.Gift || g.Quantity != 3 || g.Tier != "tier 1" || g.Months != 3 || g.Unmapped || g.TimeFromFrame {
		t.Errorf("long gift = %+v", g)
	}
	tip := alertOne[AlertTip](t, `{"type":"tip","data":{"username":"SYSTEM","kudos":100,"message":"hi","timestamp":1790000000}}`)
	if !tip.IsTest || tip.Amount != 100 || !tip.Time.Equal(time.Unix(1790000000, 0)) {
		t.Errorf("long tip = %+v", tip)
	}
}

func TestAlertSubTierTable(t *testing.T) {
	for _, c := range []struct {
		cents, q   int
		tier       string
		months     int
		mappedWant bool
	}{
		{499, 1, "tier 1", 1, true},
		{999, 1, "tier 2", 1, true},
		{1499, 1, "tier 3", 1, true},
		{1497, 1, "tier 1", 3, true},
		{2994, 1, "tier 1", 6, true},
		{5988, 1, "tier 1", 12, true},
		{499 * 7, 7, "tier 1", 1, true},   // gift bundle of T1 x1
		{1497 * 4, 4, "tier 1", 3, true},  // gift bundle of T1 x3
		{998, 1, "tier 1", 2, true},       // T1 x2 next to T2
		{1234, 1, "tier 1", 2, false},     // unmapped
		{100, 1, "tier 1", 1, false},      // unmapped, below any row
		{0, 1, "", 0, false},              // no price
		{999 * 3, 3, "tier 2", 1, true},   // three T2 gifts
		{1499 * 2, 0, "tier 1", 6, false}, // quantity 0 counts as 1
	} {
		tier, months, mapped := AlertSubTier(c.cents, c.q)
		if tier != c.tier || months != c.months || mapped != c.mappedWant {
			t.Errorf("AlertSubTier(%d, %d) = %q, %d, %v; want %q, %d, %v", c.cents, c.q, tier, months, mapped, c.tier, c.months, c.mappedWant)
		}
	}
	s := alertOne[AlertSubscription](t, `{"t":"ns","m":{"sn":"x","amount":"12.34"}}`)
	if !s.Unmapped || s.Tier != "tier 1" {
		t.Errorf("unmapped sub = %+v", s)
	}
}

func TestAlertDecodeSystemIsTestOnEveryKind(t *testing.T) {
	for _, frame := range []string{
		`{"t":"nf","m":{"n":"SYSTEM"}}`,
		`{"t":"ns","m":{"sn":"SYSTEM","n":"Chan","amount":"4.99"}}`,
		`{"t":"nk","m":[{"n":"SYSTEM","x":1}]}`,
		`{"type":"follow","data":{"username":"fan","test":true}}`,
	} {
		evs := alertMustDecode(t, frame)
		if len(evs) != 1 || !evs[0].Base().IsTest {
			t.Errorf("%s: IsTest false: %+v", frame, evs)
		}
	}
	if f := alertOne[AlertFollow](t, `{"t":"nf","m":{"n":"system"}}`); f.IsTest {
		t.Errorf("lower-case system is a test alert; spec §6 says exactly SYSTEM")
	}
}

func TestAlertDecodeGarbageKeptAsUnknown(t *testing.T) {
	if _, err := alertDecodeAt([]byte("\x00not json {{"), alertTestNow); !errors.Is(err, ErrAlertsNotJSON) {
		t.Fatalf("garbage: err = %v, want ErrAlertsNotJSON", err)
	}
	for frame, reason := range map[string]string{
		`{"t":"zz","m":{"n":"x"}}`: "unknown type",
		`{"hello":"world"}`:        "no type",
		`42`:                       "not an object",
		`[]`:                       "empty batch",
		`{"t":"nf","m":{"m":{"m":{"m":{"m":{"m":{}}}}}}}`: "nested too deep",
	} {
		u := alertOne[AlertUnknown](t, frame)
		if u.Reason != reason || string(u.Raw) != frame || u.Kind != AlertKindUnknown || !strings.HasPrefix(u.ID, "alerts:unknown:") {
			t.Errorf("%s: unknown = %+v, want reason %q", frame, u, reason)
		}
	}
	evs := alertMustDecode(t, `{"t":"c","m":[{"t":"nk","n":"x","x":5},{"t":"zz"},{"n":"y"}]}`)
	if len(evs) != 3 {
		t.Fatalf("mixed batch: %d events", len(evs))
	}
	if _, ok := evs[0].(AlertTip); !ok {
		t.Errorf("mixed batch[0] = %T", evs[0])
	}
	for _, ev := range evs[1:] {
		if _, ok := ev.(AlertUnknown); !ok {
			t.Errorf("mixed batch: %T, want AlertUnknown", ev)
		}
	}
}

func TestAlertDecodeAliasesAndMissing(t *testing.T) {
	s := alertOne[AlertSubscription](t, `{"event":"new_subscription","payload":{"user":{"username":"Deep"},"value":"$4.99","md":6,"slvl":"T2","created_at":"2026-09-01 10:00:00"}}`)
	if s.User != "Deep" || s.PriceCents != 499 || s.Months != 6 || s.Tier != "tier 2" || !s.TimeFromFrame {
		t.Errorf("aliases = %+v", s)
	}
	f := alertOne[AlertFollow](t, `{"type":"follow"}`)
	if !reflect.DeepEqual(f.Missing, []string{"user"}) {
		t.Errorf("follow without user: Missing = %v", f.Missing)
	}
	tip := alertOne[AlertTip](t, `{"type":"tip","username":"u"}`)
	if !reflect.DeepEqual(tip.Missing, []string{"amount"}) || tip.User != "u" {
		t.Errorf("tip without amount = %+v", tip)
	}
	g := alertOne[AlertSubscription](t, `{"t":"giftsub","m":{"sn":"g","a":9.98,"sc":[{"name":"r1"},{"name":"r2"}]}}`)
	if !g.Gift || g.Quantity != 2 || g.Months != 1 || !reflect.DeepEqual(g.Recipients, []string{"r1", "r2"}) {
		t.Errorf("gift from recipients = %+v", g)
	}
}

func TestAlertDecodeStableIDs(t *testing.T) {
	a := alertMustDecode(t, alertSpecTip)[0].Base().ID
	later, _ := alertDecodeAt([]byte(alertSpecTip), alertTestNow.Add(time.Hour))
	if b := later[0].Base().ID; a != b {
		t.Errorf("same frame, other receipt time: id %q then %q", a, b)
	}
	other := alertMustDecode(t, strings.Replace(alertSpecTip, "562", "563", 1))[0].Base().ID
	if other == a {
		t.Errorf("different tips share id %q", a)
	}
	if id := alertOne[AlertFollow](t, `{"type":"follow","id":"abc-1","data":{"username":"x"}}`).ID; id != "alerts:follow:abc-1" {
		t.Errorf("frame id = %q", id)
	}
	evs := alertMustDecode(t, `{"t":"nk","id":7,"m":[{"n":"a","x":1},{"n":"b","x":1}]}`)
	if evs[0].Base().ID == evs[1].Base().ID || strings.HasSuffix(evs[0].Base().ID, ":7") {
		t.Errorf("batch ids = %q, %q: the envelope id is not each alert's", evs[0].Base().ID, evs[1].Base().ID)
	}
	// No time in the frame: the receipt time, to the second, keeps two real
	// tips apart and a re-decode of the same frame together.
	n1, _ := alertDecodeAt([]byte(`{"type":"tip","username":"u","kudos":5}`), alertTestNow)
	n2, _ := alertDecodeAt([]byte(`{"type":"tip","username":"u","kudos":5}`), alertTestNow.Add(300*time.Millisecond))
	if n1[0].Base().ID != n2[0].Base().ID {
		t.Errorf("same second, ids differ")
	}
}

func TestAlertIsRejection(t *testing.T) {
	for frame, want := range map[string]bool{
		`{"success":false,"code":"JWT_TOKEN"}`:       true,
		`{"success":"false","code":"INVALID_TOKEN"}`: true,
		`{"success":true,"code":"PONG"}`:             false,
		`{"success":false,"code":"RATE"}`:            false,
		`not json`:                                   false,
	} {
		if got := alertIsRejection([]byte(frame)); got != want {
			t.Errorf("alertIsRejection(%s) = %v, want %v", frame, got, want)
		}
	}
}

func TestAlertJWTExpiry(t *testing.T) {
	// {"exp":1790000000}
	if got := alertJWTExpiry("eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE3OTAwMDAwMDB9.c2ln"); !got.Equal(time.Unix(1790000000, 0)) {
		t.Errorf("exp = %v", got)
	}
	if got := alertJWTExpiry("opaque-token"); !got.IsZero() {
		t.Errorf("opaque exp = %v", got)
	}
}

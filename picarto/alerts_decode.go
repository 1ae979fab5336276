package picarto

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// ErrAlertsNotJSON is returned by DecodeAlertFrame for a frame that is not
// JSON. It is the decoder's only error; the Alerts loop turns such a frame
// into an AlertUnknown and keeps going.
var ErrAlertsNotJSON = errors.New("picarto: alerts: frame is not JSON")

// The widget frame schema is unknown (spec §5.2, U1), so the decoder is a set
// of tables from spec §5.3: envelope keys, type codes and field aliases, each
// list tried in order, keys matched case-insensitively. A live capture only
// has to extend these tables.
var (
	alertTypeKeys    = []string{"t", "type", "event", "eventType"}
	alertPayloadKeys = []string{"m", "messages", "data", "payload"}
	alertKinds       = map[string]AlertKind{
		"nf": AlertKindFollow, "follow": AlertKindFollow, "follower": AlertKindFollow, "new_follow": AlertKindFollow,
		"ns": AlertKindSubscription, "sub": AlertKindSubscription, "subscription": AlertKindSubscription,
		"subscribe": AlertKindSubscription, "gift": AlertKindSubscription, "giftsub": AlertKindSubscription,
		"nk": AlertKindTip, "ct": AlertKindTip, "tip": AlertKindTip, "kudos": AlertKindTip, "donation": AlertKindTip,
	}
	alertGiftTypes     = []string{"gift", "giftsub"}
	alertUserKeys      = []string{"sn", "n", "username", "user.username", "displayName", "name", "user_name", "user", "user.name", "user.displayName"}
	alertChannelKeys   = []string{"rn", "channel", "channelName", "channel_name"}
	alertUserIDKeys    = []string{"user_id", "userId", "user.id"}
	alertAvatarKeys    = []string{"avatar", "user_avatar", "avatar_url", "user.avatar"}
	alertPriceKeys     = []string{"amount", "price", "a", "value"}
	alertKudosKeys     = []string{"x", "amount", "kudos", "chips"}
	alertQuantityKeys  = []string{"quantity", "count", "q", "k"}
	alertRecipientKeys = []string{"sc", "recipients"}
	alertRecipientOne  = []string{"recipient", "gn"}
	alertGiftKeys      = []string{"sg", "gift", "isGift"}
	alertAnonKeys      = []string{"anonymous", "isAnonymous"}
	alertMonthsKeys    = []string{"md", "months"}
	alertTierKeys      = []string{"tier", "slvl", "level"}
	alertMessageKeys   = []string{"message", "msg", "text", "m"}
	alertTimeKeys      = []string{"d", "timestamp", "time", "created_at", "createdAt"}
	alertIDKeys        = []string{"id", "uuid", "alertId", "alert_id", "_id"}
	alertTestKeys      = []string{"test", "isTest", "is_test", "simulated"}
)

// alertMaxDepth bounds envelope nesting; deeper payloads become unknown.
const alertMaxDepth = 4

// DecodeAlertFrame decodes one widget-socket text frame into alerts (a batch
// frame gives several). It is tolerant: anything it does not recognise
// becomes an AlertUnknown, never an error. Only a frame that is not JSON at
// all gives ErrAlertsNotJSON. Alerts without a time get the current time.
func DecodeAlertFrame(b []byte) ([]AlertEvent, error) {
	return alertDecodeAt(b, time.Now())
}

// alertDecodeAt is DecodeAlertFrame with the receipt time given.
func alertDecodeAt(b []byte, now time.Time) ([]AlertEvent, error) {
	b = bytes.TrimSpace(b)
	if !json.Valid(b) {
		return nil, ErrAlertsNotJSON
	}
	d := alertDecoder{raw: b, now: now.UTC()}
	d.node(json.RawMessage(b), "", nil, 0)
	return d.out, nil
}

type alertObj map[string]json.RawMessage

type alertDecoder struct {
	raw []byte
	now time.Time
	out []AlertEvent
}

// node decodes an array (a batch) or an object (an envelope or an alert).
// typ is the type code inherited from an envelope, env the envelope's other
// fields, used when the alert object itself lacks one.
func (d *alertDecoder) node(v json.RawMessage, typ string, env alertObj, depth int) {
	if depth > alertMaxDepth {
		d.unknown(v, typ, "nested too deep")
		return
	}
	switch alertJSONKind(v) {
	case '[':
		var items []json.RawMessage
		_ = json.Unmarshal(v, &items)
		if len(items) == 0 {
			d.unknown(v, typ, "empty batch")
		}
		for _, it := range items {
			d.node(it, typ, env, depth+1)
		}
		return
	case '{':
	default:
		d.unknown(v, typ, "not an object")
		return
	}
	var o alertObj
	_ = json.Unmarshal(v, &o)
	own := alertFirstString(o, alertTypeKeys)
	if _, ok := alertKindOf(own); ok || typ == "" {
		typ = own
	} else if _, ok := alertKindOf(typ); !ok && own != "" {
		typ = own
	}
	if key, p := alertPayload(o); p != nil {
		rest := make(alertObj, len(o))
		for k, x := range o {
			if k != key && !slices.ContainsFunc(alertTypeKeys, func(t string) bool { return strings.EqualFold(t, k) }) {
				rest[k] = x
			}
		}
		if alertJSONKind(p) == '[' { // a batch: the envelope's id is not each alert's
			for _, k := range alertIDKeys {
				for key, _, ok := alertLookup(rest, k); ok; key, _, ok = alertLookup(rest, k) {
					delete(rest, key)
				}
			}
		}
		d.node(p, typ, rest, depth+1)
		return
	}
	kind, ok := alertKindOf(typ)
	if !ok {
		reason := "unknown type"
		if typ == "" {
			reason = "no type"
		}
		d.unknown(v, typ, reason)
		return
	}
	f := alertFields{o, env}
	switch kind {
	case AlertKindFollow:
		d.out = append(d.out, AlertFollow{d.base(kind, typ, f, "")})
	case AlertKindSubscription:
		d.out = append(d.out, d.sub(typ, f))
	case AlertKindTip:
		d.out = append(d.out, d.tip(typ, f))
	}
}

func (d *alertDecoder) unknown(v json.RawMessage, typ, reason string) {
	var c bytes.Buffer
	if json.Compact(&c, v) != nil {
		c.Reset()
		c.Write(v)
	}
	sum := sha256.Sum256(fmt.Appendf(c.Bytes(), "|%d", d.now.Unix()))
	b := AlertBase{Kind: AlertKindUnknown, ID: "alerts:unknown:" + hex.EncodeToString(sum[:10]),
		Type: typ, Time: d.now, Raw: d.raw}
	d.out = append(d.out, AlertUnknown{AlertBase: b, Reason: reason})
}

// base fills the common fields; extra goes into the content hash.
func (d *alertDecoder) base(kind AlertKind, typ string, f alertFields, extra string) AlertBase {
	b := AlertBase{Kind: kind, Type: typ, Raw: d.raw, Time: d.now}
	b.User = f.str(alertUserKeys)
	if f.has("sn") {
		b.Channel = f.str(slices.Concat(alertChannelKeys, []string{"n"}))
	} else {
		b.Channel = f.str(alertChannelKeys)
	}
	b.UserName = strings.ToLower(strings.TrimSpace(b.User))
	b.UserID = f.str(alertUserIDKeys)
	b.Avatar = f.str(alertAvatarKeys)
	if t, ok := f.time(); ok {
		b.Time, b.TimeFromFrame = t, true
	}
	test, _ := f.bool(alertTestKeys)
	b.IsTest = b.User == "SYSTEM" || test
	if b.User == "" {
		b.Missing = append(b.Missing, "user")
	}
	if id := f.str(alertIDKeys); id != "" {
		b.ID = "alerts:" + string(kind) + ":" + id
	} else {
		sum := sha256.Sum256(fmt.Appendf(nil, "%s|%s|%s|%d", kind, b.UserName, extra, b.Time.Unix()))
		b.ID = "alerts:" + string(kind) + ":" + hex.EncodeToString(sum[:10])
	}
	return b
}

func (d *alertDecoder) sub(typ string, f alertFields) AlertSubscription {
	s := AlertSubscription{Quantity: 1}
	cents, raw, okPrice := f.cents(alertPriceKeys)
	s.PriceCents, s.PriceRaw = cents, raw
	s.Recipients = f.strList(alertRecipientKeys)
	if len(s.Recipients) == 0 {
		if r := f.str(alertRecipientOne); r != "" {
			s.Recipients = []string{r}
		}
	}
	if q, ok := f.int(alertQuantityKeys); ok && q >= 1 {
		s.Quantity = min(q, 100000)
	} else if len(s.Recipients) > 0 {
		s.Quantity = len(s.Recipients)
	}
	gift, okGift := f.bool(alertGiftKeys)
	s.Gift = gift || (!okGift && (len(s.Recipients) > 0 || slices.Contains(alertGiftTypes, strings.ToLower(typ))))
	s.Anonymous, _ = f.bool(alertAnonKeys)
	s.Tier, s.Months, _ = AlertSubTier(s.PriceCents, s.Quantity)
	s.Unmapped = okPrice && s.PriceCents > 0 && !alertMapped(s.PriceCents, s.Quantity)
	if m, ok := f.int(alertMonthsKeys); ok && m >= 1 {
		s.Months = min(m, 1200)
	}
	if t := alertTierName(f.str(alertTierKeys)); t != "" {
		s.Tier = t
	}
	s.AlertBase = d.base(AlertKindSubscription, typ, f, fmt.Sprintf("%d|%d|%t", s.PriceCents, s.Quantity, s.Gift))
	if !okPrice && s.Tier == "" {
		s.Missing = append(s.Missing, "price")
	}
	return s
}

func (d *alertDecoder) tip(typ string, f alertFields) AlertTip {
	t := AlertTip{Message: f.str(alertMessageKeys)}
	k, ok := f.num(alertKudosKeys)
	if ok && k >= 0 && k < 1e12 {
		t.Amount = int(math.Round(k))
	}
	t.AlertBase = d.base(AlertKindTip, typ, f, strconv.Itoa(t.Amount)+"|"+t.Message)
	if !ok {
		t.Missing = append(t.Missing, "amount")
	}
	return t
}

func alertMapped(cents, q int) bool { _, _, ok := AlertSubTier(cents, q); return ok }

// alertTierName normalises an explicit tier: 1..3, "T2", "tier 3", "Tier2".
func alertTierName(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	s = strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s, "tier"), "t"))
	switch s {
	case "1", "2", "3":
		return "tier " + s
	}
	return ""
}

func alertKindOf(typ string) (AlertKind, bool) {
	t := strings.ToLower(strings.TrimSpace(typ))
	t = strings.NewReplacer("-", "_", " ", "_").Replace(t)
	if k, ok := alertKinds[t]; ok {
		return k, true
	}
	k, ok := alertKinds[strings.TrimSuffix(strings.TrimPrefix(t, "new_"), "_alert")]
	return k, ok
}

func alertJSONKind(v json.RawMessage) byte {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return 0
	}
	return v[0]
}

// alertPayload returns the first payload key holding an object or array.
func alertPayload(o alertObj) (string, json.RawMessage) {
	for _, k := range alertPayloadKeys {
		key, v, ok := alertLookup(o, k)
		if ok && (alertJSONKind(v) == '{' || alertJSONKind(v) == '[') {
			return key, v
		}
	}
	return "", nil
}

// alertLookup finds key (exact first, then case-insensitively; the smallest
// matching key wins, so the result does not depend on map order) and
// follows dotted paths into objects. JSON null counts as absent.
func alertLookup(o alertObj, key string) (string, json.RawMessage, bool) {
	head, tail, nested := strings.Cut(key, ".")
	found, v := "", json.RawMessage(nil)
	if x, ok := o[head]; ok {
		found, v = head, x
	} else {
		for k, x := range o {
			if strings.EqualFold(k, head) && (found == "" || k < found) {
				found, v = k, x
			}
		}
	}
	if found == "" || string(bytes.TrimSpace(v)) == "null" {
		return "", nil, false
	}
	if nested {
		var inner alertObj
		if alertJSONKind(v) != '{' || json.Unmarshal(v, &inner) != nil {
			return "", nil, false
		}
		return alertLookup(inner, tail)
	}
	return found, v, true
}

func alertFirstString(o alertObj, keys []string) string {
	return alertFields{o}.str(keys)
}

package picartotest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// alertSchema is the part of Picarto's internal schema the alert route uses
// (spec §3.2, §3.3, §10): arguments with their types, and the subfields an
// answer object has.
var alertSchema = map[string]struct {
	args map[string]string
	typ  string
	sub  []string
}{
	"generateJwtToken":        {map[string]string{"channel_id": "Int", "channel_name": "String", "user_id": "Int"}, "JwtResponse", []string{"key", "__typename"}},
	"generateJwtTokenFromKey": {map[string]string{"key": "String!"}, "JwtResponse", []string{"key", "__typename"}},
	"channel":                 {map[string]string{"name": "String", "id": "Int"}, "Channel", []string{"id", "name", "online", "__typename"}},
}

type alertGQLBody struct {
	OperationName string
	Query         *string
	Variables     map[string]any
}

func (s *AlertsServer) handleGraphQL(w http.ResponseWriter, r *http.Request) {
	rec := AlertsGraphQLRequest{Method: r.Method, ContentType: r.Header.Get("Content-Type"),
		Accept: r.Header.Get("Accept"), Origin: r.Header.Get("Origin"), UserAgent: r.Header.Get("User-Agent"), At: time.Now()}
	status, answer := s.graphQL(w, r, &rec)
	rec.Status = status
	if m, ok := answer["errors"].([]map[string]any); ok {
		for _, e := range m {
			rec.Errors = append(rec.Errors, fmt.Sprint(e["message"]))
		}
	}
	s.mu.Lock()
	s.requests = append(s.requests, rec)
	s.notifyLocked()
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(answer)
}

func alertGQLErrors(msgs ...string) map[string]any {
	var errs []map[string]any
	for _, m := range msgs {
		errs = append(errs, map[string]any{"message": m})
	}
	return map[string]any{"errors": errs}
}

// graphQL validates and answers one request; it returns the status and body.
func (s *AlertsServer) graphQL(w http.ResponseWriter, r *http.Request, rec *AlertsGraphQLRequest) (int, map[string]any) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return http.StatusMethodNotAllowed, alertGQLErrors("only POST is supported")
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		return http.StatusUnsupportedMediaType, alertGQLErrors("Content-Type must be application/json")
	}
	if s.opts.RequireOrigin && r.Header.Get("Origin") != "https://picarto.tv" {
		return http.StatusForbidden, alertGQLErrors("forbidden")
	}
	s.mu.Lock()
	failing, status := s.failN > 0, s.failStatus
	if failing {
		s.failN--
	}
	s.mu.Unlock()
	if failing && status != 0 {
		if status == http.StatusTooManyRequests {
			w.Header().Set("Retry-After", "1")
		}
		return status, alertGQLErrors(http.StatusText(status))
	}
	var body alertGQLBody
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&body); err != nil {
		return http.StatusBadRequest, alertGQLErrors("POST body sent invalid JSON.")
	}
	rec.OperationName, rec.Variables = body.OperationName, body.Variables
	if body.Query == nil || strings.TrimSpace(*body.Query) == "" {
		return http.StatusBadRequest, alertGQLErrors("Must provide query string.")
	}
	op, err := alertParseQuery(*body.Query)
	if err != nil {
		return http.StatusOK, alertGQLErrors("Syntax Error: " + err.Error())
	}
	for _, f := range op.fields {
		rec.Fields = append(rec.Fields, f.name)
	}
	if body.OperationName != "" && body.OperationName != op.name {
		return http.StatusOK, alertGQLErrors(fmt.Sprintf("Unknown operation named %q.", body.OperationName))
	}
	if failing {
		return http.StatusOK, alertGQLErrors("Internal server error")
	}
	args, errs := op.validate(body.Variables)
	if len(errs) > 0 {
		return http.StatusOK, alertGQLErrors(errs...)
	}
	data := map[string]any{}
	var execErrs []string
	for i, f := range op.fields {
		v, err := s.resolve(f, args[i])
		if err != "" {
			execErrs = append(execErrs, err)
		}
		data[f.alias] = v
	}
	answer := map[string]any{"data": data}
	if len(execErrs) > 0 {
		answer["errors"] = alertGQLErrors(execErrs...)["errors"]
	}
	return http.StatusOK, answer
}

// resolve runs one root field; it returns the value and an error message.
func (s *AlertsServer) resolve(f alertGQLField, args map[string]any) (any, string) {
	pick := func(obj map[string]any) map[string]any {
		out := map[string]any{}
		for _, sf := range f.sub {
			out[sf] = obj[sf]
		}
		return out
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch f.name {
	case "__typename":
		return "Query", ""
	case "channel":
		id, name, ok := s.lookup(args["id"], args["name"])
		if !ok {
			return nil, ""
		}
		return pick(map[string]any{"id": id, "name": name, "online": false, "__typename": "Channel"}), ""
	case "generateJwtToken":
		if uid, _ := args["user_id"].(int64); uid != 0 {
			return nil, "user tokens need a signed-in user"
		}
		id, name, ok := s.lookup(args["channel_id"], args["channel_name"])
		var key any
		if ok {
			k := s.sign(map[string]any{"userId": 0, "channelId": id, "channelName": name})
			s.keys++
			s.issued = append(s.issued, k)
			key = k
		}
		return pick(map[string]any{"key": key, "__typename": "JwtResponse"}), ""
	case "generateJwtTokenFromKey":
		claims, ok := s.verify(fmt.Sprint(args["key"]))
		if !ok || claims["w"] != nil {
			return nil, "invalid key"
		}
		nonce := make([]byte, 8)
		_, _ = rand.Read(nonce)
		c := map[string]any{"channelId": claims["channelId"], "channelName": claims["channelName"], "w": 1, "jti": hex.EncodeToString(nonce)}
		if s.opts.WidgetTokenTTL > 0 {
			c["exp"] = time.Now().Add(s.opts.WidgetTokenTTL).Unix()
		}
		tok := s.sign(c)
		s.tokens++
		s.issued = append(s.issued, tok)
		return pick(map[string]any{"key": tok, "__typename": "JwtResponse"}), ""
	}
	return nil, "unknown field"
}

// lookup finds a channel by id (when given) or by name; s.mu is held.
func (s *AlertsServer) lookup(id, name any) (int64, string, bool) {
	if n, ok := id.(int64); ok {
		cn, found := s.channels[n]
		return n, cn, found
	}
	if n, ok := name.(string); ok {
		return s.channelByName(n)
	}
	return 0, "", false
}

// sign makes an HS256 JWT with the fake's key.
func (s *AlertsServer) sign(claims map[string]any) string {
	enc := base64.RawURLEncoding
	payload, _ := json.Marshal(claims)
	head := enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString(payload)
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(head))
	return head + "." + enc.EncodeToString(m.Sum(nil))
}

// verify checks a JWT this fake issued and returns its claims; an expired
// one is invalid.
func (s *AlertsServer) verify(tok string) (map[string]any, bool) {
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		return nil, false
	}
	m := hmac.New(sha256.New, s.key)
	m.Write([]byte(parts[0] + "." + parts[1]))
	sig, err := base64.RawURLEncoding.DecodeString(parts[2])
	if err != nil || !hmac.Equal(sig, m.Sum(nil)) {
		return nil, false
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err != nil || json.Unmarshal(b, &claims) != nil {
		return nil, false
	}
	if exp, ok := claims["exp"].(float64); ok && time.Now().Unix() >= int64(exp) {
		return nil, false
	}
	if id, ok := claims["channelId"].(float64); ok {
		claims["channelId"] = int64(id)
	}
	return claims, true
}

// validate checks variable definitions, their use and values against the
// schema, the way a GraphQL server does, and returns each field's arguments.
func (op *alertGQLOp) validate(vars map[string]any) ([]map[string]any, []string) {
	var errs []string
	used := map[string]bool{}
	values := map[string]any{}
	for name, typ := range op.vars {
		v, present := vars[name]
		if !present || v == nil {
			if strings.HasSuffix(typ, "!") {
				errs = append(errs, fmt.Sprintf("Variable \"$%s\" of required type %q was not provided.", name, typ))
			}
			continue
		}
		cv, ok := alertCoerce(strings.TrimSuffix(typ, "!"), v)
		if !ok {
			errs = append(errs, fmt.Sprintf("Variable \"$%s\" got invalid value %v; %s cannot represent it.", name, alertShow(v), strings.TrimSuffix(typ, "!")))
			continue
		}
		values[name] = cv
	}
	var out []map[string]any
	for _, f := range op.fields {
		args := map[string]any{}
		out = append(out, args)
		if f.name == "__typename" {
			continue
		}
		def, ok := alertSchema[f.name]
		if !ok {
			errs = append(errs, fmt.Sprintf("Cannot query field %q on type \"Query\".", f.name))
			continue
		}
		if len(f.sub) == 0 {
			errs = append(errs, fmt.Sprintf("Field %q of type %q must have a selection of subfields.", f.name, def.typ))
		}
		for _, sf := range f.sub {
			if !strings.Contains(" "+strings.Join(def.sub, " ")+" ", " "+sf+" ") {
				errs = append(errs, fmt.Sprintf("Cannot query field %q on type %q.", sf, def.typ))
			}
		}
		for arg, val := range f.args {
			want, ok := def.args[arg]
			if !ok {
				errs = append(errs, fmt.Sprintf("Unknown argument %q on field \"Query.%s\".", arg, f.name))
				continue
			}
			if val.variable == "" && val.literal == nil {
				if strings.HasSuffix(want, "!") {
					errs = append(errs, fmt.Sprintf("Argument %q of non-null type %q must not be null.", arg, want))
				}
				continue
			}
			if val.variable == "" {
				cv, ok := alertCoerce(strings.TrimSuffix(want, "!"), val.literal)
				if !ok {
					errs = append(errs, fmt.Sprintf("%s cannot represent value %v (argument %q).", strings.TrimSuffix(want, "!"), alertShow(val.literal), arg))
				}
				args[arg] = cv
				continue
			}
			used[val.variable] = true
			have, declared := op.vars[val.variable]
			switch {
			case !declared:
				errs = append(errs, fmt.Sprintf("Variable \"$%s\" is not defined by operation %q.", val.variable, op.name))
			case strings.TrimSuffix(have, "!") != strings.TrimSuffix(want, "!") ||
				strings.HasSuffix(want, "!") && !strings.HasSuffix(have, "!"):
				errs = append(errs, fmt.Sprintf("Variable \"$%s\" of type %q used in position expecting type %q.", val.variable, have, want))
			default:
				if v, ok := values[val.variable]; ok {
					args[arg] = v
				}
			}
		}
		for arg, want := range def.args {
			if _, given := f.args[arg]; !given && strings.HasSuffix(want, "!") {
				errs = append(errs, fmt.Sprintf("Field %q argument %q of type %q is required, but it was not provided.", f.name, arg, want))
			}
		}
	}
	for name := range op.vars {
		if !used[name] {
			errs = append(errs, fmt.Sprintf("Variable \"$%s\" is never used in operation %q.", name, op.name))
		}
	}
	return out, errs
}

// alertCoerce converts a JSON value to a GraphQL Int (int64) or String.
func alertCoerce(typ string, v any) (any, bool) {
	switch typ {
	case "Int":
		f, ok := v.(float64)
		if n, isInt := v.(int64); isInt {
			return n, true
		}
		if !ok || f != float64(int64(f)) || f > 1<<31-1 || f < -(1<<31) {
			return nil, false
		}
		return int64(f), true
	case "String":
		s, ok := v.(string)
		return s, ok
	}
	return nil, false
}

func alertShow(v any) string {
	if s, ok := v.(string); ok {
		return strconv.Quote(s)
	}
	b, _ := json.Marshal(v)
	return string(b)
}

package bridge

import (
	"archive/zip"
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/config"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

// ReportOptions configure Report.
type ReportOptions struct {
	// Version is the bridge's version, written into the report.
	Version string
	// DoctorTimeout bounds each doctor check; default 3 s, so a report is
	// quick when Streamer.bot or Picarto is unreachable.
	DoctorTimeout time.Duration
	// HTTPClient is passed to the doctor; nil: its default.
	HTTPClient *http.Client
	// Logger receives the clients' log lines; nil discards them.
	Logger *slog.Logger
	// Now is the clock for the report's time stamps; default time.Now.
	Now func() time.Time
}

// Caps on what a report copies.
const (
	reportLogTail      = 512 << 10 // last bytes of the log file
	reportCaptureLines = 50        // last lines of each capture file
	reportCaptureLine  = 16 << 10  // longest line kept (longer ones are cut)
	reportCaptureFiles = 32        // newest capture files
	minScrubLen        = 4         // shorter secret values are not searched for
)

// Report writes a zip for a bug report to w: version and platform, the
// configuration with every secret shown as REDACTED, the doctor's output,
// the picarto* globals (secrets REDACTED), the event queue's counts, the tail
// of the last log file and the last lines of the capture files in
// <data dir>/captures (webhook bodies, chat frames and alert-socket frames
// the bridge could not fully decode). Every text is scrubbed of the secret
// values the report knows and of anything shaped like a token. It works
// with Streamer.bot and Picarto unreachable.
func Report(ctx context.Context, cfg config.Config, w io.Writer, opts ReportOptions) error {
	if opts.DoctorTimeout <= 0 {
		opts.DoctorTimeout = 3 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	now := opts.Now()

	var doc bytes.Buffer
	res := runDoctor(ctx, cfg, &doc, DoctorOptions{Timeout: opts.DoctorTimeout, HTTPClient: opts.HTTPClient, Logger: opts.Logger})
	sc := newScrubber(append([]string{cfg.SBPassword.Reveal(), cfg.Bearer.Reveal()}, res.secrets...))

	z := zip.NewWriter(w)
	add := func(name string, body []byte) error {
		f, err := z.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: now})
		if err != nil {
			return fmt.Errorf("bridge: report: %s: %w", name, err)
		}
		if _, err := f.Write(body); err != nil {
			return fmt.Errorf("bridge: report: %s: %w", name, err)
		}
		return nil
	}
	text := func(name, s string) error { return add(name, []byte(sc.text(s))) }

	logPath := findLogFile(cfg)
	members := []struct{ name, body string }{
		{"README.txt", reportReadme},
		{"summary.txt", reportSummary(cfg, opts.Version, now, logPath, res.ok)},
		{"config.txt", configText(cfg)},
		{"doctor.txt", doc.String()},
		{"globals.txt", globalsText(res.globals)},
		{"queue.txt", queueText(cfg.DataDir)},
	}
	for _, m := range members {
		if err := text(m.name, m.body); err != nil {
			return err
		}
	}
	if logPath != "" {
		tail, err := readTail(logPath, reportLogTail)
		if err != nil {
			tail = []byte("could not read " + logPath + ": " + err.Error() + "\n")
		}
		if err := text("logs/"+filepath.Base(logPath), string(tail)); err != nil {
			return err
		}
	}
	for _, f := range newestFirst(captureFiles(cfg.DataDir), reportCaptureFiles) {
		body, err := captureTail(f, sc)
		if err != nil {
			body = "could not read " + f + ": " + err.Error() + "\n"
		}
		if err := text("captures/"+filepath.Base(f), body); err != nil {
			return err
		}
	}
	if err := z.Close(); err != nil {
		return fmt.Errorf("bridge: report: %w", err)
	}
	return nil
}

const reportReadme = `picarto-bridge bug report

summary.txt   version, operating system, when this was made
config.txt    the environment settings (secrets show as REDACTED)
doctor.txt    the output of picarto-bridge doctor
globals.txt   the picarto* globals in Streamer.bot (secrets show as REDACTED)
queue.txt     the event queue's counts
logs/         the end of the last log file
captures/     the last webhook bodies, chat frames and alert-socket frames the
              bridge kept because it could not fully decode them: they show
              the project what Picarto really sends

No token or password is in this file: known secret values, and anything
shaped like a token, are replaced by REDACTED.
`

func reportSummary(cfg config.Config, version string, now time.Time, logPath string, ok bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "picarto-bridge %s\n", version)
	fmt.Fprintf(&b, "made:      %s\n", now.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "system:    %s/%s, %d CPUs, %s\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(&b, "data dir:  %s\n", cfg.DataDir)
	if logPath == "" {
		logPath = "(none found: set BRIDGE_LOG_FILE to keep one)"
	}
	fmt.Fprintf(&b, "log file:  %s\n", logPath)
	verdict := "problems found (see doctor.txt)"
	if ok {
		verdict = "all checks passed"
	}
	fmt.Fprintf(&b, "doctor:    %s\n", verdict)
	return b.String()
}

// configText lists every environment setting by its variable name; secrets
// show as REDACTED, and a URL's password is removed.
func configText(cfg config.Config) string {
	var b strings.Builder
	v := reflect.ValueOf(cfg)
	t := v.Type()
	secretType := reflect.TypeFor[secret.Secret]()
	for i := range t.NumField() {
		f := t.Field(i)
		name := f.Tag.Get("env")
		if name == "" || !f.IsExported() {
			continue
		}
		fv := v.Field(i)
		var val string
		switch {
		case f.Type == secretType:
			val = "(empty)"
			if fv.String() != "" {
				val = secret.Redacted
			}
		default:
			val = fmt.Sprint(fv.Interface())
			if u, err := url.Parse(val); err == nil && u.User != nil {
				val = u.Redacted()
			}
		}
		fmt.Fprintf(&b, "%s=%s\n", name, val)
	}
	return b.String()
}

// secretGlobals are the globals whose values are never copied.
var secretGlobals = map[string]bool{
	actions.GlobalBearer: true, actions.GlobalClientToken: true,
	actions.GlobalRefreshToken: true, actions.GlobalChannelToken: true,
}

// globalsText lists the picarto* globals; secret ones only say whether they
// are set.
func globalsText(g globalValues) string {
	if g == nil {
		return "Streamer.bot's globals could not be read (see doctor.txt).\n"
	}
	var names []string
	for k := range g {
		if strings.HasPrefix(strings.ToLower(k), "picarto") {
			names = append(names, k)
		}
	}
	sort.Strings(names)
	var b strings.Builder
	for _, k := range names {
		v := actions.ParseString(g[k])
		if secretGlobals[k] || looksSecretKey(k) {
			if strings.TrimSpace(v) == "" {
				v = "(empty)"
			} else {
				v = secret.Redacted
			}
		}
		fmt.Fprintf(&b, "%s = %s\n", k, v)
	}
	if len(names) == 0 {
		b.WriteString("no picarto* globals are set\n")
	}
	return b.String()
}

func queueText(dataDir string) string {
	q := readQueue(dataDir)
	switch {
	case q.running:
		return "The bridge was running: its event queue (" + q.path + ") was not opened.\n"
	case q.err != nil:
		return "The event queue " + q.path + " could not be read: " + q.err.Error() + "\n"
	case !q.exists:
		return "No event queue yet in " + dataDir + ".\n"
	}
	s := q.stats
	return fmt.Sprintf("file: %s\nwaiting for Streamer.bot: %d\ndedup keys remembered: %d\n", q.path, s.Entries, s.DedupKeys)
}

// findLogFile is BRIDGE_LOG_FILE, else the newest <data dir>/logs/*.log.
func findLogFile(cfg config.Config) string {
	if cfg.LogFile != "" {
		if _, err := os.Stat(cfg.LogFile); err == nil {
			return cfg.LogFile
		}
	}
	files, _ := filepath.Glob(filepath.Join(cfg.DataDir, "logs", "*.log"))
	if f := newestFirst(files, 1); len(f) == 1 {
		return f[0]
	}
	return ""
}

// newestFirst sorts files by modification time, newest first, keeping n.
func newestFirst(files []string, n int) []string {
	type fm struct {
		path string
		mod  time.Time
	}
	var list []fm
	for _, f := range files {
		if fi, err := os.Stat(f); err == nil && fi.Mode().IsRegular() {
			list = append(list, fm{f, fi.ModTime()})
		}
	}
	sort.SliceStable(list, func(i, j int) bool { return list[i].mod.After(list[j].mod) })
	out := make([]string, 0, min(n, len(list)))
	for i := 0; i < len(list) && i < n; i++ {
		out = append(out, list[i].path)
	}
	return out
}

// readTail returns at most the last max bytes of a file, from a line start.
func readTail(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	off := int64(0)
	if fi.Size() > max {
		off = fi.Size() - max
	}
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	b, err := io.ReadAll(io.LimitReader(f, max))
	if err != nil {
		return nil, err
	}
	if off > 0 {
		if i := bytes.IndexByte(b, '\n'); i >= 0 {
			b = b[i+1:]
		}
		b = append([]byte(fmt.Sprintf("[... the first %d bytes are left out ...]\n", off)), b...)
	}
	return b, nil
}

// captureTail returns the last lines of a JSONL capture file, each JSON
// line with its secret-looking keys redacted.
func captureTail(path string, sc *scrubber) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	r := bufio.NewReaderSize(f, 64<<10)
	ring := make([]string, 0, reportCaptureLines)
	for {
		line, err := readCappedLine(r, reportCaptureLine)
		if len(line) > 0 && wantCapture(line) {
			if len(ring) == reportCaptureLines {
				copy(ring, ring[1:])
				ring = ring[:len(ring)-1]
			}
			ring = append(ring, sc.jsonLine(line))
		}
		if err == io.EOF {
			break
		}
		if err != nil {
			return "", err
		}
	}
	var b strings.Builder
	for _, l := range ring {
		b.WriteString(l)
		b.WriteByte('\n')
	}
	return b.String(), nil
}

// wantCapture keeps a record the bridge did not fully decode, and every
// record of the alert socket (unofficial, so each frame teaches something).
// A line that is not a capture record is kept.
func wantCapture(line string) bool {
	var rec struct {
		Source  string `json:"source"`
		Decoded *bool  `json:"decoded"`
	}
	if json.Unmarshal([]byte(line), &rec) != nil || rec.Decoded == nil {
		return true
	}
	return !*rec.Decoded || rec.Source == "alerts"
}

// readCappedLine reads one line, keeping at most limit bytes of it.
func readCappedLine(r *bufio.Reader, limit int) (string, error) {
	var b []byte
	cut := false
	for {
		chunk, err := r.ReadSlice('\n')
		if len(b)+len(chunk) > limit {
			if room := limit - len(b); room > 0 {
				b = append(b, chunk[:room]...)
			}
			cut = true
		} else {
			b = append(b, chunk...)
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		s := strings.TrimRight(string(b), "\r\n")
		if cut {
			s += " [cut]"
		}
		return s, err
	}
}

// scrubber removes secrets from text that goes into a report.
type scrubber struct{ secrets []string }

func newScrubber(values []string) *scrubber {
	s := &scrubber{}
	for _, v := range values {
		v = strings.TrimSpace(v)
		if len(v) >= minScrubLen {
			s.secrets = append(s.secrets, v)
		}
		if t := trimBearer(v); t != v && len(t) >= minScrubLen {
			s.secrets = append(s.secrets, t)
		}
	}
	// Longest first, so a secret containing another is replaced whole.
	sort.Slice(s.secrets, func(i, j int) bool { return len(s.secrets[i]) > len(s.secrets[j]) })
	return s
}

var (
	bearerRe    = regexp.MustCompile(`(?i)(\bbearer\s+)[A-Za-z0-9._~+/=-]{6,}`)
	paramRe     = regexp.MustCompile(`(?i)(\b(?:password|passwd|pass|token|access_token|refresh_token|client_secret|secret|jwt|apikey|api_key)=)[^&\s"'<>]+`)
	jsonFieldRe = regexp.MustCompile(`(?i)("[a-z0-9_\-]*(?:token|password|passwd|secret|authorization|bearer|jwt|cookie|apikey|api_key|streamkey|stream_key)[a-z0-9_\-]*"\s*:\s*")(?:[^"\\]|\\.)*"`)
)

// text scrubs known secret values and token-shaped text.
func (s *scrubber) text(t string) string {
	t = secret.Scrub(t, s.secrets...)
	t = bearerRe.ReplaceAllString(t, "${1}"+secret.Redacted)
	t = paramRe.ReplaceAllStringFunc(t, func(m string) string {
		k, v, _ := strings.Cut(m, "=")
		if v == secret.Redacted {
			return m
		}
		return k + "=" + secret.Redacted
	})
	t = jsonFieldRe.ReplaceAllString(t, `${1}`+secret.Redacted+`"`)
	return t
}

// jsonLine redacts secret-looking keys of a JSON line at any depth, then
// scrubs it as text. A line that is not JSON is only scrubbed as text.
func (s *scrubber) jsonLine(line string) string {
	dec := json.NewDecoder(strings.NewReader(line))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err == nil && !dec.More() {
		if b, err := marshalPlain(redactJSON(v)); err == nil {
			line = string(b)
		}
	}
	return s.text(line)
}

// marshalPlain is json.Marshal without HTML escaping, so form bodies keep
// their & and the text scrubbing still sees key=value pairs.
func marshalPlain(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(b.Bytes(), "\n"), nil
}

func redactJSON(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if looksSecretKey(k) {
				if val != nil && val != "" {
					x[k] = secret.Redacted
				}
				continue
			}
			x[k] = redactJSON(val)
		}
	case []any:
		for i := range x {
			x[i] = redactJSON(x[i])
		}
	case string:
		// A frame kept as text may itself be JSON (a capture's "frame").
		t := strings.TrimSpace(x)
		if len(t) > 1 && (t[0] == '{' || t[0] == '[') {
			dec := json.NewDecoder(strings.NewReader(t))
			dec.UseNumber()
			var inner any
			if dec.Decode(&inner) == nil && !dec.More() {
				if b, err := marshalPlain(redactJSON(inner)); err == nil {
					return string(b)
				}
			}
		}
	}
	return v
}

var secretKeyParts = []string{"token", "password", "passwd", "secret", "authorization", "bearer", "jwt", "cookie", "apikey", "api_key", "streamkey", "stream_key"}

func looksSecretKey(k string) bool {
	k = strings.ToLower(k)
	for _, p := range secretKeyParts {
		if strings.Contains(k, p) {
			return true
		}
	}
	return false
}

package bridge

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/picarto-bridge/picarto-bridge/actions"
	"github.com/picarto-bridge/picarto-bridge/internal/outbox"
	"github.com/picarto-bridge/picarto-bridge/internal/secret"
)

const (
	rRefresh    = "refresh-SECRET-rep-11aa22"
	rAlertToken = "alerttok-SECRET-rep-33bb44"
	rJWT        = "jwt-SECRET-rep-55cc66"
	rFormPass   = "formpass-SECRET-rep-77dd88"
)

// unzipAll returns every member of a zip by name.
func unzipAll(t *testing.T, b []byte) map[string]string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		out[f.Name] = string(body)
	}
	return out
}

func writeFile(t *testing.T, path, body string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
}

// plantData fills the data directory as a bridge that ran would: a queue
// with entries, a log file, capture files; each with secrets that must not
// reach the report.
func plantData(t *testing.T, dir string) {
	t.Helper()
	st, err := outbox.Open(filepath.Join(dir, "bridge.db"), outbox.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, _, err := st.Append(context.Background(), fmt.Sprintf("k%d", i), []byte(`{}`), time.Now(), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	var log strings.Builder
	for i := range 2000 {
		fmt.Fprintf(&log, "time=2026-01-01T00:00:00Z level=INFO msg=\"line %d\"\n", i)
	}
	// Leaks a careless log line could hold: each must be scrubbed.
	fmt.Fprintf(&log, "level=DEBUG msg=\"dial\" url=\"wss://chat.picarto.tv/bot/username=webartist&password=%s\"\n", wChatToken)
	fmt.Fprintf(&log, "level=DEBUG msg=\"request\" header=\"Authorization: Bearer %s\"\n", wBearer)
	fmt.Fprintf(&log, "level=DEBUG msg=\"echo\" value=%s pw=%s\n", wClientSecret, wSBPassword)
	writeFile(t, filepath.Join(dir, "logs", "picarto-bridge.log"), log.String())

	var chat strings.Builder
	for i := range 80 {
		frame, _ := json.Marshal(map[string]any{"t": "odd", "n": i})
		rec, _ := json.Marshal(map[string]any{"at": time.Now().UTC(), "source": "chat", "decoded": false, "frame": string(frame)})
		chat.Write(append(rec, '\n'))
	}
	rec, _ := json.Marshal(map[string]any{"source": "chat", "decoded": false,
		"frame": `{"t":"authentication","token":"` + rJWT + `"}`})
	chat.Write(append(rec, '\n'))
	writeFile(t, filepath.Join(dir, "captures", "chat.jsonl"), chat.String())

	alerts := fmt.Sprintf(`{"source":"alerts","decoded":true,"frame":"{\"type\":\"follow\",\"name\":\"Fan\"}"}
{"source":"alerts","decoded":false,"frame":"hello","auth":{"accessToken":%q,"jwt":%q}}
not json at all token=%s
{"source":"webhook","decoded":false,"frame":"user=Fan&password=%s&type=follow"}
`, rAlertToken, rJWT, rAlertToken, rFormPass)
	writeFile(t, filepath.Join(dir, "captures", "alerts.jsonl"), alerts)
}

func TestReportHoldsNoSecret(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{bearer: true, sbPassword: wSBPassword, chatToken: wChatToken})
	w.sb.SetGlobal(actions.GlobalRefreshToken, rRefresh, true)
	w.cfg.Bearer = secret.Secret(wOtherBearer) // PICARTO_BEARER, a fallback
	w.cfg.LogFile = ""
	plantData(t, w.cfg.DataDir)

	var buf bytes.Buffer
	if err := Report(context.Background(), w.cfg, &buf, ReportOptions{Version: "v9.9.9-test", DoctorTimeout: 2 * time.Second}); err != nil {
		t.Fatal(err)
	}
	files := unzipAll(t, buf.Bytes())
	all := append(wSecrets, rRefresh, rAlertToken, rJWT, rFormPass)
	for name, body := range files {
		assertNoSecret(t, "report member "+name, body, all...)
	}
	for _, name := range []string{"README.txt", "summary.txt", "config.txt", "doctor.txt", "globals.txt", "queue.txt",
		"logs/picarto-bridge.log", "captures/chat.jsonl", "captures/alerts.jsonl"} {
		if _, ok := files[name]; !ok {
			t.Errorf("report lacks %s (has %v)", name, keys(files))
		}
	}
	checks := map[string][]string{
		"summary.txt": {"picarto-bridge v9.9.9-test", "/"},
		"config.txt":  {"SB_WS_PASSWORD=REDACTED", "PICARTO_BEARER=REDACTED", "BRIDGE_PORT=", "SB_WS_URL=" + w.sb.URL()},
		"doctor.txt":  {"ok   Streamer.bot reachable", "ok   Picarto chat accepted"},
		"globals.txt": {"picartoBearer = REDACTED", "picartoRefreshToken = REDACTED", "picartoClientToken = REDACTED",
			"picartoChannelToken = REDACTED", "picartoChannelName = " + wChannel, "picartoClientID = " + wClientID},
		"queue.txt":               {"waiting for Streamer.bot: 3", "dedup keys remembered: 3"},
		"logs/picarto-bridge.log": {"line 1999", "password=REDACTED", "Bearer REDACTED"},
		"captures/alerts.jsonl":   {`"accessToken":"REDACTED"`, "not json at all token=REDACTED", "password=REDACTED"},
	}
	for name, wants := range checks {
		for _, want := range wants {
			if !strings.Contains(files[name], want) {
				t.Errorf("%s lacks %q:\n%s", name, want, files[name])
			}
		}
	}
	if n := strings.Count(files["captures/chat.jsonl"], "\n"); n != reportCaptureLines {
		t.Errorf("captures/chat.jsonl has %d lines, want the last %d", n, reportCaptureLines)
	}
	if strings.Contains(files["captures/alerts.jsonl"], `"source":"webhook","decoded":true`) {
		t.Error("decoded non-alert records kept")
	}
}

func TestReportWithEverythingUnreachable(t *testing.T) {
	t.Parallel()
	w := newWebWorld(t, worldOptions{})
	w.sb.Close()
	w.api.Close()
	w.cfg.Bearer = secret.Secret(wBearer)
	w.cfg.SBPassword = secret.Secret(wSBPassword)
	w.cfg.LogFile = filepath.Join(t.TempDir(), "bridge.log")
	writeFile(t, w.cfg.LogFile, "level=INFO msg=hello secret="+wBearer+"\n")

	start := time.Now()
	var buf bytes.Buffer
	if err := Report(context.Background(), w.cfg, &buf, ReportOptions{Version: "v0", DoctorTimeout: time.Second}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 15*time.Second {
		t.Errorf("report took %v with everything down", d)
	}
	files := unzipAll(t, buf.Bytes())
	for name, body := range files {
		assertNoSecret(t, "report member "+name, body, wSecrets...)
	}
	if !strings.Contains(files["doctor.txt"], "FAIL Streamer.bot not reachable") {
		t.Errorf("doctor.txt:\n%s", files["doctor.txt"])
	}
	if !strings.Contains(files["globals.txt"], "could not be read") || !strings.Contains(files["queue.txt"], "No event queue") {
		t.Errorf("globals.txt %q, queue.txt %q", files["globals.txt"], files["queue.txt"])
	}
	if !strings.Contains(files["logs/bridge.log"], "msg=hello") {
		t.Errorf("BRIDGE_LOG_FILE not included: %v", keys(files))
	}
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestScrubber(t *testing.T) {
	sc := newScrubber([]string{"Bearer abcdefgh1234", "", "xy"})
	for in, want := range map[string]string{
		"token abcdefgh1234 here":          "token REDACTED here",
		"xy stays (too short to search)":   "xy stays (too short to search)",
		`{"refresh_token":"zzz\"q","n":1}`: `{"refresh_token":"REDACTED","n":1}`,
		"a=1&client_secret=s3cr3t&b=2":     "a=1&client_secret=REDACTED&b=2",
		"Authorization: bearer qwertyuiop": "Authorization: bearer REDACTED",
	} {
		if got := sc.text(in); got != want {
			t.Errorf("text(%q) = %q, want %q", in, got, want)
		}
	}
	if got := sc.jsonLine(`{"a":{"streamKey":"k-1","list":[{"password":"p"}]},"n":12345678901234567890}`); got != `{"a":{"list":[{"password":"REDACTED"}],"streamKey":"REDACTED"},"n":12345678901234567890}` {
		t.Errorf("jsonLine = %s", got)
	}
}

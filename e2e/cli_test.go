package e2e

import (
	"archive/zip"
	"io"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestVersionAndHelpExit0(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	for _, args := range [][]string{{"version"}, {"--help"}} {
		p := e.start(args...)
		if code := p.wait(t, 10*time.Second); code != 0 {
			t.Fatalf("%v exit %d, want 0", args, code)
		}
		if !strings.Contains(p.output(), "picarto-bridge") {
			t.Fatalf("%v printed %q", args, p.output())
		}
	}
}

func TestDoctorSaysWhatIsWrong(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{})
	if err := e.sb.Stop(); err != nil {
		t.Fatal(err)
	}
	p := e.start("doctor")
	if code := p.wait(t, 60*time.Second); code != 1 {
		t.Fatalf("doctor exit %d with Streamer.bot down, want 1:\n%s", code, p.output())
	}
	if !strings.Contains(p.output(), "SB_WS_URL") {
		t.Fatalf("doctor does not say which setting to check:\n%s", p.output())
	}
}

func TestReportHasNoSecrets(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{sbPassword: sbPassword})
	e.extra["SB_WS_PASSWORD"] = sbPassword
	e.extra["PICARTO_BEARER"] = bearer
	out := filepath.Join(t.TempDir(), "report.zip")
	p := e.start("report", "--out", out)
	if code := p.wait(t, 60*time.Second); code != 0 {
		t.Fatalf("report exit %d:\n%s", code, p.output())
	}
	zr, err := zip.OpenReader(out)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	if len(zr.File) == 0 {
		t.Fatal("empty report")
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(rc)
		rc.Close()
		for _, s := range secrets {
			if strings.Contains(string(b), s) {
				t.Errorf("%s contains a secret (%s...)", f.Name, s[:6])
			}
		}
	}
}

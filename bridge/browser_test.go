package bridge

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/picarto-bridge/picarto-bridge/actions"
)

const chromiumPath = "/usr/bin/chromium"

// TestBrowserSignInAndTestFollow drives the status page in headless
// Chromium: "Connect Picarto" through the fake Picarto's authorize page and
// back, Picarto shown connected, then "Send test follow" reaches the fake
// Streamer.bot as Process Picarto Follow with isTest true.
func TestBrowserSignInAndTestFollow(t *testing.T) {
	if _, err := os.Stat(chromiumPath); err != nil {
		t.Skipf("headless Chromium not installed at %s (apt-get install chromium; scripts/test.sh does it as root): %v", chromiumPath, err)
	}
	t.Parallel()
	w := newWebWorld(t, worldOptions{})
	w.startBridge()
	w.waitFor(10*time.Second, "the Connect Picarto button", func() bool {
		return strings.Contains(w.page(), `id="connect-picarto"`)
	})

	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx,
		chromedp.ExecPath(chromiumPath),
		chromedp.Flag("headless", true),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.Flag("disable-quic", true),
		chromedp.NoFirstRun,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1000, 1300),
	)
	defer cancelAlloc()
	browser, cancelBrowser := chromedp.NewContext(alloc, chromedp.WithErrorf(t.Logf))
	defer cancelBrowser()

	page := w.base() + "/"
	if err := chromedp.Do(browser,
		chromedp.Navigate(page),
		chromedp.WaitVisible(chromedp.ID("connect-picarto")),
	); err != nil {
		t.Fatalf("load the status page: %v", err)
	}
	before, err := chromedp.Run(browser, chromedp.Text(chromedp.ID("state-picarto")))
	if err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(before, "connected") {
		t.Fatalf("Picarto shown %q before signing in", before)
	}

	// Connect Picarto: the form posts, the bridge redirects to the fake's
	// authorize page, which approves and redirects to the callback on
	// localhost, which lands on the status page.
	if err := chromedp.Do(browser,
		chromedp.Click(chromedp.ID("connect-picarto")),
		chromedp.WaitVisible(chromedp.ID("done")),
	); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	landed, err := chromedp.Run(browser, chromedp.Location())
	if err != nil {
		t.Fatal(err)
	}
	done, err := chromedp.Run(browser, chromedp.Text(chromedp.ID("done")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(landed, "http://localhost:") || !strings.Contains(done, "Signed in with Picarto") {
		t.Fatalf("after sign-in at %s: %q", landed, done)
	}
	w.waitFor(15*time.Second, "the page to show Picarto connected", func() bool {
		if err := chromedp.Do(browser, chromedp.Navigate(page)); err != nil {
			t.Fatalf("reload: %v", err)
		}
		state, err := chromedp.Run(browser, chromedp.Text(chromedp.ID("state-picarto")))
		if err != nil {
			t.Fatalf("read the Picarto state: %v", err)
		}
		return strings.HasPrefix(state, "connected")
	})
	if w.global(actions.GlobalBearer) == "" || w.global(actions.GlobalRefreshToken) == "" {
		t.Fatal("the tokens are not in Streamer.bot")
	}
	shot(t, browser, "signed-in.png")

	follow := actions.ActionName(actions.KindFollow)
	if err := chromedp.Do(browser,
		chromedp.Click(chromedp.ID("test-follow")),
		chromedp.WaitVisible(chromedp.ID("done")),
	); err != nil {
		t.Fatalf("send test follow: %v", err)
	}
	w.waitFor(10*time.Second, "Process Picarto Follow with isTest", func() bool {
		for _, r := range w.sb.ActionRuns() {
			if r.Name == follow && r.Args["isTest"] == true {
				return true
			}
		}
		return false
	})
	if err := chromedp.Do(browser, chromedp.Navigate(page)); err != nil {
		t.Fatal(err)
	}
	html, err := chromedp.Run(browser, chromedp.OuterHTML(chromedp.CSS("html")))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html, "follow (test)") {
		t.Error("the test follow is not among the last events")
	}
	assertNoSecret(t, "status page", html, w.global(actions.GlobalBearer), w.global(actions.GlobalRefreshToken), wClientSecret)
	shot(t, browser, "test-follow.png")
}

// shot saves a full-page screenshot in the test's artifact directory.
func shot(t *testing.T, browser context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(browser, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	path := filepath.Join(t.ArtifactDir(), name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
}

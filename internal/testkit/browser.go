package testkit

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	"github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Browser tests drive Debian's chromium, headless, through the DevTools
// protocol (chromedp). Each test gets a browser of its own (its own
// profile in t.TempDir()), so they run in parallel.

// BrowserTimeout bounds everything one browser test does.
const BrowserTimeout = 90 * time.Second

// Browser starts a headless chromium for t and returns the context its
// chromedp actions run in; it stops when the test ends. The browser
// accepts the gateway's self-signed certificate. It skips when chromium
// is not installed, unless CI is set. It prefers Spanish, as the
// brokerage's users do; extra adds allocator options, which win, e.g.
// chromedp.Flag("accept-lang", "en-US,en").
func Browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	exe := chromium(t)
	opts := append(chromedp.DefaultExecAllocatorOptions[:], //nolint:gocritic // a copy: the array is a value
		chromedp.ExecPath(exe),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("ignore-certificate-errors", true),
		chromedp.Flag("accept-lang", "es-MX,es"),
		chromedp.WindowSize(1100, 760),
	)
	if os.Geteuid() == 0 { // CI runs as root, where chromium's sandbox cannot start
		opts = append(opts, chromedp.NoSandbox)
	}
	opts = append(opts, extra...)
	ctx, cancel := context.WithTimeout(context.Background(), BrowserTimeout)
	actx, acancel := chromedp.NewExecAllocator(ctx, opts...)
	bctx, bcancel := chromedp.NewContext(actx, chromedp.WithErrorf(t.Logf))
	t.Cleanup(func() {
		bcancel()
		acancel()
		cancel()
	})
	if err := chromedp.Do(bctx); err != nil { // starts the browser
		t.Fatalf("chromium did not start: %v", err)
	}
	return bctx
}

// chromium finds the browser: Debian's /usr/bin/chromium, else one on
// PATH.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") != "" {
		t.Fatal("chromium is not installed, and CI is set: .ci/run must install it")
	}
	t.Skip("skipping: chromium is not installed (apt-get install chromium)")
	return ""
}

// Load runs act, which must make the page load another one (a click on a
// link or a button, a form's submit), and waits until that page has
// loaded. A query run right after a click that navigates may otherwise
// look at the page that is going away, and wait for ever.
func Load(ctx context.Context, act chromedp.Action[chromedp.Void]) chromedp.Action[chromedp.Void] {
	return func(_ context.Context, _ *chromedp.Target) (chromedp.Void, error) {
		wait, cancel := context.WithTimeout(ctx, 30*time.Second)
		defer cancel()
		loaded := chromedp.Events(wait, page.LoadEventFired) // subscribed before act: nothing is missed
		if err := chromedp.Do(ctx, act); err != nil {
			return chromedp.Void{}, err
		}
		for _, err := range loaded {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, fmt.Errorf("no page loaded within 30s: %w", wait.Err())
	}
}

// ConsoleLogin opens the admin console's login form in the browser, logs
// in as user with password and waits for the page it leads to (the
// dashboard, when the login succeeds).
func ConsoleLogin(ctx context.Context, tg *Gateway, user, password string) error {
	return chromedp.Do(ctx,
		chromedp.Navigate(tg.ConsoleURL()+"login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), password),
		Load(ctx, chromedp.Submit(chromedp.CSS(`input[name="password"]`))),
	)
}

// Download runs click, which must make the browser download one file,
// waits for the download to complete, and returns its content. The
// browser saves it into a temporary dir of the test.
func Download(t *testing.T, ctx context.Context, click chromedp.Action[chromedp.Void]) []byte {
	t.Helper()
	dir := t.TempDir()
	wait, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	// Subscribed before the click, so nothing is missed; the subscription
	// ends with wait.
	progress := chromedp.Events(wait, browser.DownloadProgress)
	err := chromedp.Do(ctx,
		chromedp.Func(func(ctx context.Context, _ *chromedp.Target) error {
			events := true
			_, err := chromedp.Call(ctx, browser.SetDownloadBehavior, browser.SetDownloadBehaviorParams{
				Behavior: browser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: dir, EventsEnabled: &events,
			})
			return err
		}),
		click,
	)
	if err != nil {
		t.Fatalf("the download did not start: %v", err)
	}
	for ev, err := range progress {
		if err != nil {
			t.Fatalf("no download completed within 30s: %v", err)
		}
		switch ev.State {
		case browser.DownloadProgressStateCanceled:
			t.Fatal("the browser canceled the download")
		case browser.DownloadProgressStateCompleted:
			b, err := os.ReadFile(filepath.Join(dir, ev.GUID))
			if err != nil {
				t.Fatalf("the completed download is not on disk: %v", err)
			}
			return b
		}
	}
	t.Fatal("the browser's events ended before the download completed")
	return nil
}

// Screenshot saves the page as docs/screenshots/<name>.png in the
// repository when CUSTODIA_SCREENSHOTS=1, for the README; otherwise it
// does nothing.
func Screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	if os.Getenv("CUSTODIA_SCREENSHOTS") != "1" {
		return
	}
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	_, self, _, _ := runtime.Caller(0)
	dir := filepath.Join(filepath.Dir(self), "..", "..", "docs", "screenshots")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// Step runs a step in the browser, within 30 s; when it fails, the test
// fails with the page the browser shows and the last audit rows.
func Step(t *testing.T, tg *Gateway, ctx context.Context, what string, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	err := chromedp.Do(sctx, actions...)
	cancel()
	if err != nil {
		loc, _ := chromedp.Run(ctx, chromedp.Location())
		html, _ := chromedp.Run(ctx, chromedp.OuterHTML(chromedp.CSS("body")))
		t.Fatalf("%s: %v\nthe browser shows %s:\n%s\naudit:\n%s", what, err, loc, html, tg.AuditLog("", 20))
	}
}

// PortalLogin logs user (with Password) in to the portal through its
// login form, and waits for the first page.
func PortalLogin(t *testing.T, tg *Gateway, ctx context.Context, user string) {
	t.Helper()
	Step(t, tg, ctx, "log in to the portal as "+user,
		chromedp.Navigate(tg.WebURL()+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), user),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), Password),
		Load(ctx, chromedp.Submit(chromedp.CSS(`input[name="password"]`))),
		chromedp.WaitVisible(chromedp.CSS(`form.logout button`)),
	)
}

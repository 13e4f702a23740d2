package web_test

import (
	"bytes"
	"crypto/rand"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/internal/testkit"
)

// browse fails the test when a read from the browser (what) failed.
func browse(t *testing.T, what string, err error) {
	t.Helper()
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// A client in a real browser: logs in, finds a PDF by its pedimento
// number, downloads it (the bytes the publisher uploaded over SFTP), is
// kicked, and logs out. With CUSTODIA_SCREENSHOTS=1 it saves the README's
// screenshots.
func TestBrowserClientFindsAndDownloadsPDF(t *testing.T) {
	t.Parallel()
	tg := start(t)
	pdf := append([]byte("%PDF-1.4\n"), make([]byte, 200<<10)...)
	rand.Read(pdf[9:])
	pub := tg.SFTP("pub")
	for _, dir := range []string{"/ACME/2026/05", "/ACME/2025/12"} {
		if err := pub.MkdirAll(dir); err != nil {
			t.Fatalf("publisher mkdir %s: %v", dir, err)
		}
	}
	put := func(name string, data []byte) {
		f, err := pub.Create(name)
		if err != nil {
			t.Fatalf("publisher create %s: %v", name, err)
		}
		if _, err := f.Write(data); err != nil {
			t.Fatalf("publisher write %s: %v", name, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("publisher close %s: %v", name, err)
		}
	}
	const wanted = "pedimento 26-24-3456-6001234.pdf"
	put("/ACME/2026/05/"+wanted, pdf)
	put("/ACME/2026/05/pedimento 26-24-3456-6001235.pdf", []byte("%PDF-1.4 other"))
	put("/ACME/2025/12/factura A-1001.pdf", []byte("%PDF-1.4 factura"))

	ctx := testkit.Browser(t)
	testkit.Step(t, tg, ctx, "open the login page",
		chromedp.Navigate(tg.WebURL()+"/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
	)
	if lang, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang")); lang.Value != "es" {
		t.Errorf("the login page's language is %q, want es", lang.Value)
	}
	testkit.Screenshot(t, ctx, "login")
	testkit.Step(t, tg, ctx, "log in as carla",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "carla"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testkit.Password),
		testkit.Load(ctx, chromedp.Submit(chromedp.CSS(`input[name="password"]`))),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/f/ACME/"]`)),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`a[href="/f/ACME/"]`))),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/f/ACME/2026/"]`)),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`a[href="/f/ACME/2026/"]`))),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/f/ACME/2026/05/"]`)),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`a[href="/f/ACME/2026/05/"]`))),
		chromedp.WaitVisible(chromedp.CSS(`a.download`)),
	)
	testkit.Screenshot(t, ctx, "folder")

	testkit.Step(t, tg, ctx, "search the pedimento number",
		chromedp.Navigate(tg.WebURL()+"/f/ACME/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="q"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="q"]`), "6001234"),
		testkit.Load(ctx, chromedp.Submit(chromedp.CSS(`input[name="q"]`))),
		chromedp.WaitVisible(chromedp.CSS(`a.download`)),
	)
	results, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("table.files tbody")))
	browse(t, "read the results", err)
	if !strings.Contains(results, wanted) || strings.Contains(results, "6001235") || strings.Contains(results, "factura") {
		t.Errorf("the search for 6001234 shows:\n%s", results)
	}
	testkit.Screenshot(t, ctx, "search")

	got := testkit.Download(t, ctx, chromedp.Click(chromedp.CSS(`a.download`)))
	if !bytes.Equal(got, pdf) {
		t.Errorf("the PDF downloaded in the browser (%d bytes) is not the one uploaded over SFTP (%d bytes)", len(got), len(pdf))
	}

	// Kicked: the next page is the login form.
	for _, s := range tg.Server.Core().Sessions() {
		if s.Protocol == "web" && s.User == "carla" {
			tg.Server.Core().Kick(s.ID)
		}
	}
	testkit.Step(t, tg, ctx, "a page after the kick",
		chromedp.Navigate(tg.WebURL()+"/f/ACME/2026/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
	)
	if loc, _ := chromedp.Run(ctx, chromedp.Location()); !strings.HasSuffix(loc, "/login") {
		t.Errorf("after a kick the browser is at %s, want /login", loc)
	}

	// Log in again, and out with the button.
	testkit.Step(t, tg, ctx, "log in again",
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "carla"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testkit.Password),
		testkit.Load(ctx, chromedp.Submit(chromedp.CSS(`input[name="password"]`))),
		chromedp.WaitVisible(chromedp.CSS(`form.logout button`)),
	)
	testkit.Step(t, tg, ctx, "log out",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`form.logout button`))),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
	)
	testkit.Step(t, tg, ctx, "a page after logging out",
		chromedp.Navigate(tg.WebURL()+"/f/ACME/"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
	)
	if n := len(webSessions(tg, "carla")); n != 0 {
		t.Errorf("after logging out in the browser carla has %d portal sessions", n)
	}
}

// The browser's language picks the pages': English when it prefers it.
func TestBrowserEnglish(t *testing.T) {
	t.Parallel()
	tg := start(t)
	ctx := testkit.Browser(t, chromedp.Flag("accept-lang", "en-US,en"))
	testkit.Step(t, tg, ctx, "open the login page",
		chromedp.Navigate(tg.WebURL()+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
	)
	label, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`label[for="password"]`)))
	browse(t, "read the label", err)
	lang, _ := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS("html"), "lang"))
	if label != "Password" || lang.Value != "en" {
		t.Errorf("with Accept-Language en the password label is %q and lang %q", label, lang.Value)
	}
}

package admin_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/internal/testkit"
)

// An admin in a real browser over the plain-HTTP loopback listener: the
// session cookie works there, the dashboard counts ana's live SFTP
// session and draws a week of audit rows, and logging out ends the
// console session.
func TestBrowserConsoleDashboard(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.OnSQLite) // fillAudit writes custodia.db
	tg.Fixture()
	ana := tg.SFTP("ana")
	if _, err := ana.Getwd(); err != nil {
		t.Fatalf("ana's SFTP session: %v", err)
	}
	fillAudit(t, tg, 3000) // a week of activity for the charts
	ctx := testkit.Browser(t)
	testkit.Step(t, tg, ctx, "an anonymous visit goes to the login form",
		chromedp.Navigate(tg.ConsoleURL()),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
	)
	testkit.Screenshot(t, ctx, "console-login")
	if err := testkit.ConsoleLogin(ctx, tg, "sys", testkit.Password); err != nil {
		t.Fatalf("sys logs in to the console: %v", err)
	}
	testkit.Step(t, tg, ctx, "the dashboard counts ana's SFTP session",
		chromedp.WaitVisible(chromedp.CSS(`#live tr[data-protocol="sftp"]`)),
	)
	sftp, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#live tr[data-protocol="sftp"] td.num`)))
	if err != nil || strings.TrimSpace(sftp) != "1" {
		t.Errorf("the dashboard counts %q SFTP sessions (err %v), want 1", sftp, err)
	}
	nav, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`header nav`)))
	if !strings.Contains(nav, "Tablero") {
		t.Errorf("the navigation bar reads %q, want Tablero in it", nav)
	}
	testkit.Step(t, tg, ctx, "the dashboard draws the week's charts",
		chromedp.WaitVisible(chromedp.CSS(`#volume svg rect`)),
		chromedp.WaitVisible(chromedp.CSS(`#logins svg rect`)),
		chromedp.WaitVisible(chromedp.CSS(`#today tbody tr`)),
	)
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("#volume svg rect").length`))
	if err != nil || bars < 100 {
		t.Errorf("the volume chart draws %d bars (err %v), want one or more for most of the week's hours", bars, err)
	}
	width, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.querySelector("#volume svg").getBoundingClientRect().width`))
	if err != nil || width < 300 {
		t.Errorf("the volume chart is %v px wide (err %v): the style sheet does not size it", width, err)
	}
	testkit.Screenshot(t, ctx, "console-dashboard")
	testkit.Step(t, tg, ctx, "log out",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`form.logout button`))),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
	)
	for _, s := range tg.Server.Core().Sessions() {
		if s.User == "sys" {
			t.Errorf("after logging out in the browser sys still has a session: %+v", s)
		}
	}
	testkit.Step(t, tg, ctx, "the dashboard after logging out is the login form",
		chromedp.Navigate(tg.ConsoleURL()),
		chromedp.WaitVisible(chromedp.CSS(`input[name="password"]`)),
	)
}

package admin_test

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// An admin in a real browser runs a backup job from the console: the
// click answers at once with the page, which shows the run; once the run
// is done a reload shows it ok, as the job's last run.
func TestBrowserConsoleRunBackup(t *testing.T) {
	t.Parallel()
	tg, _ := startBackups(t)
	dep, err := tg.Server.Backups().Run(t.Context(), "departments", "full")
	if err != nil {
		t.Fatal(err)
	}
	req, err := tg.Server.Backups().Request(t.Context(), dep.ID, "/departments/trafico", "guía sobrescrita", "tomas", "sys")
	if err != nil {
		t.Fatal(err)
	}
	ctx := testkit.Browser(t)
	if err := testkit.ConsoleLogin(ctx, tg, "sys", testkit.Password); err != nil {
		t.Fatalf("sys logs in to the console: %v", err)
	}
	testkit.Step(t, tg, ctx, "open the backups page from the navigation bar",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`header nav a[href="/admin/backups"]`))),
		chromedp.WaitVisible(chromedp.CSS(`#jobs tr[data-job="database"] button`)),
	)
	testkit.Step(t, tg, ctx, "run the database job now",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`#jobs tr[data-job="database"] button`))),
		chromedp.WaitVisible(chromedp.CSS(`#outcome`)),
	)
	about, err := chromedp.Run(ctx, chromedp.AttributeValue(chromedp.CSS(`#outcome`), "data-about"))
	id := about.Value
	if err != nil || !strings.HasPrefix(id, "database-") {
		t.Fatalf("the page after run now is about %q (%v), want a database backup", id, err)
	}
	testkit.Step(t, tg, ctx, "the page shows the run",
		chromedp.WaitVisible(chromedp.CSS(`#runs tr[data-backup="`+id+`"]`)),
	)
	if b := waitBackup(t, tg, id); b.Status != store.BackupOK {
		t.Fatalf("the run ended %s: %s", b.Status, b.Error)
	}
	testkit.Step(t, tg, ctx, "after a reload the run is ok, and the job's last run",
		testkit.Load(ctx, chromedp.Reload()),
		chromedp.WaitVisible(chromedp.CSS(`#runs tr[data-backup="`+id+`"][data-status="ok"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#jobs tr[data-job="database"] td.last .status[data-status="ok"]`)),
	)
	testkit.Step(t, tg, ctx, "tomas's restore request waits for a manager's approval",
		chromedp.WaitVisible(chromedp.CSS(`#restores tr[data-request="`+req.ID+`"][data-status="requested"] + tr[data-decide="`+req.ID+`"] form.approve input[type="password"]`)),
	)
	testkit.Screenshot(t, ctx, "console-backups")
	// The dashboard shows the run as the job's last, and a configured
	// job that never ran as such.
	testkit.Step(t, tg, ctx, "the dashboard shows the database job's run",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`header nav a[href="/admin/"]`))),
		chromedp.WaitVisible(chromedp.CSS(`#backups tr[data-job="database"][data-status="ok"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#backups tr[data-job="dossiers"][data-status=""]`)),
	)
}

package admin_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// sys creates a correspondent of ACME with a generated password in a real
// browser and downloads the credential letter; the letter names the user
// and the portal, and its password logs in to the portal.
func TestBrowserConsoleUsersCreateCorrespondent(t *testing.T) {
	t.Parallel()
	testkit.NeedPdftotext(t) // skip before the work, not at its end
	tg := testkit.Start(t)
	tg.Fixture()
	ctx := testkit.Browser(t)
	if err := testkit.ConsoleLogin(ctx, tg, "sys", testkit.Password); err != nil {
		t.Fatalf("sys logs in to the console: %v", err)
	}
	testkit.Step(t, tg, ctx, "open the users' list and the new-user form",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`header nav a[href="/admin/users"]`))),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="juan"]`)),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`a[href="/admin/users/new"]`))),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
	)
	testkit.Step(t, tg, ctx, "fill in a correspondent of ACME with a generated password and create it",
		chromedp.SendKeys(chromedp.CSS(`#username`), "corresponsal"),
		chromedp.SetValue(chromedp.CSS(`#role`), "correspondent"),
		chromedp.SendKeys(chromedp.CSS(`#clients`), "ACME"),
		chromedp.Click(chromedp.CSS(`#login-password`)),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`form.form button[type="submit"]`))),
		chromedp.WaitVisible(chromedp.CSS(`#letter button[value="password"]`)),
	)
	notice, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`p.notice`)))
	if !strings.Contains(notice, "Usuario creado") {
		t.Errorf("after the create the page says %q, want that the user was created", notice)
	}
	u, err := tg.Store().UserByName(context.Background(), "corresponsal")
	if err != nil || u.Role != store.RoleCorrespondent || len(u.Clients) != 1 || u.Clients[0] != "ACME" {
		t.Fatalf("the created user: %+v, %v", u, err)
	}
	pdf := testkit.Download(t, ctx, chromedp.Click(chromedp.CSS(`#letter button[value="password"]`)))
	txt := testkit.PDFText(t, pdf, false)
	if !strings.Contains(txt, "corresponsal") || !strings.Contains(txt, tg.WebURL()) {
		t.Errorf("the letter does not name the user and the portal %s:\n%s", tg.WebURL(), txt)
	}
	pw := letterPassword(t, txt)
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	if strings.Contains(loc, pw) {
		t.Errorf("the browser's address %s carries the password", loc)
	}
	if resp, _ := tg.Web().Login("corresponsal", pw); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the correspondent's login to the portal with the letter's password: %d", resp.StatusCode)
	}
}

// ana has a live SFTP session; sys disables her in the browser; the
// session ends at once and the console shows her disabled.
func TestBrowserConsoleUsersDisable(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	ana := tg.SFTP("ana")
	if _, err := ana.ReadDir("/"); err != nil {
		t.Fatalf("ana's SFTP session: %v", err)
	}
	ctx := testkit.Browser(t)
	if err := testkit.ConsoleLogin(ctx, tg, "sys", testkit.Password); err != nil {
		t.Fatalf("sys logs in to the console: %v", err)
	}
	testkit.Step(t, tg, ctx, "open ana's page from the list",
		chromedp.Navigate(tg.ConsoleURL()+"users"),
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`#users tr[data-user="ana"] a`))),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-status="active"]`)),
	)
	testkit.Step(t, tg, ctx, "disable ana",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`#access button[value="disabled"]`))),
		chromedp.WaitVisible(chromedp.CSS(`#status[data-status="disabled"]`)),
	)
	if !testkit.Poll(5*time.Second, func() bool { _, err := ana.ReadDir("/"); return err != nil }) {
		t.Error("ana's SFTP session still works after she was disabled")
	}
	for _, s := range tg.Server.Core().Sessions() {
		if s.User == "ana" {
			t.Errorf("ana still has a live session: %+v", s)
		}
	}
	if _, err := tg.Dial("ana", testkit.Password); err == nil {
		t.Error("ana logs in again after she was disabled")
	}
	testkit.Step(t, tg, ctx, "the list shows ana disabled",
		chromedp.Navigate(tg.ConsoleURL()+"users?status=disabled"),
		chromedp.WaitVisible(chromedp.CSS(`#users tr.disabled[data-user="ana"]`)),
	)
	status, _ := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`#users tr[data-user="ana"] td.status`)))
	if strings.TrimSpace(status) != "Deshabilitado" {
		t.Errorf("the list shows ana as %q, want Deshabilitado", status)
	}
	testkit.Step(t, tg, ctx, "the whole list, for the picture",
		chromedp.Navigate(tg.ConsoleURL()+"users"),
		chromedp.WaitVisible(chromedp.CSS(`#users tr[data-user="ana"]`)),
	)
	testkit.Screenshot(t, ctx, "console-users")
}

package web_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/chromedp/chromedp"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// startBackups is a portal whose gateway makes backups (to a key the
// test throws away) and lets any manager approve, however new: the
// fixture's accounts are made by the test.
func startBackups(t *testing.T) *testkit.Gateway {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return start(t, "CUSTODIA_BACKUP_RECIPIENTS="+id.Recipient().String(), "CUSTODIA_BACKUP_APPROVER_MIN_AGE=0")
}

// restoreRequest backs up the departments and files, as the admin sys, a
// request to restore path for requester; it returns the request's id.
func restoreRequest(t *testing.T, tg *testkit.Gateway, path, requester string) string {
	t.Helper()
	ctx := context.Background()
	b, err := tg.Server.Backups().Run(ctx, "departments", backup.Full)
	if err != nil {
		t.Fatalf("backup of the departments: %v", err)
	}
	q, err := tg.Server.Backups().Request(ctx, b.ID, path, "se borró la guía de embarque", requester, "sys")
	if err != nil {
		t.Fatalf("restore request of %s for %s: %v", path, requester, err)
	}
	return q.ID
}

// restoreOf is a request as the store has it now.
func restoreOf(t *testing.T, tg *testkit.Gateway, id string) store.RestoreRequest {
	t.Helper()
	q, err := tg.Store().RestoreRequestByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return q
}

// decide posts a decision on a request as a page of the portal would.
func decide(c *testkit.WebClient, tok, id, decision, password, note string) (*http.Response, string) {
	form := url.Values{"decision": {decision}, "password": {password}, "note": {note}}
	if tok != "" {
		form.Set("csrf", tok)
	}
	return c.Post("/approvals/"+id, form)
}

// lastRow is the newest audit row of user with action.
func lastRow(tg *testkit.Gateway, user, action string) (store.AuditEntry, bool) {
	rows := tg.Audit(user, 50)
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Action == action {
			return rows[i], true
		}
	}
	return store.AuditEntry{}, false
}

// A manager sees the request of their department, and approves it with
// their password: the store shows it approved by them, the password check
// is an "auth" row (not a login), and the request no longer waits.
func TestApprovalsApprove(t *testing.T) {
	t.Parallel()
	tg := startBackups(t)
	id := restoreRequest(t, tg, "/departments/trafico", "tomas")
	c, _ := loggedIn(t, tg, "mario")
	before := tg.Audit("mario", 50)
	resp, page := c.Get("/f/")
	if resp.StatusCode != 200 || !strings.Contains(page, `href="/approvals"`) {
		t.Errorf("mario's pages do not link to the approvals: %s\n%s", resp.Status, page)
	}
	resp, page = c.Get("/approvals")
	if resp.StatusCode != 200 {
		t.Fatalf("mario's approvals page: %s", resp.Status)
	}
	for _, want := range []string{id, "/departments/trafico", "tomas", "sys", "se borró la guía de embarque",
		restoreOf(t, tg, id).BackupID, `autocomplete="current-password"`} {
		if !strings.Contains(page, want) {
			t.Errorf("mario's approvals page does not show %q:\n%s", want, page)
		}
	}
	resp, page = decide(c, testkit.CSRF(page), id, "approve", testkit.Password, "")
	if resp.StatusCode != 200 || !strings.Contains(page, "Solicitud aprobada") {
		t.Errorf("mario's approval answered %s:\n%s", resp.Status, page)
	}
	if strings.Contains(page, `action="/approvals/`+id+`"`) {
		t.Errorf("the approved request is still offered for approval:\n%s", page)
	}
	if q := restoreOf(t, tg, id); q.Status != store.RestoreApproved || q.Approver != "mario" {
		t.Errorf("after mario's approval the request is %s by %q", q.Status, q.Approver)
	}
	auth, ok := lastRow(tg, "mario", "auth")
	if !ok || auth.Result != store.ResultOK || auth.Target != "backup.restore.approve" || auth.Protocol != "web" {
		t.Errorf("mario's approval password is not audited as an auth row: %+v", auth)
	}
	if after := tg.Audit("mario", 50); len(after) > 0 {
		for _, e := range after[len(before):] {
			if e.Action == "login" {
				t.Errorf("mario's approval password is audited as a login: %s", e.Text())
			}
		}
	}
	if row, ok := lastRow(tg, "mario", "backup.restore.approve"); !ok || row.Result != store.ResultOK || row.VPath != id {
		t.Errorf("the approval's audit row: %+v", row)
	}
	if resp, _ := decide(c, testkit.CSRF(page), id, "approve", testkit.Password, ""); resp.StatusCode != 404 {
		t.Errorf("approving a request already approved answered %s, want 404", resp.Status)
	}
}

// A wrong password changes nothing, says so, and is audited as a failed
// authentication (never with the password).
func TestApprovalsWrongPassword(t *testing.T) {
	t.Parallel()
	tg := startBackups(t)
	id := restoreRequest(t, tg, "/departments/trafico", "tomas")
	c, tok := loggedIn(t, tg, "mario")
	const wrong = "no-es-mi-clave-913"
	resp, page := decide(c, tok, id, "approve", wrong, "")
	if resp.StatusCode != 200 || !strings.Contains(page, "Contraseña incorrecta") || !strings.Contains(page, `role="alert"`) {
		t.Errorf("a wrong password answered %s:\n%s", resp.Status, page)
	}
	if !strings.Contains(page, `action="/approvals/`+id+`"`) {
		t.Errorf("after a wrong password the request is not offered again:\n%s", page)
	}
	if q := restoreOf(t, tg, id); q.Status != store.RestoreRequested {
		t.Errorf("after a wrong password the request is %s", q.Status)
	}
	row, ok := lastRow(tg, "mario", "auth")
	if !ok || row.Result != store.ResultFailed || row.Target != "backup.restore.approve" || !strings.Contains(row.Reason, "wrong password") {
		t.Errorf("the wrong password's audit row: %+v", row)
	}
	if log := tg.AuditLog("", 200) + tg.Log(); strings.Contains(log, wrong) {
		t.Error("the wrong password is in the audit trail or the log")
	}
	// A rejection with a wrong password changes nothing either.
	decide(c, tok, id, "reject", wrong, "no")
	if q := restoreOf(t, tg, id); q.Status != store.RestoreRequested {
		t.Errorf("after a rejection with a wrong password the request is %s", q.Status)
	}
}

// A decision without the CSRF token is refused, and changes nothing.
func TestApprovalsNeedCSRF(t *testing.T) {
	t.Parallel()
	tg := startBackups(t)
	id := restoreRequest(t, tg, "/departments/trafico", "tomas")
	c, tok := loggedIn(t, tg, "mario")
	if resp, _ := decide(c, "", id, "approve", testkit.Password, ""); resp.StatusCode != 403 {
		t.Errorf("an approval without the token answered %s, want 403", resp.Status)
	}
	if resp, _ := decide(c, tok+"x", id, "approve", testkit.Password, ""); resp.StatusCode != 403 {
		t.Errorf("an approval with a wrong token answered %s, want 403", resp.Status)
	}
	if q := restoreOf(t, tg, id); q.Status != store.RestoreRequested {
		t.Errorf("after the forged approvals the request is %s", q.Status)
	}
	if _, ok := lastRow(tg, "mario", "auth"); ok {
		t.Error("a forged approval had the password checked")
	}
}

// Staff have no approvals page: the same 404 as a missing page, and no
// link to it.
func TestApprovalsOnlyForManagers(t *testing.T) {
	t.Parallel()
	tg := startBackups(t)
	id := restoreRequest(t, tg, "/departments/operaciones", "ana")
	c, tok := loggedIn(t, tg, "ana")
	_, missing := c.Get("/no-such-page")
	resp, page := c.Get("/approvals")
	if resp.StatusCode != 404 || page != missing {
		t.Errorf("ana's /approvals answered %s, not the missing page's 404:\n%s", resp.Status, page)
	}
	if _, page := c.Get("/f/"); strings.Contains(page, "/approvals") {
		t.Errorf("ana's pages link to the approvals:\n%s", page)
	}
	if resp, _ := decide(c, tok, id, "approve", testkit.Password, ""); resp.StatusCode != 404 {
		t.Errorf("ana's approval answered %s, want 404", resp.Status)
	}
	if q := restoreOf(t, tg, id); q.Status != store.RestoreRequested {
		t.Errorf("after ana's approval the request is %s", q.Status)
	}
}

// A manager of another department neither sees the request nor can
// approve or reject it by posting its id: the same 404 as a request that
// does not exist, and nothing changes.
func TestApprovalsOtherDepartment(t *testing.T) {
	t.Parallel()
	tg := startBackups(t)
	tg.AddUser(store.NewUser{Name: "olga", Role: store.RoleManager, Department: "operaciones"})
	id := restoreRequest(t, tg, "/departments/trafico", "tomas")
	c, tok := loggedIn(t, tg, "olga")
	resp, page := c.Get("/approvals")
	if resp.StatusCode != 200 || strings.Contains(page, id) || strings.Contains(page, "/departments/trafico") {
		t.Errorf("olga's approvals page (%s) shows trafico's request:\n%s", resp.Status, page)
	}
	_, missing := decide(c, tok, "r-00000000", "approve", testkit.Password, "")
	for _, decision := range []string{"approve", "reject"} {
		resp, page := decide(c, tok, id, decision, testkit.Password, "no")
		if resp.StatusCode != 404 || page != missing {
			t.Errorf("olga's forged %s answered %s, not a missing request's 404:\n%s", decision, resp.Status, page)
		}
	}
	if q := restoreOf(t, tg, id); q.Status != store.RestoreRequested {
		t.Errorf("after olga's forged decisions the request is %s", q.Status)
	}
	if row, ok := lastRow(tg, "olga", "auth"); ok {
		t.Errorf("olga's password was checked for a request that is not hers: %+v", row)
	}
}

// A manager rejects with a note; the request is closed with it.
func TestApprovalsReject(t *testing.T) {
	t.Parallel()
	tg := startBackups(t)
	id := restoreRequest(t, tg, "/departments/trafico", "tomas")
	c, tok := loggedIn(t, tg, "mario")
	resp, page := decide(c, tok, id, "reject", testkit.Password, "  la guía está en el correo  ")
	if resp.StatusCode != 200 || !strings.Contains(page, "Solicitud rechazada") {
		t.Errorf("mario's rejection answered %s:\n%s", resp.Status, page)
	}
	q := restoreOf(t, tg, id)
	if q.Status != store.RestoreRejected || q.ClosedBy != "mario" || q.Note != "la guía está en el correo" {
		t.Errorf("after mario's rejection the request is %s by %q with note %q", q.Status, q.ClosedBy, q.Note)
	}
	if row, ok := lastRow(tg, "mario", "auth"); !ok || row.Result != store.ResultOK || row.Target != "backup.restore.reject" {
		t.Errorf("mario's rejection password is not audited as an auth row: %+v", row)
	}
}

// A manager in a real browser: logs in, opens the approvals from the
// page header, types their password and approves the request of their
// department; the store shows it approved by them.
func TestBrowserManagerApprovesRestore(t *testing.T) {
	t.Parallel()
	tg := startBackups(t)
	id := restoreRequest(t, tg, "/departments/trafico", "tomas")
	ctx := testkit.Browser(t)
	testkit.Step(t, tg, ctx, "log in as mario",
		chromedp.Navigate(tg.WebURL()+"/login"),
		chromedp.WaitVisible(chromedp.CSS(`input[name="username"]`)),
		chromedp.SendKeys(chromedp.CSS(`input[name="username"]`), "mario"),
		chromedp.SendKeys(chromedp.CSS(`input[name="password"]`), testkit.Password),
		testkit.Load(ctx, chromedp.Submit(chromedp.CSS(`input[name="password"]`))),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/approvals"]`)),
	)
	testkit.Step(t, tg, ctx, "open the approvals",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`a[href="/approvals"]`))),
		chromedp.WaitVisible(chromedp.CSS(`article#`+id)),
	)
	shown, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(`article#`+id)))
	browse(t, "read the request", err)
	for _, want := range []string{"/departments/trafico", "tomas", "sys", "se borró la guía de embarque"} {
		if !strings.Contains(shown, want) {
			t.Errorf("the request in the browser does not show %q:\n%s", want, shown)
		}
	}
	testkit.Step(t, tg, ctx, "type the password",
		chromedp.SendKeys(chromedp.CSS(`#pw-`+id), testkit.Password),
	)
	testkit.Screenshot(t, ctx, "approvals")
	testkit.Step(t, tg, ctx, "approve",
		testkit.Load(ctx, chromedp.Click(chromedp.CSS(`article#`+id+` button[value="approve"]`))),
		chromedp.WaitVisible(chromedp.CSS(`p.done`)),
	)
	if n, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("article.request").length`)); err != nil || n != 0 {
		t.Errorf("after approving, the page shows %d requests (%v)", n, err)
	}
	if q := restoreOf(t, tg, id); q.Status != store.RestoreApproved || q.Approver != "mario" {
		t.Errorf("after mario's approval in the browser the request is %s by %q", q.Status, q.Approver)
	}
}

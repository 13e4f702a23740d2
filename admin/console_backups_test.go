package admin_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// startBackups starts a gateway whose backups are on (encrypted to a new
// age identity, returned), managers may approve at once, and the
// fixture's users exist.
func startBackups(t *testing.T) (*testkit.Gateway, *age.X25519Identity) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	tg := testkit.Start(t, "CUSTODIA_BACKUP_RECIPIENTS="+id.Recipient().String(), "CUSTODIA_BACKUP_APPROVER_MIN_AGE=0")
	tg.Fixture()
	return tg, id
}

// waitBackup waits until backup id has finished and returns it.
func waitBackup(t *testing.T, tg *testkit.Gateway, id string) store.Backup {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		b, err := tg.Store().BackupByID(t.Context(), id)
		if err != nil {
			t.Fatalf("backup %s: %v", id, err)
		}
		if b.Status != store.BackupRunning {
			return b
		}
		if time.Now().After(deadline) {
			t.Fatalf("backup %s still running after 30s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// The backups page without JavaScript: it lists the jobs, the runs and
// the restore requests; "run now" starts a run and leads back to the page,
// which shows it; a job already running (its lock held) is refused;
// verify decrypts with a pasted identity (a wrong one and a non-identity
// refused, never echoed); every POST without the CSRF token is refused
// and changes nothing.
func TestConsoleBackupsRunAndVerify(t *testing.T) {
	t.Parallel()
	tg, id := startBackups(t)
	dep, err := tg.Server.Backups().Run(t.Context(), "departments", "full")
	if err != nil {
		t.Fatal(err)
	}
	c := tg.Console()
	_, tok := c.Login("sys", testkit.Password)
	r, page := c.Get("/admin/backups")
	if r.StatusCode != http.StatusOK || !strings.Contains(page, `href="/admin/backups" aria-current="page"`) {
		t.Fatalf("GET /admin/backups: %d\n%s", r.StatusCode, page)
	}
	for _, want := range []string{`<tr data-job="database">`, `<tr data-job="departments">`,
		`<tr data-backup="` + dep.ID + `" data-job="departments" data-status="ok">`, `<option value="` + dep.ID + `">`} {
		if !strings.Contains(page, want) {
			t.Errorf("the backups page lacks %s:\n%s", want, page)
		}
	}

	// Without the token nothing runs, verifies or changes.
	before, _ := tg.Store().Backups(t.Context(), "")
	for _, p := range []string{"/admin/backups/run", "/admin/backups/verify"} {
		if r, _ := c.Post(p, url.Values{"job": {"database"}, "kind": {"full"}, "backup": {dep.ID}, "identity": {id.String()}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without the CSRF token: %d, want 403", p, r.StatusCode)
		}
	}
	if after, _ := tg.Store().Backups(t.Context(), ""); len(after) != len(before) {
		t.Errorf("a POST without the CSRF token started a run: %d backups, were %d", len(after), len(before))
	}
	if rows := tg.AuditLog("sys", 50); strings.Contains(rows, "admin.backup") {
		t.Errorf("a refused POST was audited as an admin's action:\n%s", rows)
	}

	// Run now: 303 back to the page, which shows the run.
	r, _ = c.Post("/admin/backups/run", url.Values{"csrf": {tok}, "job": {"database"}, "kind": {"full"}})
	loc := r.Header.Get("Location")
	if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/backups?started=database-") {
		t.Fatalf("run now: %d to %q, want 303 to /admin/backups?started=database-…", r.StatusCode, loc)
	}
	started := strings.TrimPrefix(loc, "/admin/backups?started=")
	_, page = c.Get(loc)
	if !strings.Contains(page, `data-about="`+started+`"`) || !strings.Contains(page, `<tr data-backup="`+started+`" data-job="database"`) {
		t.Errorf("the page after run now does not show run %s:\n%s", started, page)
	}
	if b := waitBackup(t, tg, started); b.Status != store.BackupOK {
		t.Fatalf("the run started from the console ended %s: %s", b.Status, b.Error)
	}
	_, page = c.Get("/admin/backups")
	if !strings.Contains(page, `<tr data-backup="`+started+`" data-job="database" data-status="ok">`) {
		t.Errorf("the page does not show run %s as ok:\n%s", started, page)
	}
	if rows := tg.AuditLog("sys", 20); !strings.Contains(rows, "admin.backup.run\t"+started) {
		t.Errorf("who ran backup %s is not audited:\n%s", started, rows)
	}
	if rows := tg.AuditLog("", 50); !strings.Contains(rows, "backup.run\t"+started) {
		t.Errorf("the run's outcome is not audited:\n%s", rows)
	}

	// A job running elsewhere (its lock held, as a CLI run beside the
	// server holds it) is refused, and no second run starts.
	dir := filepath.Join(tg.Config.BackupDir(), "departments")
	f, err := os.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		t.Fatal(err)
	}
	n, _ := tg.Store().Backups(t.Context(), "departments")
	r, page = c.Post("/admin/backups/run", url.Values{"csrf": {tok}, "job": {"departments"}, "kind": {"incremental"}})
	if r.StatusCode != http.StatusConflict || !strings.Contains(page, "ya está en ejecución") {
		t.Errorf("run now of a running job: %d, want 409 saying it runs\n%s", r.StatusCode, page)
	}
	f.Close()
	if m, _ := tg.Store().Backups(t.Context(), "departments"); len(m) != len(n) {
		t.Errorf("a run of a running job was recorded")
	}
	if r, _ := c.Post("/admin/backups/run", url.Values{"csrf": {tok}, "job": {"nope"}, "kind": {"full"}}); r.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("run now of an unknown job: %d, want 422", r.StatusCode)
	}

	// Verify.
	r, page = seeOutcome(t, c, "/admin/backups/verify", url.Values{"csrf": {tok}, "backup": {dep.ID}, "identity": {id.String()}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, `class="notice" data-about="`+dep.ID+`"`) ||
		!strings.Contains(page, "El respaldo se verificó completo") || !strings.Contains(page, "2 archivos") {
		t.Errorf("verify with the identity: %d\n%s", r.StatusCode, page)
	}
	if strings.Contains(page, id.String()) {
		t.Error("the page shows the identity back")
	}
	other, _ := age.GenerateX25519Identity()
	r, page = seeOutcome(t, c, "/admin/backups/verify", url.Values{"csrf": {tok}, "backup": {dep.ID}, "identity": {other.String()}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "Esa identidad no descifra el respaldo") {
		t.Errorf("verify with another identity: %d\n%s", r.StatusCode, page)
	}
	r, page = seeOutcome(t, c, "/admin/backups/verify", url.Values{"csrf": {tok}, "backup": {dep.ID}, "identity": {"secreto-no-age"}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "no es una identidad age") || strings.Contains(page, "secreto-no-age") {
		t.Errorf("verify with no identity: %d\n%s", r.StatusCode, page)
	}
	rows := tg.AuditLog("", 50)
	for _, want := range []string{"admin.backup.verify\t" + dep.ID, "backup.verify\t" + dep.ID + "\t-\t" /* ok row */} {
		if !strings.Contains(rows, want) {
			t.Errorf("the audit trail lacks %q:\n%s", want, rows)
		}
	}
	if strings.Contains(rows, id.String()) || strings.Contains(tg.Log(), id.String()) {
		t.Error("the identity is in the audit trail or the log")
	}
}

// A manager approves a restore request on the admin's screen with their
// own password: a wrong password, or the right password of someone the
// runner's rules do not let approve, is refused with one answer, changes
// nothing and leaves a failed "auth" row; the department's manager's
// approval is recorded. An admin may reject a request. Without the CSRF
// token nothing happens.
func TestConsoleManagerApprovesRestore(t *testing.T) {
	t.Parallel()
	tg, _ := startBackups(t)
	ctx := t.Context()
	runner := tg.Server.Backups()
	dep, err := runner.Run(ctx, "departments", "full")
	if err != nil {
		t.Fatal(err)
	}
	req, err := runner.Request(ctx, dep.ID, "/departments/trafico", "guía sobrescrita", "tomas", "sys")
	if err != nil {
		t.Fatal(err)
	}
	other, err := runner.Request(ctx, dep.ID, "/departments/trafico", "otra", "tomas", "sys")
	if err != nil {
		t.Fatal(err)
	}
	c := tg.Console()
	_, tok := c.Login("sys", testkit.Password)
	_, page := c.Get("/admin/backups")
	if !strings.Contains(page, `<tr data-request="`+req.ID+`" data-status="requested">`) ||
		!strings.Contains(page, `action="/admin/restores/`+req.ID+`/approve"`) {
		t.Fatalf("the page does not offer request %s for approval:\n%s", req.ID, page)
	}
	status := func(id string) store.RestoreRequest {
		q, err := tg.Store().RestoreRequestByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	approve := func(form url.Values) (*http.Response, string) {
		return seeOutcome(t, c, "/admin/restores/"+req.ID+"/approve", form)
	}

	if r, _ := c.Post("/admin/restores/"+req.ID+"/approve", url.Values{"manager": {"mario"}, "password": {testkit.Password}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("approve without the CSRF token: %d, want 403", r.StatusCode)
	}
	for name, form := range map[string]url.Values{
		"mario's wrong password": {"csrf": {tok}, "manager": {"mario"}, "password": {"Wrong-Horse-9-Battery"}},
		"ana, not a manager":     {"csrf": {tok}, "manager": {"ana"}, "password": {testkit.Password}},
		"the admin's own":        {"csrf": {tok}, "manager": {"sys"}, "password": {testkit.Password}},
	} {
		r, page := approve(form)
		if r.StatusCode != http.StatusOK || !strings.Contains(page, "Aprobación rechazada") {
			t.Errorf("%s: %d, want the page saying refused\n%s", name, r.StatusCode, page)
		}
		if q := status(req.ID); q.Status != store.RestoreRequested || q.Approver != "" {
			t.Fatalf("after %s the request is %s (approver %q)", name, q.Status, q.Approver)
		}
	}
	var failedAuth, denied bool
	for _, e := range tg.Audit("mario", 20) {
		failedAuth = failedAuth || (e.Action == "auth" && e.Target == "backup.restore.approve" && e.Result == store.ResultFailed)
		denied = denied || (e.Action == "backup.restore.approve" && e.Result == store.ResultDenied && e.VPath == req.ID)
	}
	if !failedAuth || !denied {
		t.Errorf("mario's wrong password: failed auth row %v, denied approval row %v:\n%s", failedAuth, denied, tg.AuditLog("mario", 20))
	}

	r, page := approve(url.Values{"csrf": {tok}, "manager": {"mario"}, "password": {testkit.Password}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "Solicitud aprobada") {
		t.Fatalf("mario's approval: %d\n%s", r.StatusCode, page)
	}
	if q := status(req.ID); q.Status != store.RestoreApproved || q.Approver != "mario" {
		t.Errorf("after mario's approval the request is %s by %q", q.Status, q.Approver)
	}
	if !strings.Contains(page, `<tr data-request="`+req.ID+`" data-status="approved">`) {
		t.Errorf("the page does not show the request approved:\n%s", page)
	}
	if r, page := approve(url.Values{"csrf": {tok}, "manager": {"mario"}, "password": {testkit.Password}}); r.StatusCode != http.StatusOK ||
		!strings.Contains(page, "ya no espera aprobación") {
		t.Errorf("approving twice: %d\n%s", r.StatusCode, page)
	}

	// The admin rejects the other request.
	r, page = seeOutcome(t, c, "/admin/restores/"+other.ID+"/reject", url.Values{"csrf": {tok}, "note": {"duplicada"}})
	if r.StatusCode != http.StatusOK || !strings.Contains(page, "Solicitud rechazada") {
		t.Errorf("the admin's rejection: %d\n%s", r.StatusCode, page)
	}
	if q := status(other.ID); q.Status != store.RestoreRejected || q.ClosedBy != "sys" || q.Note != "duplicada" {
		t.Errorf("after the rejection the request is %s by %q (%q)", q.Status, q.ClosedBy, q.Note)
	}
	if rows := tg.AuditLog("sys", 20); !strings.Contains(rows, "admin.restore.reject\t/api/v1/restores/"+other.ID) {
		t.Errorf("the rejection is not audited as the API audits it:\n%s", rows)
	}
}

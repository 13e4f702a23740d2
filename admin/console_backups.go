package admin

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// The console's backups page: the jobs with their schedules and last
// runs, the recent runs, "run now", a verification, and the restore
// requests, which a manager approves here with their own password and an
// admin may reject. Every step is the backup runner's (admin.Backups, the
// runner the schedule and the command line use) or the API's own code
// (approveAs, closeAs), audited as there.

// Bounds of the page.
const (
	backupRunsShown     = 30   // recent runs in the table
	backupVerifiable    = 100  // newest ok backups offered for verification
	backupRestoresShown = 100  // newest restore requests
	backupMaxIdentity   = 8192 // bytes of a pasted age identity (one line is 74)
	backupMaxNote       = 1000 // characters of a rejection's note
)

// backupTime is how the page writes a time: UTC, to the minute; the
// element's datetime attribute carries RFC 3339.
const backupTime = "2006-01-02 15:04 UTC"

// backupRunRow is one run as the page shows it.
type backupRunRow struct {
	ID, Job, Kind, Status, Base string
	Started, StartedISO         string
	Duration                    string // "" while it runs
	Files, Bytes, Size          int64
	BytesText, SizeText         string // Bytes and Size for a person
	Targets, Error              string
}

// backupJobRow is one job with its last run and its last good one.
type backupJobRow struct {
	BackupJob
	Last, LastOK *backupRunRow
	Since        string // time since the last good run; "" when none
	Retention    string // what it keeps, in the page's language
}

// backupRestoreRow is one restore request.
type backupRestoreRow struct {
	store.RestoreRequest
	Created, CreatedISO string
	Waiting             bool // a manager may approve it, an admin reject it
}

// backupsPage is the page's data.
type backupsPage struct {
	Jobs       []backupJobRow
	Runs       []backupRunRow
	Verifiable []backupRunRow
	Restores   []backupRestoreRow
	Job        string // the runs shown are this job's ("" every job's)
	// The outcome of the last action: a catalogue key, whether it reports
	// a failure, and what it is about (a backup or request id).
	Message string
	Alert   bool
	About   string
	// A verification's figures, when Message says it verified.
	Verified      *Verified
	VerifiedBytes string
}

// backups shows the page; ?job= narrows the runs to a job's, ?started=
// reports a run begun from here.
func (c *console) backups(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	p := backupsPage{Job: r.URL.Query().Get("job")}
	if id := r.URL.Query().Get("started"); id != "" {
		p.Message, p.About = "backups.started", id
	}
	backupOutcome(r.URL.Query(), &p)
	c.renderBackups(w, r, q, http.StatusOK, p)
}

// renderBackups writes the page with p's message, reading the jobs, runs
// and requests as they are now.
func (c *console) renderBackups(w http.ResponseWriter, r *http.Request, q *consoleRequest, status int, p backupsPage) {
	if c.s.o.Backups == nil {
		c.notFound(w, r, q)
		return
	}
	jbs, err := c.s.o.Store.LastBackups(r.Context(), store.BackupOK, store.BackupPruned)
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	last := make(map[string]store.JobBackups, len(jbs))
	for _, jb := range jbs {
		last[jb.Last.Job] = jb
	}
	now := time.Now()
	for _, j := range c.s.o.Backups.Jobs() {
		row := backupJobRow{BackupJob: j, Retention: backupRetention(q.L, j)}
		if jb, ok := last[j.Name]; ok {
			row.Last = backupRun(jb.Last)
			if jb.Good != nil {
				row.LastOK = backupRun(*jb.Good)
				row.Since = backupSince(now.Sub(jb.Good.FinishedAt))
			}
		}
		p.Jobs = append(p.Jobs, row)
	}
	runs, err := c.s.o.Store.RecentBackups(r.Context(), p.Job, "", backupRunsShown)
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	for _, b := range runs {
		p.Runs = append(p.Runs, *backupRun(b))
	}
	ok, err := c.s.o.Store.RecentBackups(r.Context(), "", store.BackupOK, backupVerifiable)
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	for _, b := range ok {
		p.Verifiable = append(p.Verifiable, *backupRun(b))
	}
	qs, err := c.s.o.Store.RestoreRequests(r.Context())
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	for i := len(qs) - 1; i >= 0 && len(p.Restores) < backupRestoresShown; i-- {
		rq := qs[i]
		p.Restores = append(p.Restores, backupRestoreRow{RestoreRequest: rq, Created: rq.CreatedAt.UTC().Format(backupTime),
			CreatedISO: rq.CreatedAt.UTC().Format(time.RFC3339), Waiting: rq.Status == store.RestoreRequested})
	}
	c.pages.Render(w, status, "backups", q.page(q.L.T("nav.backups"), "/admin/backups", p))
}

// backupRetention says what a job keeps: "30 daily · 60 monthly".
func backupRetention(l ui.Text, j BackupJob) string {
	var parts []string
	for _, k := range []struct {
		n   int
		key string
	}{{j.KeepDaily, "backups.daily"}, {j.KeepMonthly, "backups.monthly"}, {j.KeepYearly, "backups.yearly"}} {
		if k.n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", k.n, l.T(k.key)))
		}
	}
	return strings.Join(parts, " · ")
}

// backupRun is a run's row.
func backupRun(b store.Backup) *backupRunRow {
	row := &backupRunRow{ID: b.ID, Job: b.Job, Kind: b.Kind, Status: b.Status, Base: b.Base,
		Started: b.StartedAt.UTC().Format(backupTime), StartedISO: b.StartedAt.UTC().Format(time.RFC3339),
		Files: b.Files, Bytes: b.Bytes, Size: b.Size, BytesText: backupBytes(b.Bytes), SizeText: backupBytes(b.Size),
		Targets: b.Targets, Error: b.Error}
	if !b.FinishedAt.IsZero() {
		row.Duration = backupDuration(b.FinishedAt.Sub(b.StartedAt))
	}
	return row
}

// backupBytes writes a size for a person: bytes, KiB, MiB, GiB or TiB.
func backupBytes(n int64) string {
	if n < 1024 {
		return fmt.Sprintf("%d B", n)
	}
	v, unit := float64(n)/1024, 0
	for v >= 1024 && unit < 3 {
		v /= 1024
		unit++
	}
	return fmt.Sprintf("%.1f %s", v, []string{"KiB", "MiB", "GiB", "TiB"}[unit])
}

// backupDuration writes a run's length: milliseconds under a second,
// else to the second.
func backupDuration(d time.Duration) string {
	if d < time.Second {
		return d.Round(time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// backupSince writes how long ago something was, to the minute.
func backupSince(d time.Duration) string {
	if d < time.Minute {
		return "<1m"
	}
	return strings.TrimSuffix(d.Round(time.Minute).String(), "0s")
}

// runBackup starts a run of a job now and sends the browser back to the
// page, which shows the run; the run goes on in the background (one run
// per job at a time: the runner's lock).
func (c *console) runBackup(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	if c.s.o.Backups == nil {
		c.notFound(w, r, q)
		return
	}
	job, kind := r.PostFormValue("job"), r.PostFormValue("kind")
	known := slices.ContainsFunc(c.s.o.Backups.Jobs(), func(j BackupJob) bool { return j.Name == job })
	if !known || (kind != "full" && kind != "incremental") {
		c.renderBackups(w, r, q, http.StatusUnprocessableEntity, backupsPage{Message: "backups.no_job", Alert: true, About: job})
		return
	}
	b, err := c.s.o.Backups.Start(r.Context(), job, kind)
	switch {
	case errors.Is(err, store.ErrBackupBusy):
		c.renderBackups(w, r, q, http.StatusConflict, backupsPage{Message: "backups.busy", Alert: true, About: job})
		return
	case errors.Is(err, store.ErrBackupsOff):
		c.renderBackups(w, r, q, http.StatusConflict, backupsPage{Message: "backups.off", Alert: true, About: job})
		return
	case err != nil:
		c.serverError(w, r, q, err)
		return
	}
	// The runner audits the run's outcome under the backup's id; this row
	// says who started it.
	c.s.audit(r, q.caller(), "admin.backup.run", b.ID, nil, b)
	http.Redirect(w, r, "/admin/backups?started="+b.ID, http.StatusSeeOther)
}

// verifyBackup decrypts a backup with the age identity pasted into the
// form and checks it as `custodia backup verify --identity` does. The
// identity is used for this one check: it is not kept, logged or
// written anywhere, and the page never shows it back. The answer is a
// redirect to the page with the outcome (seeBackupOutcome).
func (c *console) verifyBackup(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	if c.s.o.Backups == nil {
		c.notFound(w, r, q)
		return
	}
	id, text := r.PostFormValue("backup"), r.PostFormValue("identity")
	if id == "" {
		seeBackupOutcome(w, r, "backups.verify_which", "", nil)
		return
	}
	var ids []age.Identity
	var err error
	if len(text) <= backupMaxIdentity {
		ids, err = age.ParseIdentities(strings.NewReader(text))
	}
	if len(text) > backupMaxIdentity || err != nil {
		seeBackupOutcome(w, r, "backups.bad_identity", id, nil)
		return
	}
	v, err := c.s.o.Backups.Verify(r.Context(), id, ids)
	if errors.Is(err, store.ErrVerifyBusy) { // nothing was verified
		seeBackupOutcome(w, r, "backups.verify_busy", id, nil)
		return
	}
	c.s.audit(r, q.caller(), "admin.backup.verify", id, nil, map[string]any{"verified": err == nil})
	var nomatch *age.NoIdentityMatchError
	switch {
	case err == nil:
		seeBackupOutcome(w, r, "backups.verified", id, &v)
	case errors.Is(err, store.ErrNotFound):
		seeBackupOutcome(w, r, "backups.no_backup", id, nil)
	case errors.As(err, &nomatch):
		seeBackupOutcome(w, r, "backups.wrong_identity", id, nil)
	default: // the cause is in the runner's audit row and the log, never on the page
		c.s.log.Warn("console verify: backup does not verify", "user", q.user.Name, "session", q.s.ID, "backup", id, "err", err)
		seeBackupOutcome(w, r, "backups.not_verified", id, nil)
	}
}

// approveRestore records a manager's approval of a restore request: the
// manager types their own name and password on the admin's screen, and
// the API's approval (approveAs: the password checked as every approval's,
// the runner's rules of who may approve what) decides. Every refusal
// reads the same; the audit trail says why.
func (c *console) approveRestore(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	if c.s.o.Backups == nil {
		c.notFound(w, r, q)
		return
	}
	id, manager := r.PathValue("id"), strings.TrimSpace(r.PostFormValue("manager"))
	if manager == "" {
		seeBackupOutcome(w, r, "backups.manager_required", id, nil)
		return
	}
	_, err := c.s.approveAs(r.Context(), id, manager, r.PostFormValue("password"), q.remote, q.s.ID)
	c.restoreOutcome(w, r, q, id, "backups.approved", err)
}

// rejectRestore refuses a request waiting for approval, as the admin
// (the API's reject).
func (c *console) rejectRestore(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	if c.s.o.Backups == nil {
		c.notFound(w, r, q)
		return
	}
	id, note := r.PathValue("id"), []rune(r.PostFormValue("note"))
	if len(note) > backupMaxNote {
		note = note[:backupMaxNote]
	}
	_, err := c.s.closeAs(r, q.caller(), "admin.restore.reject", c.s.o.Backups.Reject, id, string(note))
	c.restoreOutcome(w, r, q, id, "backups.rejected", err)
}

// restoreOutcome answers an approval or a rejection with a redirect to
// the page (seeBackupOutcome): done says it was taken; an API error is
// told by its status, never its text.
func (c *console) restoreOutcome(w http.ResponseWriter, r *http.Request, q *consoleRequest, id, done string, err error) {
	if err == nil {
		seeBackupOutcome(w, r, done, id, nil)
		return
	}
	ae := (*apiError)(nil)
	if !errors.As(err, &ae) {
		c.serverError(w, r, q, err)
		return
	}
	key := map[int]string{
		http.StatusForbidden:           "backups.refused",
		http.StatusNotFound:            "backups.no_request",
		http.StatusConflict:            "backups.not_waiting",
		http.StatusTooManyRequests:     "login.busy",
		http.StatusUnprocessableEntity: "backups.invalid",
	}[ae.status]
	if key == "" {
		c.serverError(w, r, q, fmt.Errorf("restore %s: %w", id, err))
		return
	}
	seeBackupOutcome(w, r, key, id, nil)
}

package server_test

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	_ "modernc.org/sqlite"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// outboxFor counts the outbox's events about vpath, by type.
func outboxFor(t *testing.T, st *store.Store, vpath string) map[string]int {
	t.Helper()
	evs, err := st.EventsAfter(context.Background(), 0, 10000)
	if err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, e := range evs {
		if e.VPath == vpath {
			n[e.Type]++
		}
	}
	return n
}

// TestUploadLeftByCrashIsAuditedAtStart: the data dir holds what a crash
// between the rename and the audit row leaves (a pending upload whose file
// is in place, and one whose file never got there). The next start, before
// it serves anything, gives the first its audit row and one
// upload.completed event, and the second a failed row; the uploader then
// sees the first file and nothing of the second.
func TestUploadLeftByCrashIsAuditedAtStart(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	tg, stop := testkit.Restartable(t, testkit.Env(t.TempDir()), true)
	tg.Fixture()
	stop()

	const content = "%PDF-1.4 llegada"
	st, err := store.Open(ctx, tg.Config.DBFile())
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"llegada.pdf", "perdida.pdf"} {
		if _, err := st.BeginUpload(ctx, store.AuditEntry{Session: "s1", User: "juan", Role: store.RoleCorrespondent,
			Protocol: "sftp", Remote: "192.0.2.7:40000", Action: "write", VPath: "/ACME/2026/" + name,
			SPath: "/dossiers/ACME/2026/" + name, Bytes: int64(len(content)), SHA256: sha256Hex(content)}); err != nil {
			t.Fatal(err)
		}
	}
	st.Close()
	tg.Put("dossiers/ACME/2026/llegada.pdf", content) // renamed into place; perdida.pdf never was

	tg, _ = testkit.Restartable(t, tg.Environ, false)
	arrived := outboxFor(t, tg.Store(), "/ACME/2026/llegada.pdf")
	if arrived[store.EventUploadCompleted] != 1 || len(arrived) != 1 {
		t.Errorf("after the start the outbox holds %v for the file a crash left in place, want one upload.completed", arrived)
	}
	if lost := outboxFor(t, tg.Store(), "/ACME/2026/perdida.pdf"); lost[store.EventUploadFailed] != 1 || len(lost) != 1 {
		t.Errorf("after the start the outbox holds %v for the upload that never got in place, want one upload.failed", lost)
	}
	row, ok := testkit.FindAudit(tg.AuditRows("juan"), func(r testkit.AuditRow) bool {
		return r.Action == "write" && r.Path == "/ACME/2026/llegada.pdf"
	})
	if !ok || row.Result != "ok" || row.SHA256 != sha256Hex(content) || !strings.Contains(row.Reason, "recovered") {
		t.Errorf("the file a crash left in place is audited as %+v, want ok with its sha256, recovered at start", row)
	}
	if p, err := tg.Store().PendingUploads(ctx); err != nil || len(p) != 0 {
		t.Errorf("after the start %d uploads are pending (%v), want none", len(p), err)
	}
	c := tg.SFTP("juan")
	if fi, err := c.Stat("/ACME/2026/llegada.pdf"); err != nil || fi.Size() != int64(len(content)) {
		t.Errorf("juan does not see the recovered upload whole: %v", err)
	}
	if _, err := c.Stat("/ACME/2026/perdida.pdf"); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the upload that never got in place is visible (%v)", err)
	}
}

// TestSFTPUploadRefusedWhenItsAuditRowFails: the store refuses the audit
// row of a completed upload (a trigger injected in the real database):
// the client's upload is refused, the file is not visible and nothing
// announces it. Once the store works again the same upload succeeds, and
// its event reaches the outbox exactly once.
func TestSFTPUploadRefusedWhenItsAuditRowFails(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, testkit.OnSQLite) // the trigger goes into custodia.db
	tg.Fixture()
	db, err := sql.Open("sqlite", "file:"+tg.Config.DBFile()+"?_pragma=busy_timeout(10000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`CREATE TRIGGER injected_audit_failure BEFORE INSERT ON audit
		WHEN NEW.result = 'ok' AND NEW.action IN ('write', 'overwrite')
		BEGIN SELECT RAISE(ABORT, 'injected audit failure'); END`); err != nil {
		t.Fatal(err)
	}

	const vpath, content = "/ACME/2026/rechazo.pdf", "%PDF-1.4 rechazo"
	c := tg.SFTP("juan")
	f, err := c.Create(vpath)
	if err != nil {
		t.Fatalf("juan cannot create %s: %v", vpath, err)
	}
	if _, err := f.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err == nil {
		t.Errorf("juan's upload of %s was acknowledged although its audit row failed", vpath)
	}
	if _, err := c.Stat(vpath); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused upload is visible to juan (%v)", err)
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files", "dossiers", "ACME", "2026", "rechazo.pdf")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the refused upload is on disk (%v)", err)
	}
	if got := outboxFor(t, tg.Store(), vpath); got[store.EventUploadCompleted] != 0 || got[store.EventUploadFailed] != 1 {
		t.Errorf("the outbox holds %v for the refused upload, want one upload.failed", got)
	}

	if _, err := db.Exec(`DROP TRIGGER injected_audit_failure`); err != nil {
		t.Fatal(err)
	}
	testkit.Upload(t, tg, "juan", vpath, content)
	if got := outboxFor(t, tg.Store(), vpath); got[store.EventUploadCompleted] != 1 {
		t.Errorf("after the retried upload the outbox holds %v for %s, want one upload.completed", got, vpath)
	}
	row, ok := testkit.FindAudit(tg.AuditRows("juan"), func(r testkit.AuditRow) bool {
		return r.Action == "write" && r.Path == vpath && r.Result == "ok"
	})
	if !ok || row.SHA256 != sha256Hex(content) || row.Bytes != "16" {
		t.Errorf("the retried upload is audited as %+v, want ok with its size and sha256", row)
	}
	if p, err := tg.Store().PendingUploads(context.Background()); err != nil || len(p) != 0 {
		t.Errorf("%d uploads are left pending (%v), want none", len(p), err)
	}
}

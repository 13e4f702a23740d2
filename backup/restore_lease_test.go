package backup

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/store"
)

// TestRestoreRefusedWhileAnotherGatewayRunsIt: a run of a request whose
// lease another gateway holds (one sharing the database, and with the
// files on S3 the bucket) is refused as already running, writes nothing,
// and leaves the request approved, with a failed audit row; once the
// lease is given up the request runs.
func TestRestoreRefusedWhileAnotherGatewayRunsIt(t *testing.T) {
	t.Parallel()
	f := newRestoreFixture(t)
	ctx := t.Context()
	put(t, f.view, "/departments/operaciones/a.txt", "uno")
	b, err := f.r.Run(ctx, "departments", Full)
	if err != nil {
		t.Fatal(err)
	}
	req := f.approved(t, b.ID, "/departments/operaciones")
	if err := f.st.TryLease(ctx, "restore:"+req, "other-gateway", time.Minute); err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.Restore(ctx, req, f.ids); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Fatalf("a run while another gateway holds the request answered %v, want \"already running\"", err)
	}
	if _, err := os.Lstat(filepath.Join(f.files, "restores", req)); err == nil {
		t.Error("the refused run wrote the restore's folder")
	}
	if q, err := f.st.RestoreRequestByID(ctx, req); err != nil || q.Status != store.RestoreApproved {
		t.Errorf("the refused run left the request %s (%v), want approved", q.Status, err)
	}
	rows, err := f.st.QueryAudit(ctx, store.AuditQuery{Limit: 20})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.ContainsFunc(rows, func(e store.AuditEntry) bool {
		return e.Action == "backup.restore.run" && e.VPath == req && e.Result == store.ResultFailed
	}) {
		t.Errorf("no failed backup.restore.run row for %s", req)
	}
	if err := f.st.ReleaseLease(ctx, "restore:"+req, "other-gateway"); err != nil {
		t.Fatal(err)
	}
	if res, err := f.r.Restore(ctx, req, f.ids); err != nil || res.Files != 1 {
		t.Errorf("the run after the lease was given up restored %d files (%v), want 1", res.Files, err)
	}
}

package backup

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

// An open request holds its backup from pruning; once rejected, or
// cancelled after its approval, it holds nothing, and retention removes
// the backup.
func TestClosedRequestsHoldNoBackup(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	enf, err := authz.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	files := t.TempDir()
	if err := os.MkdirAll(filepath.Join(files, "departments", "operaciones"), 0o750); err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)}
	id := newIdentity(t)
	r := New(Options{Store: st, FilesDir: files, Local: Local{Dir: t.TempDir()}, Rules: enf,
		Recipients: []age.Recipient{id.Recipient()}, Now: clk.now, Location: time.UTC,
		Jobs: []Job{{Name: "departments", Source: "/departments", Keep: Retention{Daily: 1}}}})
	olga := newUser(t, st, "olga", store.RoleManager, "operaciones")
	operator := store.RestoreActor{Name: "os:root"}
	run := func() store.Backup {
		t.Helper()
		b, err := r.Run(ctx, "departments", Full)
		if err != nil {
			t.Fatal(err)
		}
		clk.add(24 * time.Hour)
		return b
	}
	status := func(id string) string {
		t.Helper()
		b, err := st.BackupByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return b.Status
	}

	b0 := run()
	q0, err := r.Request(ctx, b0.ID, "/departments/operaciones", "prueba", "os:someone", "os:someone")
	if err != nil {
		t.Fatal(err)
	}
	b1 := run()
	if s := status(b0.ID); s != store.BackupOK {
		t.Fatalf("the backup of a pending request is %s after retention, want ok", s)
	}
	if q, err := r.Reject(ctx, q0.ID, operator, "no hace falta"); err != nil || q.Status != store.RestoreRejected || q.ClosedBy != "os:root" {
		t.Fatalf("reject: %+v %v", q, err)
	}
	q1, err := r.Request(ctx, b1.ID, "/departments/operaciones", "prueba", "os:someone", "os:someone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.Approve(ctx, q1.ID, olga); err != nil {
		t.Fatal(err)
	}
	run()
	if s := status(b0.ID); s != store.BackupPruned {
		t.Errorf("the backup of a rejected request is %s after retention, want pruned", s)
	}
	if s := status(b1.ID); s != store.BackupOK {
		t.Fatalf("the backup of an approved request is %s after retention, want ok", s)
	}
	if _, err := r.Cancel(ctx, q1.ID, store.RestoreActor{Name: "olga", User: olga}, ""); !errors.Is(err, store.ErrRestoreRefused) {
		t.Errorf("the approver, neither requester nor admin, cancelled: %v", err)
	}
	if q, err := r.Cancel(ctx, q1.ID, store.RestoreActor{Name: "os:someone"}, ""); err != nil || q.Status != store.RestoreCancelled {
		t.Fatalf("the requester's cancel: %+v %v", q, err)
	}
	if _, err := r.Restore(ctx, q1.ID, []age.Identity{id}); !errors.Is(err, store.ErrRestoreState) {
		t.Errorf("a cancelled request ran: %v", err)
	}
	if _, err := r.Prune(ctx, ""); err != nil {
		t.Fatal(err)
	}
	if s := status(b1.ID); s != store.BackupPruned {
		t.Errorf("the backup of a cancelled request is %s after retention, want pruned", s)
	}
}

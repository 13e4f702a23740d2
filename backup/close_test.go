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

// Waiting lists what a manager may approve now, by Approve's own rules:
// their department's requests still waiting, not their own nor ones they
// filed, and nothing of another department.
func TestWaitingForApproval(t *testing.T) {
	t.Parallel()
	f := newRestoreFixture(t)
	ctx := t.Context()
	const ops = "/departments/operaciones"
	put(t, f.view, ops+"/x.txt", "x")
	b, err := f.r.Run(ctx, "departments", Full)
	if err != nil {
		t.Fatal(err)
	}
	request := func(requester, filedBy string) string {
		t.Helper()
		q, err := f.r.Request(ctx, b.ID, ops, "prueba", requester, filedBy)
		if err != nil {
			t.Fatal(err)
		}
		return q.ID
	}
	theirs := request("os:someone", "os:someone")
	request("olga", "os:someone") // her own
	request("os:someone", "olga") // filed by her
	other := newUser(t, f.st, "pedro", store.RoleManager, "trafico")
	staff := newUser(t, f.st, "ana", store.RoleStaff, "operaciones")
	ids := func(u *store.User) []string {
		t.Helper()
		qs, err := f.r.Waiting(ctx, u)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, q := range qs {
			out = append(out, q.ID)
		}
		return out
	}
	if got := ids(f.manager); len(got) != 1 || got[0] != theirs {
		t.Errorf("olga waits for %v, want only %s", got, theirs)
	}
	if got := ids(other); len(got) != 0 {
		t.Errorf("the manager of trafico waits for %v of operaciones", got)
	}
	if got := ids(staff); len(got) != 0 {
		t.Errorf("a staff member waits for %v", got)
	}
	if _, err := f.r.Approve(ctx, theirs, f.manager); err != nil {
		t.Fatal(err)
	}
	if got := ids(f.manager); len(got) != 0 {
		t.Errorf("after approving, olga still waits for %v", got)
	}
}

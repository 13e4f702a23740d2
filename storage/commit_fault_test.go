package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// failingCommits is the store with CommitUpload failing: for the ok row
// only (the audit row of a completed upload cannot be written), or for
// every row (the store is gone).
type failingCommits struct {
	*store.Store
	all bool
}

func (a failingCommits) CommitUpload(ctx context.Context, id int64, e store.AuditEntry) (int64, error) {
	if a.all || e.Result == store.ResultOK {
		return 0, errors.New("injected: database is locked")
	}
	return a.Store.CommitUpload(ctx, id, e)
}

// TestAuditFailureAfterRenameRefusesUpload: when the audit row of an
// upload cannot be written after the file was renamed into place, the
// upload is refused and the file is taken back (an overwritten file is
// back as it was), so no file stays visible that no event names. When the
// store cannot even record the failure, the pending note remains and the
// next start settles it.
func TestAuditFailureAfterRenameRefusesUpload(t *testing.T) {
	t.Parallel()
	const old, neu = "%PDF-1.4 version anterior", "%PDF-1.4 version nueva"
	for _, c := range []struct {
		name      string
		overwrite bool
		storeGone bool
	}{
		{"new file", false, false},
		{"overwrite", true, false},
		{"new file, store gone", false, true},
		{"overwrite, store gone", true, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			top := t.TempDir()
			d := openDataDir(t, filepath.Join(top, "custodia.db"), filepath.Join(top, "files"))
			if _, err := d.st.CreateClient(ctx, "ACME", "ACME S.A."); err != nil {
				t.Fatal(err)
			}
			vpath := "/ACME/2026/pedimento.pdf"
			disk := filepath.Join(d.files, "dossiers", "ACME", "2026", "pedimento.pdf")
			writeFile(t, filepath.Join(filepath.Dir(disk), ".keep"), "")
			act := "write"
			if c.overwrite {
				writeFile(t, disk, old)
				act = "overwrite"
			}
			// An admin may overwrite; the correspondent writes new files.
			u := addUser(t, d.st, "juan", store.RoleCorrespondent, "ACME")
			if c.overwrite {
				u = addUser(t, d.st, "root", store.RoleAdmin)
				vpath = "/dossiers/ACME/2026/pedimento.pdf"
			}
			v := viewWith(t, d, u, failingCommits{Store: d.st, all: c.storeGone})
			up, err := v.Create(ctx, vpath)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := up.Write([]byte(neu)); err != nil {
				t.Fatal(err)
			}
			if err := up.Close(); !errors.Is(err, storage.ErrFailed) {
				t.Fatalf("an upload whose audit row failed was answered %v, want ErrFailed", err)
			}
			checkBefore := func(when string) {
				t.Helper()
				got, err := os.ReadFile(disk)
				if c.overwrite && string(got) != old {
					t.Errorf("%s %s holds %q (%v), want the file it was before the refused overwrite", when, vpath, got, err)
				}
				if !c.overwrite && !errors.Is(err, os.ErrNotExist) {
					t.Errorf("%s the refused upload is visible at %s (%q, %v)", when, vpath, got, err)
				}
				if evs := uploadEvents(t, d.st, vpath); evs[store.EventUploadCompleted] != 0 {
					t.Errorf("%s the outbox announces the refused upload: %v", when, evs)
				}
			}
			checkBefore("once refused,")
			leftIncoming := func(when string) {
				entries, _ := os.ReadDir(filepath.Join(d.files, ".incoming"))
				if len(entries) > 0 {
					t.Errorf("%s .incoming holds %d files", when, len(entries))
				}
			}
			leftIncoming("once refused,")
			if !c.storeGone {
				a, ok := lastAuditOf(t, d.st, act, vpath)
				if !ok || a.Result != store.ResultFailed {
					t.Errorf("the refused upload is audited as %+v, want %s failed", a, act)
				}
				if p := pendingUploads(t, d.st); len(p) != 0 {
					t.Errorf("the refused upload is still pending: %+v", p)
				}
				return
			}
			if p := pendingUploads(t, d.st); len(p) != 1 {
				t.Fatalf("with the store gone %d uploads are pending, want the refused one", len(p))
			}
			d = d.restart(t)
			if _, err := d.tree.Reconcile(ctx, d.st); err != nil {
				t.Fatal(err)
			}
			checkBefore("after the next start,")
			if evs := uploadEvents(t, d.st, vpath); evs[store.EventUploadFailed] != 1 {
				t.Errorf("after the next start the outbox holds %v for %s, want one upload.failed", evs, vpath)
			}
		})
	}
}

// viewWith is u's view of d audited through a.
func viewWith(t *testing.T, d *dataDir, u *store.User, a storage.Auditor) *storage.View {
	t.Helper()
	rules := newRules(t, d.st)
	v, err := storage.NewView(context.Background(), storage.ViewOptions{
		User: u, Files: d.tree, Decider: rules, Auditor: a,
		Session: storage.Session{ID: "s-" + u.Name, Protocol: "test", Remote: "192.0.2.1:50000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

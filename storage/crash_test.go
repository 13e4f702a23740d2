package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// dataDir is a data dir that a test can "restart": its store and files
// tree are closed and opened again as a new process would.
type dataDir struct {
	db, files string
	st        *store.Store
	tree      *storage.Files
}

func openDataDir(t *testing.T, db, files string) *dataDir {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return &dataDir{db: db, files: files, st: st, tree: openFiles(t, files, "ACME")}
}

// restart closes the data dir and opens it again, as the next start does.
func (d *dataDir) restart(t *testing.T) *dataDir {
	t.Helper()
	d.tree.Close()
	d.st.Close()
	return openDataDir(t, d.db, d.files)
}

func (d *dataDir) view(t *testing.T, u *store.User) *storage.View {
	t.Helper()
	return newView(t, d.st, newRules(t, d.st), d.tree, u)
}

// newRules is the shipped rules over st.
func newRules(t *testing.T, st *store.Store) *authz.Enforcer {
	t.Helper()
	rules, err := authz.New(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return rules
}

// uploadEvents returns the upload events in the outbox for vpath, by type.
func uploadEvents(t *testing.T, st *store.Store, vpath string) map[string]int {
	t.Helper()
	evs, err := st.EventsAfter(context.Background(), 0, 1000)
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

func pendingUploads(t *testing.T, st *store.Store) []store.PendingUpload {
	t.Helper()
	p, err := st.PendingUploads(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestCrashBetweenRenameAndAuditIsSettledAtStart: the upload stops (as the
// process would die) after each step of putting it in place, and the data
// dir is opened again. A file that made it into place gets its audit row
// and exactly one upload.completed event at the next start; one that did
// not is audited as failed and nothing of it is visible. Either way no file
// is in place that no event names.
func TestCrashBetweenRenameAndAuditIsSettledAtStart(t *testing.T) {
	t.Parallel()
	const old, neu = "%PDF-1.4 version anterior", "%PDF-1.4 version nueva, mas larga"
	for _, c := range []struct {
		crashAfter string
		overwrite  bool
		inPlace    bool // the rename happened before the crash
	}{
		{"pending", false, false},
		{"pending", true, false},
		// The note is durable, the data not yet: they are written at once.
		{"pending before fsync data", false, false},
		{"pending before fsync data", true, false},
		{"rename", false, true},
		{"rename", true, true},
		{"fsync folder", false, true},
		{"fsync folder", true, true},
	} {
		name := "crash after " + c.crashAfter
		if c.overwrite {
			name += " of an overwrite"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			top := t.TempDir()
			d := openDataDir(t, filepath.Join(top, "custodia.db"), filepath.Join(top, "files"))
			if _, err := d.st.CreateClient(ctx, "ACME", "ACME S.A."); err != nil {
				t.Fatal(err)
			}
			root := addUser(t, d.st, "root", store.RoleAdmin)
			vpath, rel := "/dossiers/ACME/2026/pedimento.pdf", "dossiers/ACME/2026/pedimento.pdf"
			disk := filepath.Join(d.files, filepath.FromSlash(rel))
			writeFile(t, filepath.Join(d.files, "dossiers/ACME/2026/.keep"), "")
			if c.overwrite {
				writeFile(t, disk, old)
			}
			act := map[bool]string{false: "write", true: "overwrite"}[c.overwrite]

			storage.SetCrash(d.tree, c.crashAfter)
			u, err := d.view(t, root).Create(ctx, vpath)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := u.Write([]byte(neu)); err != nil {
				t.Fatal(err)
			}
			if err := u.Close(); err == nil {
				t.Fatalf("an upload that crashed after %s was acknowledged", c.crashAfter)
			}
			if n := len(pendingUploads(t, d.st)); n != 1 {
				t.Fatalf("the crash left %d pending uploads in the store, want the one that crashed", n)
			}

			d = d.restart(t)
			settled, err := d.tree.Reconcile(ctx, d.st)
			if err != nil {
				t.Fatalf("reconciling at start: %v", err)
			}
			if len(settled) != 1 {
				t.Errorf("the start settled %d uploads, want 1", len(settled))
			}
			got, err := os.ReadFile(disk)
			evs := uploadEvents(t, d.st, vpath)
			a, ok := lastAuditOf(t, d.st, act, vpath)
			switch {
			case c.inPlace:
				if string(got) != neu {
					t.Errorf("after the start %s holds %q (%v), want the new content", vpath, got, err)
				}
				if !ok || a.Result != store.ResultOK || a.SHA256 != sha256Hex([]byte(neu)) ||
					a.Bytes != int64(len(neu)) || !strings.Contains(a.Reason, "recovered") || a.User != "root" {
					t.Errorf("the file in place is audited as %+v, want %s ok by root with its size, sha256 and a reason saying it was recovered", a, act)
				}
				if evs[store.EventUploadCompleted] != 1 || evs[store.EventUploadFailed] != 0 {
					t.Errorf("the outbox holds %v for %s, want one upload.completed", evs, vpath)
				}
			default:
				want := ""
				if c.overwrite {
					want = old
				}
				if string(got) != want || (!c.overwrite && !errors.Is(err, os.ErrNotExist)) {
					t.Errorf("after the start %s holds %q (%v), want what was there before the upload", vpath, got, err)
				}
				if !ok || a.Result != store.ResultFailed || a.SHA256 != "" {
					t.Errorf("the upload that never made it is audited as %+v, want %s failed", a, act)
				}
				if evs[store.EventUploadCompleted] != 0 || evs[store.EventUploadFailed] != 1 {
					t.Errorf("the outbox holds %v for %s, want one upload.failed", evs, vpath)
				}
			}
			if p := pendingUploads(t, d.st); len(p) != 0 {
				t.Errorf("after the start %d uploads are still pending", len(p))
			}
			d = d.restart(t)
			if again, err := d.tree.Reconcile(ctx, d.st); err != nil || len(again) != 0 {
				t.Errorf("a second start settled %d uploads again (%v), want none", len(again), err)
			}
		})
	}
}

// lastAuditOf is the newest audit row of action on vpath.
func lastAuditOf(t *testing.T, st *store.Store, action, vpath string) (store.AuditEntry, bool) {
	t.Helper()
	rows, err := st.QueryAudit(context.Background(), store.AuditQuery{Action: action, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].VPath == vpath {
			return rows[i], true
		}
	}
	return store.AuditEntry{}, false
}

package backup

import (
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// restoreFixture is a runner over a department whose admin view makes
// changes, and a manager who approves restores.
type restoreFixture struct {
	r       *Runner
	st      *store.Store
	view    *storage.View
	files   string
	ids     []age.Identity
	manager *store.User
}

func newRestoreFixture(t *testing.T) *restoreFixture {
	t.Helper()
	ctx := t.Context()
	st := openStore(t)
	enf, err := authz.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	filesDir := filepath.Join(t.TempDir(), "files")
	files, err := storage.OpenFiles(filesDir, []string{"operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	v, err := storage.NewView(ctx, storage.ViewOptions{User: newUser(t, st, "sys", store.RoleAdmin, ""), Files: files,
		Decider: enf, Auditor: st, Session: storage.Session{ID: "s", Protocol: "sftp", Remote: "127.0.0.1:1"}})
	if err != nil {
		t.Fatal(err)
	}
	id := newIdentity(t)
	r := New(Options{Store: st, FilesDir: filesDir, Local: Local{Dir: t.TempDir()},
		Recipients: []age.Recipient{id.Recipient()}, Rules: enf, Location: time.UTC,
		Jobs: []Job{{Name: "departments", Source: "/departments", Keep: Retention{Daily: 30}}}})
	return &restoreFixture{r: r, st: st, view: v, files: filesDir, ids: []age.Identity{id},
		manager: newUser(t, st, "olga", store.RoleManager, "operaciones")}
}

// approved records and approves a request of backup id for prefix.
func (f *restoreFixture) approved(t *testing.T, id, prefix string) string {
	t.Helper()
	q, err := f.r.Request(t.Context(), id, prefix, "prueba", "someone")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.Approve(t.Context(), q.ID, f.manager); err != nil {
		t.Fatal(err)
	}
	return q.ID
}

// A folder renamed away before the incremental is gone from a restore of
// a path below it, as it was at the time of that backup.
func TestRestoreBelowAFolderRenamedAway(t *testing.T) {
	f := newRestoreFixture(t)
	ctx := t.Context()
	const ops = "/departments/operaciones"
	for _, d := range []string{ops + "/A", ops + "/A/sub"} {
		if err := f.view.Mkdir(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	put(t, f.view, ops+"/A/sub/x.txt", "x")
	if _, err := f.r.Run(ctx, "departments", Full); err != nil {
		t.Fatal(err)
	}
	if err := f.view.Rename(ctx, ops+"/A", ops+"/B", false); err != nil {
		t.Fatal(err)
	}
	incr, err := f.r.Run(ctx, "departments", Incremental)
	if err != nil || incr.Kind != Incremental {
		t.Fatalf("incremental: %v %s", err, incr.Kind)
	}
	req := f.approved(t, incr.ID, ops+"/A/sub")
	if _, _, err := f.r.Restore(ctx, req, f.ids); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(f.files, "restores", req, "departments/operaciones/A/sub/x.txt")
	if _, err := os.Stat(stale); err == nil {
		t.Errorf("%s is restored, but its folder was renamed away before the backup", stale)
	}
}

// Two runs of one approved request at once: exactly one restores, the
// other is refused, and the folder is whole.
func TestRestoreRunsOnce(t *testing.T) {
	f := newRestoreFixture(t)
	ctx := t.Context()
	const ops = "/departments/operaciones"
	for i := range 50 {
		put(t, f.view, ops+"/f"+string(rune('a'+i%26))+string(rune('a'+i/26))+".txt", "contenido")
	}
	b, err := f.r.Run(ctx, "departments", Full)
	if err != nil {
		t.Fatal(err)
	}
	for try := range 5 {
		req := f.approved(t, b.ID, ops)
		var wg sync.WaitGroup
		results := make([]int, 2)
		errs := make([]error, 2)
		for i := range 2 {
			wg.Go(func() { _, results[i], errs[i] = f.r.Restore(ctx, req, f.ids) })
		}
		wg.Wait()
		ok := 0
		for i := range 2 {
			if errs[i] == nil {
				ok++
				if results[i] != 50 {
					t.Errorf("try %d: restored %d files, want 50", try, results[i])
				}
			}
		}
		if ok != 1 {
			t.Fatalf("try %d: %d runs succeeded (%v), want exactly 1", try, ok, errs)
		}
		names, _ := os.ReadDir(filepath.Join(f.files, "restores", req, "departments", "operaciones"))
		if len(names) != 50 {
			t.Errorf("try %d: the restored folder holds %d files, want 50", try, len(names))
		}
	}
}

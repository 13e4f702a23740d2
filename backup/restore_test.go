package backup

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
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
	r        *Runner
	st       *store.Store
	view     *storage.View
	files    string
	ids      []age.Identity
	enf      *authz.Enforcer
	filesDir *storage.Files
	manager  *store.User
}

func newRestoreFixture(t *testing.T) *restoreFixture { return newRestoreFixtureOf(t, "/departments") }

// newRestoreFixtureOf's job "departments" backs up source.
func newRestoreFixtureOf(t *testing.T, source string) *restoreFixture {
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
		Jobs: []Job{{Name: "departments", Source: source, Keep: Retention{Daily: 30}}}})
	return &restoreFixture{r: r, st: st, view: v, enf: enf, filesDir: files, files: filesDir, ids: []age.Identity{id},
		manager: newUser(t, st, "olga", store.RoleManager, "operaciones")}
}

// approved records and approves a request of backup id for prefix.
func (f *restoreFixture) approved(t *testing.T, id, prefix string) string {
	t.Helper()
	q, err := f.r.Request(t.Context(), id, prefix, "prueba", "os:someone", "os:someone")
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
	t.Parallel()
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
	if _, err := f.r.Restore(ctx, req, f.ids); err != nil {
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
	t.Parallel()
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
			wg.Go(func() {
				res, err := f.r.Restore(ctx, req, f.ids)
				results[i], errs[i] = res.Files, err
			})
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

// A folder above the job's source renamed away, and the source made anew:
// the incremental's restore holds only what the source holds now.
func TestIncrementalSeesRenamesAboveTheSource(t *testing.T) {
	t.Parallel()
	const src = "/departments/operaciones/reportes/2026"
	f := newRestoreFixtureOf(t, src)
	ctx := t.Context()
	for _, d := range []string{"/departments/operaciones/reportes", src} {
		if err := f.view.Mkdir(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	put(t, f.view, src+"/viejo.txt", "viejo")
	if _, err := f.r.Run(ctx, "departments", Full); err != nil {
		t.Fatal(err)
	}
	if err := f.view.Rename(ctx, "/departments/operaciones/reportes", "/departments/operaciones/archivo", false); err != nil {
		t.Fatal(err)
	}
	for _, d := range []string{"/departments/operaciones/reportes", src} {
		if err := f.view.Mkdir(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	put(t, f.view, src+"/nuevo.txt", "nuevo")
	incr, err := f.r.Run(ctx, "departments", Incremental)
	if err != nil || incr.Kind != Incremental {
		t.Fatalf("incremental: %v %s", err, incr.Kind)
	}
	req := f.approved(t, incr.ID, src)
	if _, err := f.r.Restore(ctx, req, f.ids); err != nil {
		t.Fatal(err)
	}
	got := tree(t, filepath.Join(f.files, "restores", req, filepath.FromSlash(src[1:])))
	want := tree(t, filepath.Join(f.files, filepath.FromSlash(src[1:])))
	if len(got) != len(want) || got["nuevo.txt"] != want["nuevo.txt"] || got["viejo.txt"] != "" {
		t.Errorf("restored %v, want the live %v", got, want)
	}
}

// A requester whose name has capitals reads their restored files; an
// expired manager, and a manager who asked from the CLI as their OS
// account, cannot approve.
func TestRestoreRequesterAndApproverAccounts(t *testing.T) {
	t.Parallel()
	f := newRestoreFixture(t)
	ctx := t.Context()
	put(t, f.view, "/departments/operaciones/a.txt", "a")
	b, err := f.r.Run(ctx, "departments", Full)
	if err != nil {
		t.Fatal(err)
	}
	rosa := newUser(t, f.st, "Rosa", store.RoleStaff, "operaciones")
	q, err := f.r.Request(ctx, b.ID, "/departments/operaciones/", "prueba", rosa.Name, rosa.Name)
	if err != nil {
		t.Fatal(err)
	}
	if q.Path != "/departments/operaciones" {
		t.Errorf("the request's path is %q, want it without the trailing /", q.Path)
	}
	past := time.Now().Add(-time.Hour)
	expired := newUser(t, f.st, "viejo", store.RoleManager, "operaciones")
	expired.ExpiresAt = &past
	if _, err := f.r.Approve(ctx, q.ID, expired); !errors.Is(err, store.ErrRestoreRefused) {
		t.Errorf("an expired manager approved: %v", err)
	}
	if _, err := f.r.Approve(ctx, q.ID, f.manager); err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.Restore(ctx, q.ID, f.ids); err != nil {
		t.Fatal(err)
	}
	if err := f.enf.Reload(ctx); err != nil {
		t.Fatal(err)
	}
	v, err := storage.NewView(ctx, storage.ViewOptions{User: rosa, Files: f.filesDir, Decider: f.enf, Auditor: f.st,
		Session: storage.Session{ID: "r", Protocol: "sftp", Remote: "127.0.0.1:2"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := v.Stat(ctx, "/restores/"+q.ID+"/departments/operaciones/a.txt"); err != nil {
		t.Errorf("Rosa cannot see her restored file: %v", err)
	}

	own, err := f.r.Request(ctx, b.ID, "/departments/operaciones", "prueba", "os:"+f.manager.Name, "os:"+f.manager.Name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.r.Approve(ctx, own.ID, f.manager); !errors.Is(err, store.ErrRestoreRefused) {
		t.Errorf("olga approved the request she made as os:olga: %v", err)
	}
}

// A second run of a job while one holds it is refused.
func TestRunRefusedWhileTheJobRuns(t *testing.T) {
	t.Parallel()
	f := newRestoreFixture(t)
	_, unlock, err := f.r.lockJob(t.Context(), "departments")
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	if _, err := f.r.Run(t.Context(), "departments", Full); err == nil || !strings.Contains(err.Error(), "already running") {
		t.Errorf("a second run: %v", err)
	}
	if _, err := f.r.Prune(t.Context(), "departments"); err == nil {
		t.Error("a prune during a run")
	}
}

// TestRestoreFilerCannotApprove: a manager who filed a request in another
// user's name (from the CLI as their OS account) cannot approve it; the
// request records both, and another manager of the department approves.
func TestRestoreFilerCannotApprove(t *testing.T) {
	t.Parallel()
	f := newRestoreFixture(t)
	ctx := t.Context()
	put(t, f.view, "/departments/operaciones/a.txt", "a")
	b, err := f.r.Run(ctx, "departments", Full)
	if err != nil {
		t.Fatal(err)
	}
	rosa := newUser(t, f.st, "rosa", store.RoleStaff, "operaciones")
	filer := "os:" + f.manager.Name
	q, err := f.r.Request(ctx, b.ID, "/departments/operaciones", "prueba", rosa.Name, filer)
	if err != nil {
		t.Fatal(err)
	}
	if q.Requester != rosa.Name || q.FiledBy != filer {
		t.Errorf("the request records requester %q, filed by %q; want %q, %q", q.Requester, q.FiledBy, rosa.Name, filer)
	}
	if _, err := f.r.Approve(ctx, q.ID, f.manager); !errors.Is(err, store.ErrRestoreRefused) || !strings.Contains(err.Error(), "filed restore") {
		t.Errorf("%s approved the request they filed for rosa: %v", f.manager.Name, err)
	}
	other := newUser(t, f.st, "otra", store.RoleManager, "operaciones")
	if _, err := f.r.Approve(ctx, q.ID, other); err != nil {
		t.Errorf("another manager's approval: %v", err)
	}
	if _, err := f.r.Request(ctx, b.ID, "/departments/operaciones", "prueba", rosa.Name, ""); !errors.Is(err, store.ErrRestoreInvalid) {
		t.Errorf("a request without its filer: %v", err)
	}
}

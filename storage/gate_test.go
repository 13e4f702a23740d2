package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// swapDecider answers with the real rules, and the first time it is asked
// for act on object it runs swap first: a change on disk between what an
// operation checked and what it opens, at our own seam (storage.Decider).
type swapDecider struct {
	rules  *authz.Enforcer
	mu     sync.Mutex
	act    authz.Action
	object string
	swap   func()
}

func (d *swapDecider) Decide(ctx context.Context, req authz.Request) (authz.Decision, error) {
	d.mu.Lock()
	if d.swap != nil && req.Action == d.act && req.Object == d.object {
		d.swap()
		d.swap = nil
	}
	d.mu.Unlock()
	return d.rules.Decide(ctx, req)
}

func (d *swapDecider) on(act authz.Action, object string, swap func()) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.act, d.object, d.swap = act, object, swap
}

// plantFIFO replaces the file or folder at name with a FIFO (what was
// there is moved aside). When the test ends, both ends of the FIFO are
// opened once, so that an operation stuck opening it can finish.
func plantFIFO(t *testing.T, name string) {
	t.Helper()
	if err := os.Rename(name, name+".aside"); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	if err := syscall.Mkfifo(name, 0o640); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { releaseFIFO(name) })
}

// releaseFIFO opens both ends of a FIFO without blocking, which lets an
// open blocked on the other end return.
func releaseFIFO(name string) {
	for _, flag := range []int{os.O_WRONLY, os.O_RDONLY} {
		if f, err := os.OpenFile(name, flag|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	}
}

// promptly runs op and fails the test if it does not return within
// opTimeout; the FIFO is then released so that op can end.
func promptly(t *testing.T, what, fifo string, op func() error) error {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return err
	case <-time.After(opTimeout):
		t.Errorf("%s blocked for %v on a FIFO planted on disk", what, opTimeout)
		for {
			releaseFIFO(fifo)
			select {
			case err := <-done:
				return err
			case <-time.After(10 * time.Millisecond):
			}
		}
	}
}

// TestEveryOpenGoesThroughTheGate: a FIFO that appears on disk between
// what an operation checked and what it opens (a file swapped for a FIFO
// while the decision is asked; an upload's folder swapped while the
// upload is in flight) is refused at once, as not there: dead properties
// read and written, a rename's folder, an upload's commit, the fsync of a
// folder. Before the gate, each of these opened the FIFO and waited for a
// writer for ever.
func TestEveryOpenGoesThroughTheGate(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	u, err := e.st.CreateUser(ctx, store.NewUser{Name: "ana", Role: store.RoleStaff, Department: "operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	dec := &swapDecider{rules: e.rules}
	v, err := storage.NewView(ctx, storage.ViewOptions{
		User: u, Files: e.files, Decider: dec, Auditor: e.st,
		Session: storage.Session{ID: "s-ana", Protocol: "test", Remote: "192.0.2.1:50000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	dept := "departments/operaciones/"
	obj := func(rel string) string { return "/" + dept + rel }

	cases := []struct {
		name  string
		fifo  string // where the FIFO appears, inside the department
		setup func(fifo string)
		op    func() error
	}{
		{"read dead properties", "props.txt", func(fifo string) {
			e.write(t, dept+"props.txt", "x")
			dec.on(authz.List, obj("props.txt"), func() { plantFIFO(t, fifo) })
		}, func() error { _, err := v.DeadProps(ctx, "/operaciones/props.txt"); return err }},
		{"set dead properties", "setprops.txt", func(fifo string) {
			e.write(t, dept+"setprops.txt", "x")
			dec.on(authz.Overwrite, obj("setprops.txt"), func() { plantFIFO(t, fifo) })
		}, func() error {
			return v.SetDeadProps(ctx, "/operaciones/setprops.txt", map[string][]byte{"{DAV:}x": []byte("<x/>")})
		}},
		{"rename into a folder", "into", func(fifo string) {
			e.write(t, dept+"move.txt", "x")
			e.write(t, dept+"into/keep.txt", "x")
			dec.on(authz.Rename, obj("into/move.txt"), func() { plantFIFO(t, fifo) })
		}, func() error { return v.Rename(ctx, "/operaciones/move.txt", "/operaciones/into/move.txt", false) }},
		{"commit an upload", "uploads", func(string) {
			e.write(t, dept+"uploads/keep.txt", "x")
		}, func() error {
			up, err := v.Create(ctx, "/operaciones/uploads/new.txt")
			if err != nil {
				return err
			}
			up.Write([]byte("data"))
			plantFIFO(t, e.path(dept+"uploads")) // the folder goes while the upload is open
			return up.Close()
		}},
		{"fsync a folder", "syncme", func(fifo string) { plantFIFO(t, fifo) },
			func() error { return storage.SyncDir(e.files, dept+"syncme") }},
	}
	for _, c := range cases {
		fifo := e.path(dept + c.fifo)
		c.setup(fifo)
		err := promptly(t, c.name, fifo, c.op)
		if !errors.Is(err, storage.ErrNotFound) && !errors.Is(err, os.ErrNotExist) && !errors.Is(err, syscall.ENOTDIR) {
			t.Errorf("%s with a FIFO planted at %s: %v, want not found", c.name, c.fifo, err)
		}
		if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
			t.Errorf("%s: the FIFO at %s was replaced (%v, %v)", c.name, c.fifo, fi, err)
		}
	}
	if left := e.incoming(t); len(left) > 0 {
		t.Errorf("refused operations left %q in .incoming.", left)
	}
}

// TestOnlyTheGateOpens keeps the rule in one function: no file of the
// package but gate.go opens or reads a file by name (os.Root's OpenRoot
// opens folders only, with O_DIRECTORY, and cannot block).
func TestOnlyTheGateOpens(t *testing.T) {
	t.Parallel()
	opens := regexp.MustCompile(`\b(os|root|incoming|r\.root|sr\.root|dr\.root|f\.root|f\.incoming)\.(Open|OpenFile|ReadFile|ReadDir|Create|OpenInRoot|FS)\(` +
		`|\bfs\.(WalkDir|ReadDir|ReadFile|Glob|Sub)\(|\.FS\(\)`)
	names, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range names {
		if name == "gate.go" || strings.HasSuffix(name, "_test.go") {
			continue
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		for i, line := range strings.Split(string(b), "\n") {
			if opens.MatchString(line) {
				t.Errorf("%s:%d opens around the gate (openServed): %s", name, i+1, strings.TrimSpace(line))
			}
		}
	}
}

package storage_test

import (
	"context"
	"errors"
	"maps"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// errDecide is the failure brokenDecider injects.
var errDecide = errors.New("injected: policy store unreachable")

// How brokenDecider fails.
const (
	decideWorks    = iota
	decideFails    // every decision fails
	decideListOnly // listing is decided by the rules, every other action fails
)

// brokenDecider answers with the real rules until it is broken, then
// fails decisions: a fault at our own seam, storage.Decider.
type brokenDecider struct {
	rules *authz.Enforcer
	mode  atomic.Int32
}

func (d *brokenDecider) Decide(ctx context.Context, req authz.Request) (authz.Decision, error) {
	switch d.mode.Load() {
	case decideFails:
		return authz.Decision{}, errDecide
	case decideListOnly:
		if req.Action != authz.List {
			return authz.Decision{}, errDecide
		}
	}
	return d.rules.Decide(ctx, req)
}

// TestDecisionErrorDeniesEverything: when the decider fails, no View
// operation goes through, nothing on disk changes, and every refusal is
// audited as a denial that names the failed decision. The user is staff
// of operaciones, whom the rules allow everything in the folder, so only
// the failing decision can refuse. It runs twice: with every decision
// failing, and with only the operation's own action failing (listing
// works), so that the final check of each operation is tested on its own.
func TestDecisionErrorDeniesEverything(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	e.write(t, "departments/operaciones/reporte.txt", "reporte de marzo")
	e.write(t, "departments/operaciones/viejo.txt", "borrador")
	if err := os.Mkdir(e.path("departments/operaciones/vacia"), 0o750); err != nil {
		t.Fatal(err)
	}
	u, err := e.st.CreateUser(ctx, store.NewUser{Name: "ana", Role: store.RoleStaff, Department: "operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	dec := &brokenDecider{rules: e.rules}
	v, err := storage.NewView(ctx, storage.ViewOptions{
		User: u, Files: e.files, Decider: dec, Auditor: e.st,
		Session: storage.Session{ID: "s-ana", Protocol: "test", Remote: "192.0.2.1:50000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	// The rules allow ana all of this; check it once before breaking them.
	if _, err := v.Stat(ctx, "/operaciones/reporte.txt"); err != nil {
		t.Fatalf("with a working decider, staff ana cannot stat /operaciones/reporte.txt: %v", err)
	}
	before := snapshot(t, e.dir, e.path(".incoming"))

	ops := []struct {
		name     string
		listOnly bool // needs nothing but list: goes through while listing works
		run      func() error
	}{
		{"stat", true, func() error { _, err := v.Stat(ctx, "/operaciones/reporte.txt"); return err }},
		{"list", true, func() error { _, err := v.ReadDir(ctx, "/operaciones"); return err }},
		{"open", false, func() error {
			d, err := v.Open(ctx, "/operaciones/reporte.txt")
			if err == nil {
				d.Close()
			}
			return err
		}},
		{"create", false, func() error { return upload(ctx, v, "/operaciones/nuevo.txt", "nuevo") }},
		{"overwrite", false, func() error { return upload(ctx, v, "/operaciones/reporte.txt", "reemplazo") }},
		{"append", false, func() error {
			up, err := v.Append(ctx, "/operaciones/reporte.txt", -1)
			if err != nil {
				return err
			}
			up.Write([]byte(" y más"))
			return up.Close()
		}},
		{"mkdir", false, func() error { return v.Mkdir(ctx, "/operaciones/carpeta") }},
		{"remove", false, func() error { return v.Remove(ctx, "/operaciones/viejo.txt") }},
		{"rmdir", false, func() error { return v.RemoveDir(ctx, "/operaciones/vacia") }},
		{"rename", false, func() error { return v.Rename(ctx, "/operaciones/viejo.txt", "/operaciones/nuevo-nombre.txt", false) }},
		{"rename over", false, func() error { return v.Rename(ctx, "/operaciones/viejo.txt", "/operaciones/reporte.txt", true) }},
		{"chtimes", false, func() error {
			return v.Chtimes(ctx, "/operaciones/reporte.txt", time.Unix(1, 0), time.Unix(1, 0))
		}},
		{"props", true, func() error { _, err := v.DeadProps(ctx, "/operaciones/reporte.txt"); return err }},
		{"set props", false, func() error {
			return v.SetDeadProps(ctx, "/operaciones/reporte.txt", map[string][]byte{"{DAV:}x": []byte("<x/>")})
		}},
		{"check write", false, func() error { return v.Check(ctx, authz.Write, "/operaciones/nuevo.txt") }},
		{"check delete", false, func() error { return v.Check(ctx, authz.Delete, "/operaciones/viejo.txt") }},
	}
	for _, mode := range []int32{decideFails, decideListOnly} {
		dec.mode.Store(mode)
		for _, op := range ops {
			if mode == decideListOnly && op.listOnly {
				continue
			}
			checkRefused(t, e.st, op.name, mode, op.run)
		}
	}
	if after := snapshot(t, e.dir, e.path(".incoming")); !maps.Equal(before, after) {
		t.Errorf("operations refused for a failed decision changed the disk:\nbefore %v\nafter  %v", before, after)
	}
	if left := e.incoming(t); len(left) > 0 {
		t.Errorf("refused uploads left %q in .incoming.", left)
	}
}

// checkRefused runs one operation of ana's while decisions fail, and
// checks that it is refused and audited as a denial naming the failure.
func checkRefused(t *testing.T, st *store.Store, name string, mode int32, run func() error) {
	t.Helper()
	if mode == decideListOnly {
		name += " (listing works)"
	}
	rows := auditCount(t, st, "ana")
	err := run()
	if err == nil {
		t.Errorf("%s went through although the decision failed.", name)
		return
	}
	if !errors.Is(err, storage.ErrDenied) && !errors.Is(err, storage.ErrNotFound) {
		t.Errorf("%s with a failed decision returned %v, want ErrDenied or ErrNotFound.", name, err)
	}
	if strings.Contains(err.Error(), errDecide.Error()) {
		t.Errorf("%s tells the client why the decision failed: %q.", name, err)
	}
	audited := auditSince(t, st, "ana", rows)
	if len(audited) == 0 {
		t.Errorf("%s refused for a failed decision wrote no audit row.", name)
	}
	for _, r := range audited {
		if r.Result != store.ResultDenied || !strings.Contains(r.Reason, "decision failed") ||
			!strings.Contains(r.Reason, errDecide.Error()) {
			t.Errorf("%s is audited as %q %q, want a denial whose reason names the failed decision.",
				name, r.Result, r.Reason)
		}
	}
}

// upload writes content to name through v and closes it.
func upload(ctx context.Context, v *storage.View, name, content string) error {
	up, err := v.Create(ctx, name)
	if err != nil {
		return err
	}
	if _, err := up.Write([]byte(content)); err != nil {
		up.TransferError(err)
		up.Close()
		return err
	}
	return up.Close()
}

// auditCount is the number of audit rows of user so far.
func auditCount(t *testing.T, st *store.Store, user string) int {
	t.Helper()
	rows, err := st.QueryAudit(context.Background(), store.AuditQuery{User: user, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return len(rows)
}

// auditSince returns user's audit rows after the first n.
func auditSince(t *testing.T, st *store.Store, user string, n int) []store.AuditEntry {
	t.Helper()
	rows, err := st.QueryAudit(context.Background(), store.AuditQuery{User: user, Limit: 100000})
	if err != nil {
		t.Fatal(err)
	}
	return rows[n:]
}

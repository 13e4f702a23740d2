package backup

import (
	"testing"
	"time"

	"filippo.io/age"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// What the external tests (package backup_test, which may import
// internal/testkit) use of the package's internals.

// ArchiveName is archiveName.
func ArchiveName(job, id string) string { return archiveName(job, id) }

// Fixture is a restore fixture whose runner also writes to a remote.
type Fixture struct {
	R        *Runner
	St       *store.Store
	View     *storage.View
	Files    string // the files tree
	LocalDir string // the local target
	IDs      []age.Identity
	f        *restoreFixture
}

// NewRemoteFixture is newRestoreFixture (job "departments" over
// /departments) with remote as a target, retention keep, the clock now
// and metrics in reg (either may be nil).
func NewRemoteFixture(t *testing.T, remote Remote, keep Retention, now func() time.Time, reg prometheus.Registerer) *Fixture {
	t.Helper()
	f := newRestoreFixture(t)
	o := f.r.o
	o.Remotes, o.Now, o.Metrics = []Remote{remote}, now, reg
	o.Jobs = []Job{{Name: "departments", Source: "/departments", Keep: keep}}
	f.r = New(o)
	return &Fixture{R: f.r, St: f.st, View: f.view, Files: f.files, LocalDir: o.Local.Dir, IDs: f.ids, f: f}
}

// Approved files and approves a restore of backup id for prefix.
func (f *Fixture) Approved(t *testing.T, id, prefix string) string {
	return f.f.approved(t, id, prefix)
}

// Put writes a file through the fixture's view.
func (f *Fixture) Put(t *testing.T, vpath, body string) { put(t, f.View, vpath, body) }

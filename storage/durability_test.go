package storage_test

import (
	"context"
	"strings"
	"sync"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// stepLog records durability steps in the order they happen.
type stepLog struct {
	mu    sync.Mutex
	steps []string
}

func (l *stepLog) add(step string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.steps = append(l.steps, step)
}

func (l *stepLog) get() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string(nil), l.steps...)
}

// loggedAuditor writes to the store and then logs that the row is in.
type loggedAuditor struct {
	st  *store.Store
	log *stepLog
}

func (a loggedAuditor) Audit(ctx context.Context, e store.AuditEntry) error {
	err := a.st.Audit(ctx, e)
	if err == nil {
		a.log.add("audit " + e.Action + " " + string(e.Result))
	}
	return err
}

func (a loggedAuditor) BeginUpload(ctx context.Context, e store.AuditEntry) (int64, error) {
	id, err := a.st.BeginUpload(ctx, e)
	if err == nil {
		a.log.add("pending " + e.Action)
	}
	return id, err
}

func (a loggedAuditor) CommitUpload(ctx context.Context, id int64, e store.AuditEntry) (int64, error) {
	row, err := a.st.CommitUpload(ctx, id, e)
	if err == nil {
		a.log.add("audit " + e.Action + " " + string(e.Result))
	}
	return row, err
}

// TestUploadDurabilityOrder: an upload is acknowledged only after its
// data is fsynced and it is noted as pending (in either order), it is
// renamed into place, its folder is fsynced and its audit row is
// committed, in that order: an
// acknowledged upload survives a power cut, no audit row announces a file
// that a crash could lose, and no file is in place that the store does
// not know about.
func TestUploadDurabilityOrder(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	e.write(t, "dossiers/ACME/2026/existente.pdf", "antes")
	log := &stepLog{}
	storage.SetTrace(e.files, func(step, name string) {
		if step == "fsync data" {
			name = ".incoming" // the temporary name is random
		}
		log.add(step + " " + name)
	})
	mk := func(name string, role store.Role, clients ...string) *storage.View {
		v, err := storage.NewView(ctx, storage.ViewOptions{
			User: addUser(t, e.st, name, role, clients...), Files: e.files, Decider: e.rules,
			Auditor: loggedAuditor{st: e.st, log: log},
			Session: storage.Session{ID: "s-" + name, Protocol: "test", Remote: "192.0.2.1:50000"},
		})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	corr, admin := mk("corr", store.RoleCorrespondent, "ACME"), mk("root", store.RoleAdmin)

	for _, c := range []struct {
		who        *storage.View
		vpath, act string
		spath      string
	}{
		{corr, "/ACME/2026/nuevo.pdf", "write", "/dossiers/ACME/2026/nuevo.pdf"},
		{admin, "/dossiers/ACME/2026/existente.pdf", "overwrite", "/dossiers/ACME/2026/existente.pdf"},
	} {
		u, err := c.who.Create(ctx, c.vpath)
		if err != nil {
			t.Fatalf("cannot create %s: %v", c.vpath, err)
		}
		if _, err := u.Write([]byte("contenido durable")); err != nil {
			t.Fatal(err)
		}
		n := len(log.get())
		if err := u.Close(); err != nil {
			t.Fatalf("closing the upload of %s: %v", c.vpath, err)
		}
		log.add("reply")
		got := log.get()[n:]
		// The data's fsync and the pending note run at once: either may
		// be first, and both come before the rename.
		if len(got) >= 2 && got[0] == "pending "+c.act {
			got[0], got[1] = got[1], got[0]
		}
		want := []string{
			"fsync data .incoming",
			"pending " + c.act,
			"rename " + c.spath,
			"fsync folder /dossiers/ACME/2026",
			"audit " + c.act + " ok",
			"reply",
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("the %s of %s went through\n\t%s\nwant\n\t%s", c.act, c.vpath,
				strings.Join(got, "\n\t"), strings.Join(want, "\n\t"))
		}
	}
}

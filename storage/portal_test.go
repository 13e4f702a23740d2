package storage_test

import (
	"context"
	"errors"
	"testing"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// TestUploadAuditIDNamesItsRow: after a successful Close, an upload's
// AuditID is the id of the ok audit row that records it (what a receipt
// names it by); before Close, and for an upload that failed, it is 0.
func TestUploadAuditIDNamesItsRow(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	v := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	var ids []int64
	for _, name := range []string{"/ACME/a.pdf", "/ACME/b.pdf"} {
		u, err := v.CreateNew(ctx, name)
		if err != nil {
			t.Fatalf("corr cannot upload %s: %v", name, err)
		}
		if _, err := u.Write([]byte("%PDF-1.4 " + name)); err != nil {
			t.Fatal(err)
		}
		if id := u.AuditID(); id != 0 {
			t.Errorf("%s has audit id %d before Close", name, id)
		}
		if err := u.Close(); err != nil {
			t.Fatalf("close %s: %v", name, err)
		}
		id := u.AuditID()
		rows, err := e.st.QueryAudit(ctx, store.AuditQuery{IDs: []int64{id}})
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != 1 || rows[0].VPath != name || rows[0].Result != store.ResultOK || rows[0].SHA256 != u.SHA256() {
			t.Fatalf("the audit id %d of %s names %+v, want its ok row with sha256 %s", id, name, rows, u.SHA256())
		}
		ids = append(ids, id)
	}
	if ids[0] == ids[1] {
		t.Errorf("two uploads have the same audit id %d", ids[0])
	}

	u, err := v.CreateNew(ctx, "/ACME/c.pdf")
	if err != nil {
		t.Fatal(err)
	}
	u.Write([]byte("half"))
	u.TransferError(errors.New("connection lost"))
	if err := u.Close(); err == nil {
		t.Fatal("an aborted upload closed without error")
	}
	if id := u.AuditID(); id != 0 {
		t.Errorf("an aborted upload has audit id %d, want 0", id)
	}
}

// TestMayAuditsNothing: May answers as Check does for a folder (a
// correspondent may upload into a dossier folder, a client not into its
// own folder, nobody into the root or a folder they cannot see), and
// writes no audit row: a page asks it for every folder it shows.
func TestMayAuditsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME", "BETA")
	e.write(t, "dossiers/ACME/2026/a.pdf", "%PDF")
	e.write(t, "clients/ACME/2026/b.pdf", "%PDF")
	corr := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	client := e.view(t, "cli", store.RoleClient, "ACME")
	cases := []struct {
		v    *storage.View
		name string
		want bool
	}{
		{corr, "/ACME", true},
		{corr, "/ACME/2026", true},
		{corr, "/", false},
		{corr, "/BETA", false},
		{corr, "/ACME/nothere", false},
		{client, "/ACME", false},
		{client, "/ACME/2026", false},
	}
	rows := func() int {
		r, err := e.st.QueryAudit(ctx, store.AuditQuery{Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		return len(r)
	}
	before := rows()
	for _, c := range cases {
		if got := c.v.May(ctx, authz.Write, c.name); got != c.want {
			t.Errorf("%s May write into %s: %v, want %v", c.v.User().Name, c.name, got, c.want)
		}
	}
	if n := rows() - before; n != 0 {
		t.Errorf("May wrote %d audit rows", n)
	}
	for _, c := range cases {
		if checked := c.v.Check(ctx, authz.Write, c.name) == nil; checked != c.want && c.name != "/ACME/nothere" {
			t.Errorf("%s: Check says %v for %s where May says %v", c.v.User().Name, checked, c.name, c.want)
		}
	}
}

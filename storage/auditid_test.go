package storage_test

import (
	"context"
	"errors"
	"testing"

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

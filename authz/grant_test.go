package authz

import (
	"testing"

	"github.com/oaq/custodia/store"
)

// Revoking one restore's grant keeps the listing of /restores while
// another of the user's restores is still granted, and removes it with
// the last one.
func TestRevokeTreeKeepsTheParentForAnotherGrant(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		e, _ := newEnforcerOn(t, db)
		ctx := t.Context()
		u := &store.User{Name: "Luis", Role: store.RoleStaff, Department: "operaciones"}
		for _, dir := range []string{"/restores/r-1", "/restores/r-2"} {
			if err := e.GrantTree(ctx, u, dir); err != nil {
				t.Fatal(err)
			}
		}
		may := func(p string) bool {
			t.Helper()
			ok, err := e.MayRead(ctx, u, p)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		if err := e.RevokeTree(ctx, "luis", "/restores/r-1"); err != nil {
			t.Fatal(err)
		}
		if may("/restores/r-1/departments/operaciones/a.txt") {
			t.Error("luis still reads a revoked restore")
		}
		if !may("/restores/") || !may("/restores/r-2/departments/operaciones/a.txt") {
			t.Error("revoking one restore took the other's grant or the listing of /restores with it")
		}
		if err := e.RevokeTree(ctx, "luis", "/restores/r-2"); err != nil {
			t.Fatal(err)
		}
		if may("/restores/") || may("/restores/r-2/departments/operaciones/a.txt") {
			t.Error("after his last restore's grant, luis still lists /restores or reads r-2")
		}
		if err := e.RevokeTree(ctx, "luis", "/restores/r-2"); err != nil {
			t.Errorf("revoking twice: %v", err)
		}
	})
}

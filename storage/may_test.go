package storage_test

import (
	"context"
	"testing"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

// May answers as Check does, for every role, action and kind of name
// (visible, hidden, new, in a missing folder), and writes no audit row.
func TestMayAgreesWithCheckAndAuditsNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME", "BETA")
	e.write(t, "clients/ACME/2026/factura.pdf", "%PDF")
	e.write(t, "clients/ACME/2026/notas.txt", "notes")
	e.write(t, "clients/BETA/b.pdf", "%PDF")
	e.write(t, "dossiers/ACME/2026/pedimento.pdf", "%PDF")
	e.write(t, "departments/operaciones/reporte.xlsx", "r")
	users := map[string]struct {
		role    store.Role
		clients []string
	}{
		"carla": {store.RoleClient, []string{"ACME"}},
		"juan":  {store.RoleCorrespondent, []string{"ACME"}},
		"ana":   {store.RoleStaff, nil},
	}
	names := []string{"/", "/ACME", "/ACME/2026", "/ACME/2026/factura.pdf", "/ACME/2026/notas.txt", "/ACME/2026/nuevo",
		"/ACME/2026/nuevo.pdf", "/ACME/falta/x.pdf", "/BETA/b.pdf", "/operaciones", "/operaciones/reporte.xlsx",
		"/operaciones/nueva", "/operaciones/x.exe", "/ACME/2026/pedimento.pdf"}
	acts := []authz.Action{authz.List, authz.Read, authz.Write, authz.Overwrite, authz.Delete, authz.Rename, authz.Mkdir}
	for name, u := range users {
		uu, err := e.st.CreateUser(ctx, store.NewUser{Name: name, Role: u.role, Clients: u.clients,
			Department: map[bool]string{true: "operaciones"}[u.role == store.RoleStaff]})
		if err != nil {
			t.Fatal(err)
		}
		v := newView(t, e.st, e.rules, e.files, uu)
		audited := func() int {
			rows, err := e.st.QueryAudit(ctx, store.AuditQuery{User: name, Limit: 100000})
			if err != nil {
				t.Fatal(err)
			}
			return len(rows)
		}
		before := audited()
		may := map[string]bool{}
		for _, n := range names {
			for _, act := range acts {
				may[string(act)+" "+n] = v.May(ctx, act, n)
			}
		}
		if after := audited(); after != before {
			t.Errorf("%s: May wrote %d audit rows, want none.", name, after-before)
		}
		allows := 0
		for _, n := range names {
			for _, act := range acts {
				check := v.Check(ctx, act, n)
				if m := may[string(act)+" "+n]; m != (check == nil) {
					t.Errorf("%s: May(%s, %s) = %v but Check says %v.", name, act, n, m, check)
				} else if m {
					allows++
				}
			}
		}
		if allows == 0 {
			t.Errorf("%s may do nothing at all: the table tests no allowed case.", name)
		}
	}
}

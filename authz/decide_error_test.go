package authz

import (
	"context"
	"strings"
	"testing"

	"github.com/oaq/custodia/store"
)

// TestEnforceErrorDenies: a deny rule stored with a malformed glob
// (written to the store directly, past Rule.Validate, as a hand-edited
// database or a bad migration would) makes the matcher fail. Decide must
// then deny with an error, for a request the other rules allow, every time
// it is asked: the failure is neither ignored (which would drop the deny
// rule) nor cached as an answer.
func TestEnforceErrorDenies(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		ctx := context.Background()
		e, st := newEnforcerOn(t, db)
		acme := subject(store.RoleClient, "", "ACME")
		req := Request{Subject: acme, Action: Read, Object: "/clients/ACME/secreto/factura.pdf"}
		if d, err := e.Decide(ctx, req); err != nil || !d.Allow {
			t.Fatalf("before the bad rule, client acme reading %s is %+v, %v; want allowed", req.Object, d, err)
		}

		bad := []string{"client", "/clients/{client}/[secreto/**", "read", "deny"}
		if err := st.Policies().AddPolicy("p", "p", bad); err != nil {
			t.Fatal(err)
		}
		if err := e.Reload(ctx); err != nil {
			t.Fatalf("reloading with a malformed glob: %v", err)
		}
		for i := range 2 {
			d, err := e.Decide(ctx, req)
			if err == nil {
				t.Errorf("decision %d with a malformed stored rule returned no error (%+v): the matcher error was swallowed.", i+1, d)
			}
			if d.Allow {
				t.Errorf("decision %d with a malformed stored rule allowed client acme to read %s: authz must fail closed.", i+1, req.Object)
			}
			if err != nil && !strings.Contains(err.Error(), "authz: decide read "+req.Object) {
				t.Errorf("the decision error %q does not say which request failed.", err)
			}
		}
	})
}

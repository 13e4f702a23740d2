package authz

import (
	"context"
	"testing"

	"github.com/oaq/custodia/store"
)

// TestCachedDecisionAllocatesNothing: a decision already in the cache is
// answered without allocating (issue 17: a folder listing asks once per
// entry). Not parallel: AllocsPerRun counts the whole process.
func TestCachedDecisionAllocatesNothing(t *testing.T) {
	e, _ := newEnforcer(t)
	ctx := context.Background()
	req := Request{Subject: subject(store.RoleCorrespondent, "", "ACME", "BETA"), Action: Write, Object: "/dossiers/BETA/2026/pedimento.pdf"}
	if d, err := e.Decide(ctx, req); err != nil || !d.Allow {
		t.Fatalf("first decision: %v, %v; want allowed", d, err)
	}
	allocs := testing.AllocsPerRun(1000, func() {
		if d, err := e.Decide(ctx, req); err != nil || !d.Allow {
			t.Fatalf("cached decision: %v, %v; want allowed", d, err)
		}
	})
	if allocs != 0 {
		t.Errorf("a cached decision allocates %v times, want 0", allocs)
	}
}

// TestCacheKeyedBySubjectActionObject: a cached answer for one user,
// action or path is never given for another that differs in only one of
// them, and a rule change drops it.
func TestCacheKeyedBySubjectActionObject(t *testing.T) {
	t.Parallel()
	e, _ := newEnforcer(t)
	ctx := context.Background()
	beta := subject(store.RoleCorrespondent, "", "ACME", "BETA")
	acme := subject(store.RoleCorrespondent, "", "ACME") // same name and role, fewer clients
	obj := "/dossiers/BETA/2026/pedimento.pdf"
	cases := []struct {
		sub   *Subject
		act   Action
		obj   string
		allow bool
	}{
		{beta, Write, obj, true},
		{acme, Write, obj, false},
		{beta, Delete, obj, false},
		{beta, Write, "/dossiers/GAMMA/2026/pedimento.pdf", false},
	}
	for round := range 2 { // the second round is answered from the cache
		for _, c := range cases {
			d, err := e.Decide(ctx, Request{Subject: c.sub, Action: c.act, Object: c.obj})
			if err != nil || d.Allow != c.allow {
				t.Errorf("round %d: %s %s %s: %v, %v; want allow=%v", round, c.sub.key, c.act, c.obj, d, err, c.allow)
			}
		}
	}
	deny := Rule{Subject: beta.Principal, Object: obj, Actions: "write", Effect: Deny}
	if err := e.AddRule(ctx, deny); err != nil {
		t.Fatal(err)
	}
	if d, err := e.Decide(ctx, Request{Subject: beta, Action: Write, Object: obj}); err != nil || d.Allow {
		t.Errorf("after a deny rule the cached allow still answers: %v, %v", d, err)
	}
}

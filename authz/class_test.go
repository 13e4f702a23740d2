package authz

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/casbin/casbin/v2/model"
	"github.com/oaq/custodia/store"
)

// TestMatcherUsesObjectOnlyInObjectMatch guards the soundness of decision
// classes (class.go): they assume the request's object reaches the
// matcher only as objectMatch(r.obj, p.obj, r.sub), and that a rule
// applies only when its subject terms and actionMatch hold, the terms
// newPlan evaluates. A matcher of another form must come with a plan
// that follows it.
func TestMatcherUsesObjectOnlyInObjectMatch(t *testing.T) {
	t.Parallel()
	m, err := model.NewModelFromString(modelText)
	if err != nil {
		t.Fatal(err)
	}
	const want = "(g(r_sub.Role, p_sub) || p_sub == r_sub.Unit || p_sub == r_sub.Principal) && " +
		"objectMatch(r_obj, p_obj, r_sub) && actionMatch(r_act, p_act)"
	if got := m["m"]["m"].Value; got != want {
		t.Errorf("model.conf's matcher is\n\t%s\nwant\n\t%s\n(decision classes in class.go depend on its form: update newPlan and this test together)", got, want)
	}
	for sec, as := range m {
		for name, a := range as {
			if sec != "m" && strings.Contains(a.Value, "r_obj") {
				t.Errorf("model.conf's %s %s uses the object: %s (decision classes assume only the matcher does)", sec, name, a.Value)
			}
		}
	}
}

// TestClassDecisionsMatchCasbin compares every decision Decide gives,
// mostly from the class cache, with Casbin's own answer for the same
// request, rule included, over generated paths (placeholders, globs,
// case differences, names holding glob characters) and several policies.
func TestClassDecisionsMatchCasbin(t *testing.T) {
	t.Parallel()
	manyClients := make([]string, 70) // 70² bindings of a two-{client} rule: the fallback
	for i := range manyClients {
		manyClients[i] = fmt.Sprintf("C%02d", i)
	}
	manyClients[0] = "ACME"
	subjects := []*Subject{
		subject(store.RoleClient, "", "ACME"),
		subject(store.RoleClient, "", "acme", "Beta"),
		subject(store.RoleClient, "", "ACME", "A*", "[x]", "{client}"),
		subject(store.RoleCorrespondent, "", "a*", "BETA", "acme"),
		subject(store.RoleCorrespondent, "", "ACME", "BETA"),
		subject(store.RoleCorrespondent, "", manyClients...),
		subject(store.RoleStaff, "operaciones"),
		subject(store.RoleStaff, "Operaciones"),
		subject(store.RoleStaff, "tr*fico"),
		subject(store.RoleManager, "trafico", "ACME"),
		subject(store.RolePublisher, ""),
		subject(store.RoleAdmin, ""),
		subject(store.RoleStaff, ""),
		SubjectOf(&store.User{Name: "Carla", Role: "auditor", Department: "trafico", Clients: []string{"BETA"}}),
	}
	extra := []Rule{
		{"user:u-client", "/clients/{client}/private/**", "read|list", Deny},
		{"department:trafico", "/dossiers/{client}/{department}/**", "list|read", Allow},
		{"correspondent", "/x/{client}/{client}/**", "*", Allow},
		{"client", "/x/{client}/{client}/*.pdf", "list|read", Allow},
		{"staff", "/departments/{department}/**/[a-c]*.txt", "read", Deny},
		{"manager", "/**/*.PDF", "delete", Deny},
		{"user:carla", "/restores/carla/**", "list|read", Allow},
		{"auditor", "/clients/*/{client}/?.pdf", "read", Allow},
	}
	policies := []struct {
		name     string
		rules    []Rule
		inherits []Inheritance
	}{
		{"defaults", nil, nil},
		{"extra", extra, []Inheritance{{"publisher", "correspondent"}, {"admin", "manager"}, {"auditor", "client"}}},
		{"odd", []Rule{ // a {CLIENT} the matcher lowers into a placeholder; negated classes; a deny on all
			{"client", "/Clients/{CLIENT}/**/*.PDF", "list|read", Allow},
			{"staff", "/departments/*/{department}/**", "*", Deny},
			{"user:u-staff", "/**/[!a]*", "list", Allow},
			{"correspondent", "/**", "delete", Deny},
		}, []Inheritance{{"manager", "correspondent"}}},
	}
	// Paths are mostly shaped like storage paths (an area, then a client
	// or department, then anything), with a few of any shape.
	areas := []string{"clients", "dossiers", "departments", "restores", "x", "CLIENTS", ""}
	ids := []string{"ACME", "acme", "Beta", "BETA", "C42", "A*", "a*", "[x]", "{client}", "a?b", "", "ACME\\",
		"operaciones", "Operaciones", "trafico", "tr*fico", "carla", "**"}
	rest := []string{"private", "2026", "ACME", "trafico", "factura.pdf", "FACTURA.PDF", "setup.EXE", "a.txt",
		"b.txt", "*.pdf", "[a].pdf", "{a,b}.pdf", "a\\.pdf", "x.pdf", "notes", "informe.docx", "**", "?"}
	any := append(append(append([]string(nil), areas...), ids...), rest...)
	pick := func(rng *rand.Rand, from []string) string { return from[rng.IntN(len(from))] }
	rng := rand.New(rand.NewPCG(17, 17))
	paths := make([]string, 0, 400)
	for range cap(paths) {
		var b strings.Builder
		if rng.IntN(8) == 0 {
			for range 1 + rng.IntN(4) {
				b.WriteString("/" + pick(rng, any))
			}
		} else {
			b.WriteString("/" + pick(rng, areas) + "/" + pick(rng, ids))
			for range rng.IntN(4) {
				b.WriteString("/" + pick(rng, rest))
			}
		}
		if rng.IntN(3) == 0 {
			b.WriteString("/")
		}
		paths = append(paths, b.String())
	}
	ctx := context.Background()
	for _, pol := range policies {
		t.Run(pol.name, func(t *testing.T) {
			t.Parallel()
			e, st := newEnforcer(t)
			for _, r := range pol.rules {
				if err := e.AddRule(ctx, r); err != nil {
					t.Fatal(err)
				}
			}
			for _, i := range pol.inherits {
				if err := st.Policies().AddPolicy("g", "g", []string{i.Role, i.Parent}); err != nil {
					t.Fatal(err)
				}
			}
			if err := e.Reload(ctx); err != nil {
				t.Fatal(err)
			}
			allowed := 0
			for _, sub := range subjects {
				for _, act := range Actions() {
					for _, obj := range paths {
						d, err := e.Decide(ctx, Request{Subject: sub, Action: act, Object: obj})
						if err != nil {
							t.Fatalf("%s %s %s: %v", sub.key, act, obj, err)
						}
						allow, explain, err := e.ce.EnforceEx(sub, obj, string(act))
						if err != nil {
							t.Fatal(err)
						}
						want := Decision{Allow: allow}
						if len(explain) > 0 {
							want.Rule = "p, " + strings.Join(explain, ", ")
						}
						if d != want {
							t.Fatalf("%q %s %s: Decide says %+v, Casbin %+v", sub.key, act, obj, d, want)
						}
						if allow {
							allowed++
						}
					}
				}
			}
			if allowed == 0 {
				t.Error("no request was allowed: the generated paths miss the rules")
			}
		})
	}
}

// TestClassCacheAsksCasbinOncePerClass: listing a folder of many files
// asks Casbin once per kind of entry, not once per entry (issue 17: a
// 100,000-entry folder lists in a second).
func TestClassCacheAsksCasbinOncePerClass(t *testing.T) {
	t.Parallel()
	e, _ := newEnforcer(t)
	ctx := context.Background()
	sub := subject(store.RoleClient, "", "ACME")
	for i := range 1000 {
		for _, name := range []string{"pedimento-%04d.pdf", "NOTAS-%04d.TXT", "sub-%04d/"} {
			obj := "/clients/ACME/2026/" + fmt.Sprintf(name, i)
			if _, err := e.Decide(ctx, Request{Subject: sub, Action: List, Object: obj}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n := e.enforced.Load(); n != 3 {
		t.Errorf("3000 entries of 3 kinds were decided by Casbin %d times, want 3 (once per kind)", n)
	}
}

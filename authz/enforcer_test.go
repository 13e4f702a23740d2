package authz

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testpg"
	"github.com/oaq/custodia/store"
)

func newEnforcer(t testing.TB) (*Enforcer, *store.Store) {
	t.Helper()
	return newEnforcerOn(t, "sqlite")
}

// eachDB runs test as parallel subtests on each database a store can be
// on: "sqlite" and "postgres".
func eachDB(t *testing.T, test func(t *testing.T, db string)) {
	for _, db := range []string{"sqlite", "postgres"} {
		t.Run(db, func(t *testing.T) {
			t.Parallel()
			test(t, db)
		})
	}
}

// openStoreOn opens a fresh store: SQLite in dir, or a fresh database
// of the test binary's PostgreSQL.
func openStoreOn(t testing.TB, db, dir string) (*store.Store, error) {
	t.Helper()
	url := ""
	if db == "postgres" {
		url = testpg.URL(t)
	}
	return store.OpenURL(context.Background(), url, filepath.Join(dir, "custodia.db"))
}

func newEnforcerOn(t testing.TB, db string) (*Enforcer, *store.Store) {
	t.Helper()
	ctx := context.Background()
	st, err := openStoreOn(t, db, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	e, err := New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return e, st
}

func subject(role store.Role, dept string, clients ...string) *Subject {
	return SubjectOf(&store.User{Name: "u-" + string(role), Role: role, Department: dept, Clients: clients})
}

func TestDefaultRules(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		e, _ := newEnforcerOn(t, db)
		client := subject(store.RoleClient, "", "ACME")
		corr := subject(store.RoleCorrespondent, "", "ACME", "BETA")
		ops := subject(store.RoleStaff, "operaciones")
		traf := subject(store.RoleManager, "trafico")
		pub := subject(store.RolePublisher, "")
		admin := subject(store.RoleAdmin, "")
		cases := []struct {
			who    *Subject
			act    Action
			obj    string
			allow  bool
			ruleIn string
		}{
			{client, List, "/clients/ACME/", true, "/clients/{client}/**/"},
			{client, Read, "/clients/ACME/2026/FACTURA.PDF", true, "*.pdf"},
			{client, List, "/clients/ACME/notas.txt", false, ""},
			{client, Read, "/clients/BETA/x.pdf", false, ""},
			{client, Write, "/clients/ACME/x.pdf", false, ""},
			{client, Read, "/dossiers/ACME/x.pdf", false, ""},
			{corr, Write, "/dossiers/BETA/2026/pedimento.pdf", true, "/dossiers/{client}/**"},
			{corr, Overwrite, "/dossiers/BETA/2026/pedimento.pdf", false, ""},
			{corr, Read, "/dossiers/ACME/a.pdf", false, ""},
			{corr, Write, "/dossiers/GAMMA/a.pdf", false, ""},
			{ops, Read, "/dossiers/GAMMA/a.pdf", true, "department:operaciones"},
			{ops, Write, "/departments/operaciones/reporte.xlsx", true, ""},
			{ops, Write, "/departments/operaciones/setup.EXE", false, "deny"},
			{ops, Write, "/departments/trafico/a.txt", false, ""},
			{traf, Delete, "/departments/trafico/a.txt", true, "staff"},
			{traf, Read, "/dossiers/GAMMA/a.pdf", false, ""},
			{pub, Write, "/clients/GAMMA/2026/a.pdf", true, ""},
			{pub, Write, "/clients/GAMMA/2026/a.txt", false, ""},
			{pub, Delete, "/clients/GAMMA/2026/a.pdf", false, ""},
			{admin, Delete, "/departments/trafico/x.exe", true, "admin"},
		}
		for _, c := range cases {
			d, err := e.Decide(context.Background(), Request{Subject: c.who, Action: c.act, Object: c.obj})
			if err != nil {
				t.Fatalf("%s %s %s: %v", c.who.Role, c.act, c.obj, err)
			}
			if d.Allow != c.allow || !strings.Contains(d.Rule, c.ruleIn) {
				t.Errorf("%s %s %s = %v (%s), want allow=%v by a rule containing %q",
					c.who.Role, c.act, c.obj, d.Allow, d.Reason(), c.allow, c.ruleIn)
			}
		}
	})
}

func TestCacheDroppedWhenAnotherProcessChangesRules(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, db string) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		e, st := newEnforcerOn(t, db)
		corr := subject(store.RoleCorrespondent, "", "ACME")
		req := Request{Subject: corr, Action: Read, Object: "/dossiers/ACME/a.pdf"}
		if d, _ := e.Decide(ctx, req); d.Allow {
			t.Fatal("correspondent may read before any grant")
		}
		// A second enforcer over the same store stands for the CLI process.
		other, err := New(ctx, st)
		if err != nil {
			t.Fatal(err)
		}
		if err := other.AddRule(ctx, Rule{"correspondent", "/dossiers/{client}/**", "read", Allow}); err != nil {
			t.Fatal(err)
		}
		go e.Watch(ctx, 10*time.Millisecond, func(err error) { t.Error(err) })
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			if d, _ := e.Decide(ctx, req); d.Allow {
				return
			}
			time.Sleep(10 * time.Millisecond)
		}
		t.Fatal("the running enforcer never saw the rule added by another process")
	})
}

func TestRuleValidation(t *testing.T) {
	t.Parallel()
	bad := []Rule{
		{"", "/x/**", "read", Allow},
		{"staff", "x/**", "read", Allow},
		{"staff", "/x/**/{client}", "read", Allow},
		{"staff", "/x/a{client}", "read", Allow},
		{"staff", "/x/**", "read|fly", Allow},
		{"staff", "/x/**", "read", "maybe"},
		{"staff", "/x/[", "read", Allow},
	}
	for _, r := range bad {
		if err := r.Validate(); err == nil {
			t.Errorf("rule %s validated", r)
		}
	}
}

// BenchmarkDecide measures a decision found in the request cache
// ("cached"), one of a new object whose class is known ("class": each
// entry of a large folder listing), and Casbin's own ("uncached"). p50-ns
// and p99-ns time one decision in 8 (the clock's own cost included).
func BenchmarkDecide(b *testing.B) {
	e, _ := newEnforcer(b)
	sub := subject(store.RoleCorrespondent, "", "ACME", "BETA")
	req := Request{Subject: sub, Action: Write, Object: "/dossiers/BETA/2026/pedimento.pdf"}
	ctx := context.Background()
	b.Run("cached", func(b *testing.B) {
		b.ReportAllocs()
		q := quantiles(b)
		for b.Loop() {
			t0 := q.start()
			d, err := e.Decide(ctx, req)
			q.add(t0)
			if err != nil || !d.Allow {
				b.Fatal(d, err)
			}
		}
		q.report()
	})
	b.Run("class", func(b *testing.B) {
		// More objects than the request cache holds: each is asked anew.
		objs := make([]string, 4*maxCached)
		for i := range objs {
			objs[i] = fmt.Sprintf("/dossiers/BETA/2026/pedimento-26-%07d.pdf", i)
		}
		b.ReportAllocs()
		q := quantiles(b)
		i := 0
		for b.Loop() {
			r := req
			r.Object = objs[i%len(objs)]
			i++
			t0 := q.start()
			d, err := e.Decide(ctx, r)
			q.add(t0)
			if err != nil || !d.Allow {
				b.Fatal(d, err)
			}
		}
		q.report()
	})
	b.Run("uncached", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			allow, _, err := e.ce.EnforceEx(req.Subject, req.Object, string(req.Action))
			if err != nil || !allow {
				b.Fatal(allow, err)
			}
		}
	})
}

// latencies collects the times of one operation in 8, for quantiles
// (timing each would add the clock's cost to every one).
type latencies struct {
	b  *testing.B
	n  int
	ns []int64
}

func quantiles(b *testing.B) *latencies { return &latencies{b: b, ns: make([]int64, 0, 1<<20)} }

// start returns the time now for an operation to be timed, else zero.
func (l *latencies) start() time.Time {
	l.n++
	if l.n%8 != 0 || len(l.ns) == cap(l.ns) {
		return time.Time{}
	}
	return time.Now()
}

func (l *latencies) add(t0 time.Time) {
	if !t0.IsZero() {
		l.ns = append(l.ns, int64(time.Since(t0)))
	}
}

func (l *latencies) report() {
	if len(l.ns) == 0 {
		return
	}
	slices.Sort(l.ns)
	l.b.ReportMetric(float64(l.ns[len(l.ns)/2]), "p50-ns")
	l.b.ReportMetric(float64(l.ns[len(l.ns)*99/100]), "p99-ns")
}

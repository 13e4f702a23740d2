package store

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/internal/testpg"
)

func openTest(t *testing.T) *Store {
	t.Helper()
	return testDB{file: filepath.Join(t.TempDir(), "custodia.db")}.open(t)
}

// testDB is one database a test opens a store on (and may open again):
// PostgreSQL when url is set, else SQLite in file.
type testDB struct{ url, file string }

func newTestDB(t *testing.T, kind string) testDB {
	if kind == "postgres" {
		return testDB{url: testpg.URL(t)}
	}
	return testDB{file: filepath.Join(t.TempDir(), "custodia.db")}
}

func (d testDB) open(t *testing.T) *Store {
	t.Helper()
	s, err := OpenURL(context.Background(), d.url, d.file)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// execDDL runs ddl, written in SQLite's dialect as the migrations are,
// on s's database.
func execDDL(t *testing.T, s *Store, ddl string) {
	t.Helper()
	if s.Postgres() {
		var err error
		if ddl, err = toPostgres(ddl); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.db.Exec(ddl); err != nil {
		t.Fatal(err)
	}
}

// eachDB runs test on a fresh store on SQLite and on a fresh database of
// the test binary's PostgreSQL, as parallel subtests.
func eachDB(t *testing.T, test func(t *testing.T, s *Store)) {
	eachDBFile(t, func(t *testing.T, d testDB) { test(t, d.open(t)) })
}

// eachDBFile is eachDB for tests that open the store themselves.
func eachDBFile(t *testing.T, test func(t *testing.T, d testDB)) {
	for _, kind := range []string{"sqlite", "postgres"} {
		t.Run(kind, func(t *testing.T) {
			t.Parallel()
			test(t, newTestDB(t, kind))
		})
	}
}

func TestUsersAreCaseInsensitiveAndAssigned(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.CreateClient(ctx, "ACME", "Acme SA"); err != nil {
			t.Fatal(err)
		}
		u, err := s.CreateUser(ctx, NewUser{Name: "Juan", Role: RoleCorrespondent, Clients: []string{"ACME"}})
		if err != nil {
			t.Fatal(err)
		}
		if len(u.Clients) != 1 || u.Clients[0] != "ACME" {
			t.Fatalf("juan's clients = %v, want [ACME]", u.Clients)
		}
		if _, err := s.CreateUser(ctx, NewUser{Name: "JUAN", Role: RoleClient}); !errors.Is(err, ErrConflict) {
			t.Fatalf("creating JUAN after Juan: err = %v, want ErrConflict", err)
		}
		if _, err := s.CreateUser(ctx, NewUser{Name: "pedro", Role: RoleClient, Clients: []string{"NOPE"}}); !errors.Is(err, ErrNotFound) {
			t.Fatalf("unknown client: err = %v, want ErrNotFound", err)
		}
		if _, err := s.UserByName(ctx, "pedro"); !errors.Is(err, ErrNotFound) {
			t.Fatalf("a failed create left user pedro behind: %v", err)
		}
		got, err := s.UserByName(ctx, "jUaN")
		if err != nil || got.Name != "Juan" {
			t.Fatalf("UserByName(jUaN) = %v, %v", got, err)
		}
	})
}

func TestAuditIsAppendOnly(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if err := s.Audit(ctx, AuditEntry{User: "juan", Action: "login", Result: ResultOK}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.Exec(`UPDATE audit SET result = 'denied'`); err == nil {
			t.Fatal("an UPDATE of the audit log succeeded")
		}
		if _, err := s.db.Exec(`DELETE FROM audit`); err == nil {
			t.Fatal("a DELETE from the audit log succeeded")
		}
		rows, err := s.QueryAudit(ctx, AuditQuery{User: "JUAN"})
		if err != nil || len(rows) != 1 || rows[0].Result != ResultOK {
			t.Fatalf("QueryAudit = %v, %v", rows, err)
		}
	})
}

func TestPolicyChangesBumpRevision(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		before, err := s.PolicyRevision(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Policies().AddPolicy("p", "p", []string{"staff", "/departments/{department}/**", "read"}); err != nil {
			t.Fatal(err)
		}
		after, _ := s.PolicyRevision(ctx)
		if after != before+1 {
			t.Fatalf("revision %d -> %d after AddPolicy, want +1", before, after)
		}
		rules, _ := s.Policies().Rules(ctx)
		if len(rules) != 1 || rules[0][2] != "/departments/{department}/**" {
			t.Fatalf("rules = %v", rules)
		}
	})
}

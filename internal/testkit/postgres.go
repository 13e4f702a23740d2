package testkit

import (
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testpg"
)

// PostgresURL gives the test a fresh PostgreSQL database (C collation)
// on the test binary's one server, dropped when the test ends; see
// internal/testpg. It skips without PostgreSQL, or fails when CI is set.
func PostgresURL(t testing.TB) string {
	t.Helper()
	return testpg.URL(t)
}

// PostgresEnv is the setting that puts a gateway's store on a fresh
// PostgreSQL database: testkit.Start(t, testkit.PostgresEnv(t)).
func PostgresEnv(t testing.TB) string {
	t.Helper()
	return "CUSTODIA_DATABASE_URL=" + PostgresURL(t)
}

// withTestDatabase adds PostgresEnv to extra when CUSTODIA_TEST_DATABASE
// is postgres (so the whole suite can run on PostgreSQL) and extra names
// no database of its own.
func withTestDatabase(t testing.TB, extra []string) []string {
	t.Helper()
	switch db := os.Getenv("CUSTODIA_TEST_DATABASE"); db {
	case "", "sqlite":
		return extra
	case "postgres":
	default:
		t.Fatalf("CUSTODIA_TEST_DATABASE=%s: want sqlite or postgres", db)
	}
	for _, kv := range extra {
		if strings.HasPrefix(kv, "CUSTODIA_DATABASE_URL=") {
			return extra
		}
	}
	return append(slices.Clip(extra), PostgresEnv(t))
}

// OnSQLite keeps a gateway on SQLite whatever CUSTODIA_TEST_DATABASE
// says: for tests that open the data dir's custodia.db themselves.
const OnSQLite = "CUSTODIA_DATABASE_URL="

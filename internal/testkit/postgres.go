package testkit

import (
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

package store

import (
	"context"
	"net/url"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testpg"
)

// A pg_dump that fails says why, naming the database without its
// password (which went to pg_dump in its environment only).
func TestPgDumpFailureHidesThePassword(t *testing.T) {
	t.Parallel()
	s := testDB{url: testpg.URL(t)}.open(t)
	u, _ := url.Parse(s.pg.url)
	pw, _ := u.User.Password()
	u.Path = "/no_such_database"
	c := *s
	c.pg = &pgInfo{url: u.String(), redacted: RedactURL(u.String())}
	err := c.Snapshot(context.Background(), filepath.Join(t.TempDir(), "x.pgdump"))
	if err == nil || !strings.Contains(err.Error(), "no_such_database") {
		t.Fatalf("a dump of a missing database: %v, want an error that names it", err)
	}
	if strings.Contains(err.Error(), pw) {
		t.Errorf("the error shows the database password: %v", err)
	}
	if got := RedactURL("postgres://gw:hunter2@db/x?password=hunter3&sslmode=require"); strings.Contains(got, "hunter") {
		t.Errorf("RedactURL left a password: %s", got)
	}
}

// Opening a database that refuses the password, or a URL that is not
// PostgreSQL's, fails with an error that names it without its password.
func TestOpenURLErrorsHideThePassword(t *testing.T) {
	t.Parallel()
	u, _ := url.Parse(testpg.URL(t))
	u.User = url.UserPassword(u.User.Username(), "wrong-pw-4711")
	_, err := OpenURL(context.Background(), u.String(), "")
	if err == nil || strings.Contains(err.Error(), "wrong-pw-4711") || !strings.Contains(err.Error(), "xxxxx") {
		t.Errorf("opening with a wrong password: %v, want an error that names the URL redacted", err)
	}
	_, err = OpenURL(context.Background(), "mysql://gw:pw-4712@db/x", "")
	if err == nil || strings.Contains(err.Error(), "pw-4712") || !strings.Contains(err.Error(), "want postgres://") {
		t.Errorf("a MySQL URL: %v, want a clear error without the password", err)
	}
}

// A database without the C collation compares and lower-cases text
// otherwise than SQLite: the store refuses it, saying how to make one.
func TestDatabaseWithoutCCollationRefused(t *testing.T) {
	t.Parallel()
	_, err := OpenURL(context.Background(), testpg.URLWithLocale(t, "C.UTF-8"), "")
	if err == nil || !strings.Contains(err.Error(), "LC_COLLATE 'C'") {
		t.Errorf("a store on a C.UTF-8 database: %v, want a refusal that says how to create one", err)
	}
}

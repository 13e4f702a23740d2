package config_test

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/config"
)

// database.url selects PostgreSQL (file or CUSTODIA_DATABASE_URL); it is
// empty, SQLite in the data dir, by default; its password is never shown.
func TestDatabaseURL(t *testing.T) {
	t.Parallel()
	if c := config.Default(); c.Database.URL != "" || c.Database.Postgres() {
		t.Errorf("the default database is %q, want none (SQLite in the data dir)", c.Database.URL)
	}
	file := writeConfig(t, "[database]\nurl = \"postgres://gw:s3cret-pw@db.example:5432/custodia?sslmode=verify-full\"\n")
	c, err := config.Load(file, nil)
	if err != nil || !c.Database.Postgres() {
		t.Fatalf("database.url in the file: %+v, %v", c.Database, err)
	}
	c, err = config.Load(file, []string{"CUSTODIA_DATABASE_URL=postgresql://gw:other-pw@10.0.0.5/cust"})
	if err != nil || c.Database.URL != "postgresql://gw:other-pw@10.0.0.5/cust" {
		t.Fatalf("CUSTODIA_DATABASE_URL over the file: %+v, %v", c.Database, err)
	}
	var shown string
	for _, kv := range config.Keys(c) {
		if kv[0] == "database.url" {
			shown = kv[1]
		}
	}
	if shown != "postgresql://gw:xxxxx@10.0.0.5/cust" {
		t.Errorf("check-config shows database.url as %q, want the password redacted", shown)
	}

	for _, c := range []struct{ url, says string }{
		{"mysql://gw:pw-one@db/custodia", "want postgres://"},
		{"/var/lib/custodia.db", "want postgres://"},
		{"postgres://gw:pw-two@/custodia", "names no host"},
		{"postgres://gw:pw-three@db:5432", "names no database"},
		{"postgres://gw:pw-four@db:99999999999/x\x7f", "not a URL"},
	} {
		_, err := config.Load("", []string{"CUSTODIA_DATABASE_URL=" + c.url})
		keys := problemKeys(t, err)
		if len(keys) != 1 || keys[0] != "database.url" || !strings.Contains(err.Error(), c.says) {
			t.Errorf("database.url %q: %v, want a problem of database.url that says %q", c.url, err, c.says)
		}
		if err != nil && strings.Contains(err.Error(), "pw-") {
			t.Errorf("the problem with database.url %q shows its password: %v", c.url, err)
		}
	}
	if _, err := config.Load("", []string{"CUSTODIA_DATABASE_URL=postgres://gw@/custodia?host=/run/postgresql"}); err != nil {
		t.Errorf("a database on a Unix socket (?host=/run/postgresql): %v", err)
	}
}

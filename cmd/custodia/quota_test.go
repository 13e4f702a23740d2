package main

import (
	"context"
	"database/sql"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestQuotaScanFixesSkewedUsage: a usage row made wrong behind the
// store's back, and a file put on disk without an upload, are found and
// fixed by `quota scan` run through the server's socket; `user list` and
// `client list` then show the right usage against the quotas set with
// `quota user` and `quota client`.
func TestQuotaScanFixesSkewedUsage(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, testkit.OnSQLite) // the test skews custodia.db itself
	tg.Fixture()
	must(tg, "", "quota", "user", "juan", "--bytes", "1MiB", "--files", "10")
	must(tg, "", "quota", "client", "ACME", "--files", "5")
	testkit.Upload(t, tg, "juan", "/ACME/a.pdf", "%PDF-1.4 twelve") // 15 bytes
	if out := must(tg, "", "user", "list"); !strings.Contains(out, "juan\t") || !strings.Contains(out, "\t15/1048576\t1/10") {
		t.Fatalf("user list does not show juan's 15 bytes of 1 MiB and 1 file of 10:\n%s", out)
	}

	// Skew juan's usage in the database itself, as a bug or a crash might.
	db, err := sql.Open("sqlite", "file:"+filepath.Join(tg.DataDir, "custodia.db")+"?_pragma=busy_timeout(5000)")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec(`UPDATE users SET used_bytes = 999, used_files = 7 WHERE name = 'juan'`); err != nil {
		t.Fatal(err)
	}
	tg.Put("dossiers/ACME/dropped.pdf", "%PDF-1.4 dropped") // 16 bytes no upload charged

	out := must(tg, "", "quota", "scan")
	for _, want := range []string{"file\t/dossiers/ACME/dropped.pdf\t0/0\t16/1", "user\tjuan\t999/7\t15/1"} {
		if !strings.Contains(out, want) {
			t.Errorf("quota scan does not report %q:\n%s", want, out)
		}
	}
	u, err := tg.Store().UserByName(context.Background(), "juan")
	if err != nil {
		t.Fatal(err)
	}
	if want := (store.Usage{Bytes: 15, Files: 1}); u.Used != want {
		t.Errorf("juan's usage after the scan is %+v, want %+v", u.Used, want)
	}
	c, err := tg.Store().ClientByID(context.Background(), "ACME")
	if err != nil {
		t.Fatal(err)
	}
	// The fixture's files were put on disk too: the scan charges ACME for
	// every file in its folders.
	if c.Used.Files < 2 || c.Quota != (store.Limit{Files: 5}) {
		t.Errorf("ACME after the scan: used %+v, quota %+v", c.Used, c.Quota)
	}
	if out := must(tg, "", "quota", "scan"); strings.Contains(out, "juan") || !strings.Contains(out, "0 difference(s)") {
		t.Errorf("a second scan finds differences:\n%s", out)
	}
	if out := must(tg, "", "client", "list"); !strings.Contains(out, "ACME\t") || !strings.Contains(out, "/5") {
		t.Errorf("client list does not show ACME's quota:\n%s", out)
	}
}

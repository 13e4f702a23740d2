package admin_test

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "modernc.org/sqlite" // the store's driver, to fill it in bulk

	"github.com/oaq/custodia/internal/testkit"
)

// fillAudit appends n audit rows spread evenly over the week before now
// to the store of a running gateway, in one transaction straight into
// SQLite (a test's shortcut: the store's own Audit commits each row), so
// its triggers run as for any row. The mix is roughly a busy gateway's:
// downloads, uploads, logins (a tenth failed), listings, denials.
func fillAudit(tb testing.TB, tg *testkit.Gateway, n int) {
	tb.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(tg.DataDir, "custodia.db")+"?_pragma=busy_timeout(30000)&_txlock=immediate")
	if err != nil {
		tb.Fatal(err)
	}
	defer db.Close()
	tx, err := db.Begin()
	if err != nil {
		tb.Fatal(err)
	}
	st, err := tx.Prepare(`INSERT INTO audit (at, session, user_name, role, protocol, remote, action, vpath, spath, bytes, result)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		tb.Fatal(err)
	}
	protocols := []string{"sftp", "ftp", "webdav", "web", "admin"}
	actions := []string{"read", "read", "read", "write", "write", "overwrite", "login", "login", "list", "mkdir"}
	rnd := rand.New(rand.NewPCG(1, 2))
	start := time.Now().Add(-7 * 24 * time.Hour)
	step := 7 * 24 * time.Hour / time.Duration(n)
	for i := range n {
		at := start.Add(time.Duration(i) * step).UTC().Format("2006-01-02T15:04:05.000000000Z")
		action, result, bytes := actions[rnd.IntN(len(actions))], "ok", int64(0)
		switch action {
		case "read", "write", "overwrite":
			bytes = rnd.Int64N(8 << 20)
		case "login":
			if rnd.IntN(10) == 0 {
				result = "failed"
			}
		case "mkdir":
			if rnd.IntN(3) == 0 {
				result = "denied"
			}
		}
		user := fmt.Sprintf("user%03d", rnd.IntN(300))
		path := fmt.Sprintf("/dossiers/C%03d/2026/f%d.pdf", rnd.IntN(200), i)
		if _, err := st.Exec(at, fmt.Sprintf("s%d", i/20), user, "staff", protocols[rnd.IntN(len(protocols))], "192.0.2.10",
			action, path, path, bytes, result); err != nil {
			tb.Fatal(err)
		}
	}
	if err := tx.Commit(); err != nil {
		tb.Fatal(err)
	}
}

// BenchmarkConsoleDashboard1M renders the dashboard (GET /admin/, through
// the console's session gate) with 1,000,000 audit rows of the last week
// in the store. The sub-benchmark week-group-by runs the grouping the
// hourly counts spare each render, straight on the audit table, for
// comparison.
func BenchmarkConsoleDashboard1M(b *testing.B) {
	tg := testkit.Start(b, "CUSTODIA_LOG_LEVEL=warn", testkit.OnSQLite) // fillAudit writes custodia.db
	tg.Fixture()
	t0 := time.Now()
	fillAudit(b, tg, 1_000_000)
	b.Logf("1,000,000 audit rows written in %v", time.Since(t0).Round(time.Millisecond))
	c := tg.Console()
	if _, tok := c.Login("sys", testkit.Password); tok == "" {
		b.Fatal("sys cannot log in to the console")
	}
	b.Run("render", func(b *testing.B) {
		for b.Loop() {
			r, page := c.Get("/admin/")
			if r.StatusCode != 200 || !strings.Contains(page, `id="volume-data"`) {
				b.Fatalf("the dashboard: %d\n%s", r.StatusCode, page)
			}
		}
	})
	b.Run("week-group-by", func(b *testing.B) {
		db, err := sql.Open("sqlite", "file:"+filepath.Join(tg.DataDir, "custodia.db")+"?mode=ro")
		if err != nil {
			b.Fatal(err)
		}
		defer db.Close()
		since := time.Now().Add(-7 * 24 * time.Hour).UTC().Format("2006-01-02T15")
		for b.Loop() {
			rows, err := db.QueryContext(context.Background(), `SELECT substr(at, 1, 13), protocol, action, result, COUNT(*), SUM(bytes)
				FROM audit WHERE at >= ? AND action IN ('login', 'read', 'write', 'overwrite') GROUP BY 1, 2, 3, 4`, since)
			if err != nil {
				b.Fatal(err)
			}
			for rows.Next() {
			}
			rows.Close()
		}
	})
}

package store

import (
	"context"
	"testing"

	"github.com/jmoiron/sqlx"
)

// TestCachedStatementRunsAgainWhileItsRowsAreOpen: a statement a SQLite
// connection keeps prepared can run again, in the same transaction, while
// rows of its first run are still being read; each run reads its own
// rows. Then the schema changes under the kept statement, and it still
// runs. (PostgreSQL refuses a query on a connection with rows open.)
func TestCachedStatementRunsAgainWhileItsRowsAreOpen(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	ctx := context.Background()
	execDDL(t, s, `CREATE TABLE nums (n INTEGER PRIMARY KEY)`)
	for n := 1; n <= 5; n++ {
		if _, err := s.db.ExecContext(ctx, `INSERT INTO nums (n) VALUES ($1)`, n); err != nil {
			t.Fatal(err)
		}
	}
	const q = `SELECT n FROM nums WHERE n > $1 ORDER BY n`
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		outer, err := tx.QueryContext(ctx, q, 0)
		if err != nil {
			return err
		}
		defer outer.Close()
		var got []int
		for outer.Next() {
			var n int
			if err := outer.Scan(&n); err != nil {
				return err
			}
			var inner []int
			if err := tx.SelectContext(ctx, &inner, q, n); err != nil {
				return err
			}
			if len(inner) != 5-n {
				t.Errorf("the inner run after %d read %v, want the %d numbers above it", n, inner, 5-n)
			}
			got = append(got, n)
		}
		if len(got) != 5 {
			t.Errorf("the outer run read %v, want 1 to 5", got)
		}
		return outer.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	execDDL(t, s, `ALTER TABLE nums ADD COLUMN label TEXT`)
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM nums WHERE n > $1`, 2); err != nil || n != 3 {
		t.Errorf("after a schema change the statement counted %d (%v), want 3", n, err)
	}
}

package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// The hourly counts follow every audit row as it is written, and a store
// that had audit rows before migration 0012 counts them when it comes.
func TestAuditHoursCountEveryRow(t *testing.T) {
	t.Parallel()
	eachDBFile(t, func(t *testing.T, d testDB) {
		ctx := context.Background()
		s := d.open(t)
		h0 := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
		audit := func(s *Store, at time.Time, proto, action string, res Result, bytes int64) {
			t.Helper()
			if err := s.Audit(ctx, AuditEntry{At: at, User: "ana", Protocol: proto, Action: action, Result: res, Bytes: bytes}); err != nil {
				t.Fatal(err)
			}
		}
		// Rows from before the migration: it is undone, as if the store were
		// older, and they are written without it.
		drop := `DROP TRIGGER audit_hours_count`
		if s.Postgres() {
			drop += ` ON audit`
		}
		for _, q := range []string{drop, `DROP TABLE audit_hours`, `DELETE FROM schema_migrations WHERE version = 12`} {
			if _, err := s.db.ExecContext(ctx, q); err != nil {
				t.Fatal(err)
			}
		}
		audit(s, h0.Add(5*time.Minute), "sftp", "write", ResultOK, 100)
		audit(s, h0.Add(59*time.Minute), "sftp", "write", ResultOK, 20)
		s.Close()
		s = d.open(t)
		audit(s, h0.Add(30*time.Minute), "sftp", "write", ResultOK, 3)
		audit(s, h0.Add(30*time.Minute), "sftp", "write", ResultFailed, 7)
		audit(s, h0.Add(time.Hour), "webdav", "read", ResultOK, 1000)
		audit(s, h0.Add(time.Hour+time.Second), "ftp", "login", ResultFailed, 0)
		audit(s, h0.Add(-time.Hour), "sftp", "write", ResultOK, 5000) // before since

		got, err := s.AuditHours(ctx, h0.Add(10*time.Minute))
		if err != nil {
			t.Fatal(err)
		}
		want := []AuditHour{
			{Hour: h0, Protocol: "sftp", Action: "write", Result: ResultFailed, Rows: 1, Bytes: 7},
			{Hour: h0, Protocol: "sftp", Action: "write", Result: ResultOK, Rows: 3, Bytes: 123},
			{Hour: h0.Add(time.Hour), Protocol: "ftp", Action: "login", Result: ResultFailed, Rows: 1},
			{Hour: h0.Add(time.Hour), Protocol: "webdav", Action: "read", Result: ResultOK, Rows: 1, Bytes: 1000},
		}
		if !slices.Equal(got, want) {
			t.Errorf("AuditHours from 09:10 reads\n%+v\nwant\n%+v", got, want)
		}
		got, err = s.AuditHours(ctx, h0, "login", "read")
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].Action != "login" || got[1].Action != "read" {
			t.Errorf("AuditHours of logins and reads reads %+v, want the ftp login and the webdav read", got)
		}
	})
}

package store

import (
	"context"
	"strings"
	"testing"
)

// A query of one user's audit rows is answered from the index of
// migration 0013 (the user's rows, newest first), not by walking the
// whole log by id: on 1,000,000 rows a user with 100 took 0.14 s, one
// with none 0.76 s.
func TestAuditByUserUsesItsIndex(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	query, args := auditSQL(AuditQuery{User: "Ana", Limit: 50})
	var plan []struct {
		ID      int    `db:"id"`
		Parent  int    `db:"parent"`
		NotUsed int    `db:"notused"`
		Detail  string `db:"detail"`
	}
	if err := s.db.SelectContext(context.Background(), &plan, "EXPLAIN QUERY PLAN "+query, args...); err != nil {
		t.Fatal(err)
	}
	var steps []string
	for _, p := range plan {
		steps = append(steps, p.Detail)
	}
	if got := strings.Join(steps, "; "); !strings.Contains(got, "audit_user_lower") {
		t.Errorf("a user's audit rows are read by %q, want the index audit_user_lower", got)
	}
}

// Every index on the audit log is written by every audit row (each
// upload's commit writes and fsyncs its pages): the log keeps only those
// a query reads, audit_at (QueryAudit's Since and Until) and
// audit_user_lower (TestAuditByUserUsesItsIndex).
func TestAuditKeepsOnlyTheIndexesQueriesUse(t *testing.T) {
	t.Parallel()
	s := openTest(t)
	var names []string
	if err := s.db.SelectContext(context.Background(), &names,
		`SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit' ORDER BY name`); err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(names, ","), "audit_at,audit_user_lower"; got != want {
		t.Errorf("indexes on audit: %s, want %s", got, want)
	}
}

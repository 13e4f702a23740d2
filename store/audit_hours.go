package store

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// AuditHour is what the audit trail holds of one hour (UTC) for one
// protocol, action and result: how many rows and their bytes.
type AuditHour struct {
	Hour     time.Time // the hour's start, UTC
	Protocol string
	Action   string
	Result   Result
	Rows     int64
	Bytes    int64
}

// hourLayout is an hour as audit_hours keys it: the first 13 characters
// of a stored time.
const hourLayout = "2006-01-02T15"

// AuditHours returns the hourly counts of the audit trail from the hour
// of since on, of the given actions (every action when none), oldest
// first. They are kept as rows are written (migration 0012), so this
// reads at most one row per hour, protocol, action and result, however
// long the audit trail.
func (s *Store) AuditHours(ctx context.Context, since time.Time, actions ...string) ([]AuditHour, error) {
	args := []any{since.UTC().Format(hourLayout)}
	q := `SELECT hour, protocol, action, result, n, bytes FROM audit_hours WHERE hour >= $1`
	if len(actions) > 0 {
		in := make([]string, len(actions))
		for i, a := range actions {
			args = append(args, a)
			in[i] = fmt.Sprintf("$%d", len(args))
		}
		q += " AND action IN (" + strings.Join(in, ", ") + ")"
	}
	var rows []struct {
		Hour     string `db:"hour"`
		Protocol string `db:"protocol"`
		Action   string `db:"action"`
		Result   string `db:"result"`
		N        int64  `db:"n"`
		Bytes    int64  `db:"bytes"`
	}
	if err := s.db.SelectContext(ctx, &rows, q+` ORDER BY hour, protocol, action, result`, args...); err != nil {
		return nil, fmt.Errorf("store: audit hours: %w", err)
	}
	out := make([]AuditHour, len(rows))
	for i, r := range rows {
		h, err := time.Parse(hourLayout, r.Hour)
		if err != nil {
			return nil, fmt.Errorf("store: audit hour %q: %w", r.Hour, err)
		}
		out[i] = AuditHour{Hour: h, Protocol: r.Protocol, Action: r.Action, Result: Result(r.Result), Rows: r.N, Bytes: r.Bytes}
	}
	return out, nil
}

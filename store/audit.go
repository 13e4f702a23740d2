package store

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Result of an audited operation.
type Result string

// Audit results.
const (
	ResultOK     Result = "ok"
	ResultDenied Result = "denied"
	ResultFailed Result = "failed"
	// ResultInfected is an upload the antivirus refused: the reason is
	// the signature it matched.
	ResultInfected Result = "infected"
)

// Results are every result an audit row holds: what the audit's filters
// accept.
var Results = []Result{ResultOK, ResultDenied, ResultFailed, ResultInfected}

// Known reports whether r is one of Results.
func (r Result) Known() bool { return slices.Contains(Results, r) }

// AuditEntry is one row of the append-only audit log: a login, a file
// operation or a denial. It never holds a password or key material. Its
// JSON is the one shape of an audit row: the admin API, `custodia audit
// --json` and the events hooks receive (with the event's id and type).
type AuditEntry struct {
	ID       int64     `json:"id"`
	At       time.Time `json:"at"` // UTC
	Session  string    `json:"session"`
	User     string    `json:"user"`
	Role     Role      `json:"role"`
	Protocol string    `json:"protocol"`
	Remote   string    `json:"remote"`
	Action   string    `json:"action"`              // login, list, read, write, overwrite, delete, rename, mkdir, …
	VPath    string    `json:"path"`                // the path as the user named it
	SPath    string    `json:"storage_path"`        // the storage path authorization decided on
	Target   string    `json:"target"`              // the new virtual path of a rename
	STarget  string    `json:"target_storage_path"` // the new storage path of a rename
	Bytes    int64     `json:"bytes"`
	SHA256   string    `json:"sha256"` // hex, uploads only
	Result   Result    `json:"result"`
	Reason   string    `json:"reason"` // why it was denied or failed
}

// Text is the row as `custodia audit` prints it: Fields joined by tabs.
func (e AuditEntry) Text() string { return strings.Join(e.Fields(), "\t") }

// Fields are the row's printed columns (time with nanoseconds in UTC,
// user, role, protocol, remote, action, path, target, bytes, sha256,
// result, reason), "-" for an empty one, each Printable: a user name or
// path holding an escape sequence, a tab or a newline cannot act on the
// terminal, shift a column or add a row.
func (e AuditEntry) Fields() []string {
	dash := func(s string) string {
		if s == "" {
			return "-"
		}
		return Printable(s)
	}
	return []string{
		e.At.UTC().Format("2006-01-02T15:04:05.000000000Z07:00"), dash(e.User), dash(string(e.Role)),
		dash(e.Protocol), dash(e.Remote), Printable(e.Action), dash(e.VPath), dash(e.Target), strconv.FormatInt(e.Bytes, 10),
		dash(e.SHA256), Printable(string(e.Result)), dash(e.Reason),
	}
}

type auditRow struct {
	ID       int64  `db:"id"`
	At       string `db:"at"`
	Session  string `db:"session"`
	User     string `db:"user_name"`
	Role     string `db:"role"`
	Protocol string `db:"protocol"`
	Remote   string `db:"remote"`
	Action   string `db:"action"`
	VPath    string `db:"vpath"`
	SPath    string `db:"spath"`
	Target   string `db:"target"`
	STarget  string `db:"starget"`
	Bytes    int64  `db:"bytes"`
	SHA256   string `db:"sha256"`
	Result   string `db:"result"`
	Reason   string `db:"reason"`
}

// Audit appends one entry. When it returns nil the row is durable.
// A row that is an event (EventType) enters the outbox in the same
// transaction, so that no change is audited without being announced.
func (s *Store) Audit(ctx context.Context, e AuditEntry) error {
	plain := *s // the row itself, not a change that Audited would add one to
	plain.audit = nil
	err := plain.tx(ctx, func(tx *sqlx.Tx) error { return s.insertAudit(ctx, tx, e) })
	if err != nil {
		return fmt.Errorf("store: audit %s %s: %w", e.Action, e.VPath, err)
	}
	return nil
}

// insertAudit writes an audit row (at now when e has no time), and its
// outbox event if it is one, in tx.
func (s *Store) insertAudit(ctx context.Context, tx *sqlx.Tx, e AuditEntry) error {
	if e.At.IsZero() {
		e.At = s.now()
	}
	_, err := insertAudit(ctx, tx, e)
	return err
}

// insertAudit writes e, its event when it is one, and the usage change
// of the file operation it records (chargeAudit), in tx, and returns the
// row's id.
func insertAudit(ctx context.Context, tx *sqlx.Tx, e AuditEntry) (int64, error) {
	var id int64
	err := tx.GetContext(ctx, &id, `INSERT INTO audit
		(at, session, user_name, role, protocol, remote, action, vpath, spath, target, starget, bytes, sha256, result, reason)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15) RETURNING id`,
		formatTime(e.At), e.Session, e.User, string(e.Role), e.Protocol, e.Remote, e.Action,
		e.VPath, e.SPath, e.Target, e.STarget, e.Bytes, e.SHA256, string(e.Result), e.Reason)
	if err != nil {
		return 0, err
	}
	if err := chargeAudit(ctx, tx, e); err != nil {
		return 0, fmt.Errorf("usage: %w", err)
	}
	if typ := EventType(e); typ != "" {
		if err := insertEvent(ctx, tx, typ, id, formatTime(e.At)); err != nil {
			return 0, err
		}
	}
	return id, nil
}

// AuditQuery filters the audit log. Zero fields do not filter.
type AuditQuery struct {
	User       string
	Since      time.Time
	Until      time.Time // exclusive
	Action     string
	Result     Result
	Client     string  // rows on the client's folders (clients/ID, dossiers/ID)
	PathPrefix string  // a storage path, or a virtual one for admin rows
	Uploads    bool    // only uploads: rows of action write or overwrite (with Result ok: completed ones)
	IDs        []int64 // only these rows (e.g. the uploads of one batch)
	Before     int64   // only rows with a smaller id (the next page's cursor)
	Limit      int     // newest Limit rows; 0 means 100
}

// QueryAudit returns matching rows, oldest first.
func (s *Store) QueryAudit(ctx context.Context, q AuditQuery) ([]AuditEntry, error) {
	query, args := auditSQL(q)
	var rows []auditRow
	if err := s.db.SelectContext(ctx, &rows, query, args...); err != nil {
		return nil, fmt.Errorf("store: query audit: %w", err)
	}
	out := make([]AuditEntry, len(rows))
	for i, r := range rows {
		e, err := r.entry()
		if err != nil {
			return nil, err
		}
		out[len(rows)-1-i] = e
	}
	return out, nil
}

// auditSQL is QueryAudit's statement and its arguments: the filters, the
// newest rows first (by id, which follows time), at most the limit.
func auditSQL(q AuditQuery) (string, []any) {
	var where []string
	var args []any
	if q.User != "" {
		args = append(args, q.User)
		where = append(where, fmt.Sprintf("lower(user_name) = lower($%d)", len(args)))
	}
	if !q.Since.IsZero() {
		args = append(args, formatTime(q.Since))
		where = append(where, fmt.Sprintf("at >= $%d", len(args)))
	}
	if !q.Until.IsZero() {
		args = append(args, formatTime(q.Until))
		where = append(where, fmt.Sprintf("at < $%d", len(args)))
	}
	if q.Action != "" {
		args = append(args, q.Action)
		where = append(where, fmt.Sprintf("action = $%d", len(args)))
	}
	if q.Result != "" {
		args = append(args, string(q.Result))
		where = append(where, fmt.Sprintf("result = $%d", len(args)))
	}
	// Prefixes are compared with substr, not LIKE: a path may hold % or _.
	prefix := func(col, p string) string {
		args = append(args, p, p+"/")
		n := len(args)
		return fmt.Sprintf("(%s = $%d OR substr(%s, 1, length($%d)) = $%d)", col, n-1, col, n, n)
	}
	if q.Client != "" {
		where = append(where, "("+prefix("spath", "/clients/"+q.Client)+" OR "+prefix("spath", "/dossiers/"+q.Client)+")")
	}
	if q.PathPrefix != "" {
		p := strings.TrimSuffix(q.PathPrefix, "/")
		where = append(where, "("+prefix("spath", p)+" OR "+prefix("vpath", p)+")")
	}
	if q.Uploads {
		where = append(where, "action IN ('write', 'overwrite')")
	}
	if len(q.IDs) > 0 {
		in := make([]string, len(q.IDs))
		for i, id := range q.IDs {
			args = append(args, id)
			in[i] = fmt.Sprintf("$%d", len(args))
		}
		where = append(where, "id IN ("+strings.Join(in, ", ")+")")
	}
	if q.Before > 0 {
		args = append(args, q.Before)
		where = append(where, fmt.Sprintf("id < $%d", len(args)))
	}
	limit := q.Limit
	if limit <= 0 {
		limit = 100
	}
	args = append(args, limit)
	query := `SELECT id, at, session, user_name, role, protocol, remote, action, vpath, spath, target, starget, bytes, sha256, result, reason FROM audit`
	if len(where) > 0 {
		query += " WHERE " + strings.Join(where, " AND ")
	}
	query += fmt.Sprintf(" ORDER BY id DESC LIMIT $%d", len(args))
	return query, args
}

func (r auditRow) entry() (AuditEntry, error) {
	at, err := parseTime(r.At)
	if err != nil {
		return AuditEntry{}, fmt.Errorf("store: audit row %d: %w", r.ID, err)
	}
	return AuditEntry{
		ID: r.ID, At: at.UTC(), Session: r.Session, User: r.User, Role: Role(r.Role), Protocol: r.Protocol,
		Remote: r.Remote, Action: r.Action, VPath: r.VPath, SPath: r.SPath, Target: r.Target, STarget: r.STarget, Bytes: r.Bytes,
		SHA256: r.SHA256, Result: Result(r.Result), Reason: r.Reason,
	}, nil
}

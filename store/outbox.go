package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// The event types: every completed change, every login and every denial.
const (
	EventLoginSucceeded    = "login.succeeded"
	EventLoginFailed       = "login.failed"
	EventUploadCompleted   = "upload.completed"
	EventUploadFailed      = "upload.failed"
	EventUploadInfected    = "upload.infected" // refused by the antivirus, quarantined
	EventDownloadCompleted = "download.completed"
	EventDelete            = "delete"
	EventRename            = "rename"
	EventMkdir             = "mkdir"
	EventDenied            = "denied"
)

// EventTypes lists the event types, for validating hook filters.
func EventTypes() []string {
	return []string{EventLoginSucceeded, EventLoginFailed, EventUploadCompleted, EventUploadFailed,
		EventUploadInfected, EventDownloadCompleted, EventDelete, EventRename, EventMkdir, EventDenied}
}

// EventType is the event an audit row announces, or "" for rows that are
// not events (listings, admin API changes, a failed delete…).
func EventType(e AuditEntry) string {
	if e.Result == ResultDenied {
		if strings.HasPrefix(e.Action, "admin.") || strings.HasPrefix(e.Action, "backup.") {
			return ""
		}
		return EventDenied
	}
	ok := e.Result == ResultOK
	switch e.Action {
	case "login":
		if ok {
			return EventLoginSucceeded
		}
		return EventLoginFailed
	case "write", "overwrite":
		if ok {
			return EventUploadCompleted
		}
		if e.Result == ResultInfected {
			return EventUploadInfected
		}
		return EventUploadFailed
	case "read":
		if ok {
			return EventDownloadCompleted
		}
	case "delete", "rename", "mkdir":
		if ok {
			return e.Action
		}
	}
	return ""
}

// Event is an outbox entry with the audit row it announces.
type Event struct {
	Seq  int64  // outbox order
	ID   string // unique, stable across deliveries
	Type string
	AuditEntry
}

func insertEvent(ctx context.Context, tx *sqlx.Tx, typ string, auditID int64, now string) error {
	b := make([]byte, 16)
	rand.Read(b)
	_, err := tx.ExecContext(ctx, `INSERT INTO outbox (event_id, type, audit_id, created_at) VALUES ($1, $2, $3, $4)`,
		hex.EncodeToString(b), typ, auditID, now)
	return err
}

// EventsAfter returns up to limit events after seq, in order.
func (s *Store) EventsAfter(ctx context.Context, seq int64, limit int) ([]Event, error) {
	var rows []struct {
		Seq     int64  `db:"seq"`
		EventID string `db:"event_id"`
		Type    string `db:"type"`
		auditRow
	}
	err := s.db.SelectContext(ctx, &rows, `SELECT o.id AS seq, o.event_id, o.type, a.id, a.at, a.session,
		a.user_name, a.role, a.protocol, a.remote, a.action, a.vpath, a.spath, a.target, a.starget, a.bytes, a.sha256,
		a.result, a.reason FROM outbox o JOIN audit a ON a.id = o.audit_id WHERE o.id > $1 ORDER BY o.id LIMIT $2`,
		seq, limit)
	if err != nil {
		return nil, fmt.Errorf("store: events after %d: %w", seq, err)
	}
	out := make([]Event, len(rows))
	for i, r := range rows {
		e, err := r.auditRow.entry()
		if err != nil {
			return nil, err
		}
		out[i] = Event{Seq: r.Seq, ID: r.EventID, Type: r.Type, AuditEntry: e}
	}
	return out, nil
}

// HookCursor is a hook's progress through the outbox.
type HookCursor struct {
	Hook      string    `db:"hook"`
	LastID    int64     `db:"last_id"`  // the last event delivered (or skipped by the filter)
	Attempts  int       `db:"attempts"` // failed tries of the next event
	Failures  int64     `db:"failures"` // failed tries in all
	LastError string    `db:"last_error"`
	Updated   string    `db:"updated_at"`
	UpdatedAt time.Time `db:"-"`
}

// HookCursors returns every hook's progress.
func (s *Store) HookCursors(ctx context.Context) ([]HookCursor, error) {
	var cs []HookCursor
	if err := s.db.SelectContext(ctx, &cs, `SELECT hook, last_id, attempts, failures, last_error, updated_at
		FROM hook_cursors ORDER BY hook`); err != nil {
		return nil, fmt.Errorf("store: hook cursors: %w", err)
	}
	for i := range cs {
		cs[i].UpdatedAt, _ = parseTime(cs[i].Updated)
	}
	return cs, nil
}

// HookCursor returns a hook's progress; a new hook starts after the events
// that exist when it is first seen, so that adding a hook does not replay
// history.
func (s *Store) HookCursor(ctx context.Context, hook string) (HookCursor, error) {
	var c HookCursor
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `INSERT INTO hook_cursors (hook, last_id, updated_at)
			VALUES ($1, (SELECT COALESCE(MAX(id), 0) FROM outbox), $2) ON CONFLICT DO NOTHING`,
			hook, formatTime(s.now())); err != nil {
			return err
		}
		return tx.GetContext(ctx, &c, `SELECT hook, last_id, attempts, failures, last_error, updated_at
			FROM hook_cursors WHERE hook = $1`, hook)
	})
	if err != nil {
		return c, fmt.Errorf("store: hook %s: %w", hook, err)
	}
	c.UpdatedAt, _ = parseTime(c.Updated)
	return c, nil
}

// HookDelivered moves a hook past an event (unless it already is: an
// administrator skipped it while a try was in flight). A delivered event
// is no dead letter, so that a retry does not send it twice.
func (s *Store) HookDelivered(ctx context.Context, hook string, seq int64) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE hook_cursors SET last_id = $1, attempts = 0, last_error = '',
			failing_id = 0, updated_at = $2 WHERE hook = $3 AND last_id < $1`, seq, formatTime(s.now()), hook); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM hook_dead_letters WHERE hook = $1 AND event_seq = $2`, hook, seq)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: hook %s delivered %d: %w", hook, seq, err)
	}
	return nil
}

// HookFailed records a failed try at the hook's next event, seq. It is
// counted in the failures in all; the failing try is shown (and can be
// skipped) only while the cursor has not passed seq: an administrator
// may have skipped it while the try was in flight.
func (s *Store) HookFailed(ctx context.Context, hook string, seq int64, reason string) error {
	now := formatTime(s.now())
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE hook_cursors SET failures = failures + 1, updated_at = $1
			WHERE hook = $2`, now, hook); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `UPDATE hook_cursors SET attempts = attempts + 1, last_error = $1, failing_id = $2
			WHERE hook = $3 AND last_id < $2`, reason, seq, hook)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: hook %s failed: %w", hook, err)
	}
	return nil
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// DeadLetter is an event a hook gave up on: it failed too often, or an
// administrator skipped it. The hook went on with the later events.
type DeadLetter struct {
	Hook      string    `db:"hook" json:"hook"`
	Seq       int64     `db:"event_seq" json:"seq"`
	EventID   string    `db:"event_id" json:"event_id"`
	Type      string    `db:"type" json:"type"`
	Attempts  int       `db:"attempts" json:"attempts"`
	LastError string    `db:"last_error" json:"last_error"`
	Dead      string    `db:"dead_at" json:"-"`
	DeadAt    time.Time `db:"-" json:"dead_at"`
	Retry     bool      `db:"retry" json:"retry"` // a retry is asked for and not yet tried
}

// HookDeadLetter gives up on the event seq for a hook: it is recorded as
// a dead letter and the cursor moves past it (unless it already has).
func (s *Store) HookDeadLetter(ctx context.Context, hook string, seq int64, attempts int, reason string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error { return deadLetter(ctx, tx, hook, seq, attempts, reason, formatTime(s.now())) })
	if err != nil {
		return fmt.Errorf("store: hook %s dead letter %d: %w", hook, seq, err)
	}
	return nil
}

func deadLetter(ctx context.Context, tx *sqlx.Tx, hook string, seq int64, attempts int, reason, now string) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO hook_dead_letters (hook, event_seq, attempts, last_error, dead_at)
		VALUES ($1, $2, $3, $4, $5) ON CONFLICT (hook, event_seq) DO UPDATE SET attempts = hook_dead_letters.attempts + $3,
		last_error = $4, dead_at = $5, retry = 0`, hook, seq, attempts, reason, now); err != nil {
		return err
	}
	_, err := tx.ExecContext(ctx, `UPDATE hook_cursors SET last_id = $1, attempts = 0, last_error = '', failing_id = 0,
		updated_at = $2 WHERE hook = $3 AND last_id < $1`, seq, now, hook)
	return err
}

// HookSkip gives up on the event a hook is failing on now, as an
// administrator asks: it becomes a dead letter and the hook goes on.
// It returns the event's sequence number; ErrNotFound when the hook is
// not failing.
func (s *Store) HookSkip(ctx context.Context, hook string) (int64, error) {
	var seq int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var c struct {
			Failing  int64  `db:"failing_id"`
			Attempts int    `db:"attempts"`
			LastErr  string `db:"last_error"`
		}
		err := tx.GetContext(ctx, &c, `SELECT failing_id, attempts, last_error FROM hook_cursors WHERE hook = $1`, hook)
		if errors.Is(err, sql.ErrNoRows) || (err == nil && (c.Failing == 0 || c.Attempts == 0)) {
			return fmt.Errorf("hook %s is not failing on an event: %w", hook, ErrNotFound)
		}
		if err != nil {
			return err
		}
		seq = c.Failing
		return deadLetter(ctx, tx, hook, seq, c.Attempts, "skipped by an administrator after: "+c.LastErr, formatTime(s.now()))
	})
	if err != nil {
		return 0, fmt.Errorf("store: skip: %w", err)
	}
	return seq, nil
}

// DeadLetters lists a hook's dead letters ("" for every hook's), oldest
// first.
func (s *Store) DeadLetters(ctx context.Context, hook string) ([]DeadLetter, error) {
	var ds []DeadLetter
	err := s.db.SelectContext(ctx, &ds, `SELECT d.hook, d.event_seq, o.event_id, o.type, d.attempts, d.last_error,
		d.dead_at, d.retry FROM hook_dead_letters d JOIN outbox o ON o.id = d.event_seq
		WHERE $1 = '' OR d.hook = $1 ORDER BY d.hook, d.event_seq`, hook)
	if err != nil {
		return nil, fmt.Errorf("store: dead letters: %w", err)
	}
	for i := range ds {
		ds[i].DeadAt, _ = parseTime(ds[i].Dead)
	}
	return ds, nil
}

// RetryDeadLetter asks for one more try of a dead letter; the hook makes
// it when it has no new event to deliver. ErrNotFound when there is no
// such dead letter.
func (s *Store) RetryDeadLetter(ctx context.Context, hook string, seq int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE hook_dead_letters SET retry = 1 WHERE hook = $1 AND event_seq = $2`, hook, seq)
	if err == nil {
		if n, _ := res.RowsAffected(); n == 0 {
			err = fmt.Errorf("hook %s has no dead letter %d: %w", hook, seq, ErrNotFound)
		}
	}
	if err != nil {
		return fmt.Errorf("store: retry: %w", err)
	}
	return nil
}

// DeadLettersToRetry returns up to limit events of a hook's dead letters
// that an administrator asked to retry.
func (s *Store) DeadLettersToRetry(ctx context.Context, hook string, limit int) ([]Event, error) {
	var seqs []int64
	if err := s.db.SelectContext(ctx, &seqs, `SELECT event_seq FROM hook_dead_letters WHERE hook = $1 AND retry = 1
		ORDER BY event_seq LIMIT $2`, hook, limit); err != nil {
		return nil, fmt.Errorf("store: dead letters to retry: %w", err)
	}
	var out []Event
	for _, seq := range seqs {
		evs, err := s.EventsAfter(ctx, seq-1, 1)
		if err != nil {
			return nil, err
		}
		if len(evs) == 1 && evs[0].Seq == seq {
			out = append(out, evs[0])
		}
	}
	return out, nil
}

// DeadLetterRetried records the retried try: delivered (err nil) removes
// the dead letter, a failure keeps it with one more attempt.
func (s *Store) DeadLetterRetried(ctx context.Context, hook string, seq int64, failure error) error {
	var err error
	if failure == nil {
		_, err = s.db.ExecContext(ctx, `DELETE FROM hook_dead_letters WHERE hook = $1 AND event_seq = $2`, hook, seq)
	} else {
		_, err = s.db.ExecContext(ctx, `UPDATE hook_dead_letters SET retry = 0, attempts = attempts + 1, last_error = $1,
			dead_at = $2 WHERE hook = $3 AND event_seq = $4`, failure.Error(), formatTime(s.now()), hook, seq)
	}
	if err != nil {
		return fmt.Errorf("store: hook %s dead letter %d: %w", hook, seq, err)
	}
	return nil
}

// DeadLetterCounts is how many dead letters each hook has (hooks with
// none are absent).
func (s *Store) DeadLetterCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Hook string `db:"hook"`
		N    int    `db:"n"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT hook, COUNT(*) AS n FROM hook_dead_letters GROUP BY hook`); err != nil {
		return nil, fmt.Errorf("store: dead letter counts: %w", err)
	}
	n := make(map[string]int, len(rows))
	for _, r := range rows {
		n[r.Hook] = r.N
	}
	return n, nil
}

package store

import (
	"context"
	"sync"

	"github.com/jmoiron/sqlx"
)

// commitGroup gathers the transactions of concurrent uploads (their
// pending notes and audit rows) into one: while one commits, those that
// arrive wait, and the next transaction runs all of them and commits
// once, with one fsync of the log for all, instead of one each behind
// the write lock.
type commitGroup struct {
	mu      sync.Mutex
	queue   []*groupedTx
	running bool // a goroutine is running the queue
	commits int  // transactions run (tests count them)
}

type groupedTx struct {
	fn   func(context.Context, *sqlx.Tx) error
	done chan error
}

// grouped runs fn in a transaction it may share with other callers' and
// returns once that transaction committed (nil) or failed. Each fn runs
// in a savepoint of its own: when it fails, its writes are rolled back
// and the others' commit; when the shared commit fails, every caller gets
// the error. The caller is answered only after the commit, never before:
// it waits even when ctx is done (the commit may already be under way,
// and an upload must not be taken back once its audit row is in). fn gets
// a context no caller can cancel.
func (s *Store) grouped(fn func(context.Context, *sqlx.Tx) error) error {
	if s.group == nil || s.audit != nil {
		return s.tx(context.Background(), func(tx *sqlx.Tx) error { return fn(context.Background(), tx) })
	}
	t := &groupedTx{fn: fn, done: make(chan error, 1)}
	g := s.group
	g.mu.Lock()
	g.queue = append(g.queue, t)
	if !g.running {
		g.running = true
		go s.runGroups()
	}
	g.mu.Unlock()
	return <-t.done
}

// runGroups runs the queued transactions, those queued together in one,
// until none is left.
func (s *Store) runGroups() {
	g := s.group
	for {
		g.mu.Lock()
		batch := g.queue
		g.queue = nil
		if len(batch) == 0 {
			g.running = false
			g.mu.Unlock()
			return
		}
		g.mu.Unlock()
		s.runGroup(batch)
	}
}

func (s *Store) runGroup(batch []*groupedTx) {
	ctx := context.Background()
	s.group.commits++
	if len(batch) == 1 {
		batch[0].done <- s.tx(ctx, func(tx *sqlx.Tx) error { return batch[0].fn(ctx, tx) })
		return
	}
	errs := make([]error, len(batch))
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		for i, t := range batch {
			if _, err := tx.ExecContext(ctx, `SAVEPOINT grouped`); err != nil {
				return err
			}
			if errs[i] = t.fn(ctx, tx); errs[i] != nil {
				if _, err := tx.ExecContext(ctx, `ROLLBACK TO SAVEPOINT grouped`); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, `RELEASE SAVEPOINT grouped`); err != nil {
				return err
			}
		}
		return nil
	})
	for i, t := range batch {
		switch {
		case err != nil:
			t.done <- err
		default:
			t.done <- wrapDBError(errs[i])
		}
	}
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// claimsKept is how long a job's claims are kept: long past any retry.
const claimsKept = 60 * 24 * time.Hour

// ClaimBackupRun claims for holder the run of a job's schedule (kind) due
// at due: true for the first gateway that asks, false for every other, so
// that gateways sharing the database run each scheduled backup once. A
// job's claims older than claimsKept are removed on the way.
func (s *Store) ClaimBackupRun(ctx context.Context, job, kind string, due time.Time, holder string) (bool, error) {
	var n int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM backup_claims WHERE job = $1 AND due_at < $2`,
			job, formatTime(due.Add(-claimsKept))); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO backup_claims (job, kind, due_at, holder, claimed_at)
			VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING`, job, kind, formatTime(due), holder, formatTime(s.now()))
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: claim backup %s %s due %s: %w", job, kind, formatTime(due), err)
	}
	return n == 1, nil
}

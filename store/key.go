package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// Key is an SSH public key that logs a user in.
type Key struct {
	ID          int64     `db:"id"`
	UserID      int64     `db:"user_id"`
	Fingerprint string    `db:"fingerprint"` // SHA256:… as ssh-keygen prints it
	PublicKey   string    `db:"public_key"`  // authorized_keys format, without comment
	Comment     string    `db:"comment"`
	CreatedAt   time.Time `db:"-"`
}

func insertKey(ctx context.Context, tx *sqlx.Tx, userID int64, k NewKey, now string) error {
	_, err := tx.ExecContext(ctx, `INSERT INTO ssh_keys (user_id, fingerprint, public_key, comment, created_at)
		VALUES ($1, $2, $3, $4, $5)`, userID, k.Fingerprint, k.PublicKey, k.Comment, now)
	return err
}

// KeysOf returns the public keys of a user.
func (s *Store) KeysOf(ctx context.Context, userID int64) ([]Key, error) {
	var rows []struct {
		Key
		Created string `db:"created_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, user_id, fingerprint, public_key, comment, created_at
		FROM ssh_keys WHERE user_id = $1 ORDER BY id`, userID); err != nil {
		return nil, fmt.Errorf("store: keys of user %d: %w", userID, err)
	}
	keys := make([]Key, len(rows))
	for i, r := range rows {
		keys[i] = r.Key
		t, err := parseTime(r.Created)
		if err != nil {
			return nil, fmt.Errorf("store: key %s created_at: %w", r.Fingerprint, err)
		}
		keys[i].CreatedAt = t
	}
	return keys, nil
}

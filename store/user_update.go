package store

import (
	"context"
	"fmt"
	"net/netip"
	"time"

	"github.com/jmoiron/sqlx"
)

// UserUpdate changes some of a user's fields; nil fields stay as they are.
// Clients replaces the assignments. Validate with CheckAssignments first.
// Its JSON (in audit rows) names only the fields it changes.
type UserUpdate struct {
	Role         *Role           `json:"role,omitempty"`
	Department   *string         `json:"department,omitempty"`
	Clients      *[]string       `json:"clients,omitempty"`
	Status       *Status         `json:"status,omitempty"`
	ExpiresAt    **time.Time     `json:"expires_at,omitempty"` // a nil *time.Time clears the expiry
	AllowedCIDRs *[]netip.Prefix `json:"allowed_cidrs,omitempty"`
	Quota        *Limit          `json:"quota,omitempty"`
}

// UpdateUser applies an update in one transaction and returns the user.
func (s *Store) UpdateUser(ctx context.Context, name string, up UserUpdate) (*User, error) {
	u, err := s.UserByName(ctx, name)
	if err != nil {
		return nil, err
	}
	role, dept, status, expires, cidrs, quota := u.Role, u.Department, u.Status, u.ExpiresAt, u.AllowedCIDRs, u.Quota
	if up.Role != nil {
		role = *up.Role
	}
	if up.Department != nil {
		dept = *up.Department
	}
	if up.Status != nil {
		status = *up.Status
	}
	if up.ExpiresAt != nil {
		expires = *up.ExpiresAt
	}
	if up.AllowedCIDRs != nil {
		cidrs = *up.AllowedCIDRs
	}
	if up.Quota != nil {
		quota = *up.Quota
	}
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET role = $1, department = $2, status = $3, expires_at = $4,
			allowed_cidrs = $5, updated_at = $6, quota_bytes = $7, quota_files = $8 WHERE id = $9`, string(role), dept,
			string(status), nullTime(expires), joinCIDRs(cidrs), formatTime(s.now()), quota.Bytes, quota.Files, u.ID); err != nil {
			return err
		}
		if up.Clients == nil {
			return nil
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM user_clients WHERE user_id = $1`, u.ID); err != nil {
			return err
		}
		return assignClients(ctx, tx, u.ID, *up.Clients)
	})
	if err != nil {
		return nil, fmt.Errorf("store: update user %q: %w", name, err)
	}
	return s.UserByName(ctx, name)
}

// AddKey attaches an SSH public key to a user; a key already known (to
// anyone) is ErrConflict.
func (s *Store) AddKey(ctx context.Context, name string, k NewKey) error {
	u, err := s.UserByName(ctx, name)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *sqlx.Tx) error { return insertKey(ctx, tx, u.ID, k, formatTime(s.now())) })
	if err != nil {
		return fmt.Errorf("store: user %q key %s: %w", name, k.Fingerprint, err)
	}
	return nil
}

// RemoveKey detaches a key, by fingerprint, from a user.
func (s *Store) RemoveKey(ctx context.Context, name, fingerprint string) error {
	u, err := s.UserByName(ctx, name)
	if err != nil {
		return err
	}
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM ssh_keys WHERE user_id = $1 AND fingerprint = $2`, u.ID, fingerprint)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: user %q key %s: %w", name, fingerprint, err)
	}
	return nil
}

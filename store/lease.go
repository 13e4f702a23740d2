package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"time"
)

// Lease errors.
var (
	ErrLeaseHeld = errors.New("held by another process") // TryLease: someone else holds it and it has not expired
	ErrLeaseLost = errors.New("lease lost")              // RenewLease: it expired and was taken over, or was released
)

// Lease is one row of what a process holds: the data-dir lock's
// equivalent for work that exactly one of several gateways sharing the
// database may do at a time (a hook's delivery, a backup job's run).
// Expiry is judged by the clock of the process that asks, so gateways
// sharing a database keep their clocks in step (NTP): skew eats into the
// TTL.
type Lease struct {
	Name     string    `json:"name"`
	Holder   string    `json:"holder"`
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// NewHolder names this process as a lease holder: host, pid and a random
// part, so that a restarted process never mistakes its predecessor's
// lease for its own.
func NewHolder() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	rand.Read(b)
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), hex.EncodeToString(b))
}

// TryLease takes the lease name for holder until ttl from now: when
// nobody holds it, when holder already does (then it is renewed), or when
// its holder let it expire (a takeover). Otherwise ErrLeaseHeld.
func (s *Store) TryLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	now := s.now()
	var got string
	err := s.db.GetContext(ctx, &got, `INSERT INTO leases (name, holder, acquired_at, expires_at)
		VALUES ($1, $2, $3, $4)
		ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
			acquired_at = CASE WHEN leases.holder = excluded.holder THEN leases.acquired_at ELSE excluded.acquired_at END
		WHERE leases.holder = excluded.holder OR leases.expires_at <= excluded.acquired_at
		RETURNING holder`, name, holder, formatTime(now), formatTime(now.Add(ttl)))
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("store: lease %s: %w", name, ErrLeaseHeld)
	}
	if err != nil {
		return fmt.Errorf("store: lease %s: %w", name, wrapDBError(err))
	}
	return nil
}

// RenewLease pushes the lease's expiry to ttl from now, if holder still
// holds it (even past its expiry, if nobody took it over meanwhile);
// otherwise ErrLeaseLost.
func (s *Store) RenewLease(ctx context.Context, name, holder string, ttl time.Duration) error {
	res, err := s.db.ExecContext(ctx, `UPDATE leases SET expires_at = $1 WHERE name = $2 AND holder = $3`,
		formatTime(s.now().Add(ttl)), name, holder)
	if err != nil {
		return fmt.Errorf("store: renew lease %s: %w", name, wrapDBError(err))
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		return fmt.Errorf("store: renew lease %s: %w", name, ErrLeaseLost)
	}
	return nil
}

// ReleaseLease gives the lease up, if holder holds it, so that another
// process may take it at once.
func (s *Store) ReleaseLease(ctx context.Context, name, holder string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM leases WHERE name = $1 AND holder = $2`, name, holder); err != nil {
		return fmt.Errorf("store: release lease %s: %w", name, wrapDBError(err))
	}
	return nil
}

// Leases lists the leases held (expired ones included, until taken over
// or released), by name.
func (s *Store) Leases(ctx context.Context) ([]Lease, error) {
	var rows []struct {
		Name     string `db:"name"`
		Holder   string `db:"holder"`
		Acquired string `db:"acquired_at"`
		Expires  string `db:"expires_at"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT name, holder, acquired_at, expires_at FROM leases ORDER BY name`); err != nil {
		return nil, fmt.Errorf("store: leases: %w", wrapDBError(err))
	}
	out := make([]Lease, len(rows))
	for i, r := range rows {
		out[i] = Lease{Name: r.Name, Holder: r.Holder}
		out[i].Acquired, _ = parseTime(r.Acquired)
		out[i].Expires, _ = parseTime(r.Expires)
	}
	return out, nil
}

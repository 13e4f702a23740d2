package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The defender's state, shared by every gateway over this store: failed
// logins and bans per address prefix (the gateway's AddrKey, as text:
// "198.51.100.7/32", "2001:db8::/64").

// DefenderBan is a prefix banned until a time.
type DefenderBan struct {
	Prefix string
	Until  time.Time
}

// BannedUntil reports whether prefix is banned at now, and until when.
// It is one lookup by primary key: the defender asks it of every
// connection before its login.
func (s *Store) BannedUntil(ctx context.Context, prefix string, now time.Time) (time.Time, bool, error) {
	var until string
	err := s.db.GetContext(ctx, &until, `SELECT banned_until FROM defender_bans WHERE prefix = $1 AND banned_until > $2`,
		prefix, formatTime(now))
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: ban of %s: %w", prefix, err)
	}
	t, err := parseTime(until)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("store: ban of %s: %w", prefix, err)
	}
	return t, true, nil
}

// DefenderRule is when failed logins ban a prefix: Max failures within
// Window ban it for BanTime.
type DefenderRule struct {
	Max             int
	Window, BanTime time.Duration
}

// FailLogin counts a failed login from prefix at now under rule, in one
// transaction: banned reports whether the prefix is banned after it, and
// started whether this failure started the ban (until its end). A
// failure from a prefix already banned is not counted; the failures that
// started a ban are forgotten with it.
func (s *Store) FailLogin(ctx context.Context, prefix string, now time.Time, rule DefenderRule) (banned, started bool, until time.Time, err error) {
	err = s.tx(ctx, func(tx *sqlx.Tx) error {
		var cur string
		e := tx.GetContext(ctx, &cur, `SELECT banned_until FROM defender_bans WHERE prefix = $1 AND banned_until > $2`,
			prefix, formatTime(now))
		if e == nil {
			banned = true
			until, e = parseTime(cur)
			return e
		}
		if !errors.Is(e, sql.ErrNoRows) {
			return e
		}
		cutoff := formatTime(now.Add(-rule.Window))
		if _, e := tx.ExecContext(ctx, `DELETE FROM defender_failures WHERE prefix = $1 AND failed_at <= $2`, prefix, cutoff); e != nil {
			return e
		}
		if _, e := tx.ExecContext(ctx, `INSERT INTO defender_failures (prefix, failed_at) VALUES ($1, $2)`, prefix, formatTime(now)); e != nil {
			return e
		}
		var n int
		if e := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM defender_failures WHERE prefix = $1 AND failed_at > $2`, prefix, cutoff); e != nil {
			return e
		}
		if n < rule.Max {
			return nil
		}
		until = now.Add(rule.BanTime)
		if _, e := tx.ExecContext(ctx, `INSERT INTO defender_bans (prefix, banned_until) VALUES ($1, $2)
			ON CONFLICT (prefix) DO UPDATE SET banned_until = excluded.banned_until`, prefix, formatTime(until)); e != nil {
			return e
		}
		_, e = tx.ExecContext(ctx, `DELETE FROM defender_failures WHERE prefix = $1`, prefix)
		banned, started = true, true
		return e
	})
	if err != nil {
		return false, false, time.Time{}, fmt.Errorf("store: failed login from %s: %w", prefix, err)
	}
	return banned, started, until, nil
}

// Bans lists the prefixes banned at now, soonest to end first (then by
// prefix).
func (s *Store) Bans(ctx context.Context, now time.Time) ([]DefenderBan, error) {
	var rows []struct {
		Prefix string `db:"prefix"`
		Until  string `db:"banned_until"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT prefix, banned_until FROM defender_bans
		WHERE banned_until > $1 ORDER BY banned_until, prefix`, formatTime(now)); err != nil {
		return nil, fmt.Errorf("store: bans: %w", err)
	}
	out := make([]DefenderBan, 0, len(rows))
	for _, r := range rows {
		t, err := parseTime(r.Until)
		if err != nil {
			return nil, fmt.Errorf("store: ban of %s: %w", r.Prefix, err)
		}
		out = append(out, DefenderBan{Prefix: r.Prefix, Until: t})
	}
	return out, nil
}

// LiftBan ends the ban of prefix and forgets its failures; false when it
// was not banned at now.
func (s *Store) LiftBan(ctx context.Context, prefix string, now time.Time) (bool, error) {
	lifted := false
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM defender_bans WHERE prefix = $1 AND banned_until > $2`, prefix, formatTime(now))
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return err
		}
		lifted = true
		_, err = tx.ExecContext(ctx, `DELETE FROM defender_failures WHERE prefix = $1`, prefix)
		return err
	})
	if err != nil {
		return false, fmt.Errorf("store: lift ban of %s: %w", prefix, err)
	}
	return lifted, nil
}

// PruneDefender forgets the failures older than window and the bans that
// ended, at now.
func (s *Store) PruneDefender(ctx context.Context, now time.Time, window time.Duration) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM defender_failures WHERE failed_at <= $1`, formatTime(now.Add(-window))); err != nil {
		return fmt.Errorf("store: prune failed logins: %w", err)
	}
	if _, err := s.db.ExecContext(ctx, `DELETE FROM defender_bans WHERE banned_until <= $1`, formatTime(now)); err != nil {
		return fmt.Errorf("store: prune bans: %w", err)
	}
	return nil
}

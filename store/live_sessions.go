package store

import (
	"context"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// The live sessions of every gateway over this store. Each gateway
// (a process, with an id generated at its start) beats a heartbeat; the
// sessions of a gateway whose heartbeat stopped are not listed, and are
// cleaned by whichever gateway beats next.

// LiveSession is a row of the shared registry.
type LiveSession struct {
	ID       string `db:"id"`
	Gateway  string `db:"gateway"`
	User     string `db:"user_name"`
	Protocol string `db:"protocol"`
	Remote   string `db:"remote"`
	Started  string `db:"started_at"`
	Active   string `db:"active_at"`
	BytesIn  int64  `db:"bytes_in"`
	BytesOut int64  `db:"bytes_out"`
}

// StartedAt and ActiveAt parse the row's times.
func (l LiveSession) StartedAt() time.Time { t, _ := parseTime(l.Started); return t }

// ActiveAt is the last time the session was seen moving bytes (to its
// gateway's heartbeat), or its start.
func (l LiveSession) ActiveAt() time.Time { t, _ := parseTime(l.Active); return t }

// Heartbeat records that gateway gw (started at started) is alive at
// now. revived reports that the store did not know it (its first beat,
// or its rows were cleaned after a silence): its sessions must be listed
// again.
func (s *Store) Heartbeat(ctx context.Context, gw string, started, now time.Time) (revived bool, err error) {
	res, err := s.db.ExecContext(ctx, `UPDATE gateways SET heartbeat_at = $2 WHERE id = $1`, gw, formatTime(now))
	if err != nil {
		return false, fmt.Errorf("store: heartbeat of gateway %s: %w", gw, err)
	}
	if n, err := res.RowsAffected(); err != nil || n > 0 {
		return false, err
	}
	if _, err := s.db.ExecContext(ctx, `INSERT INTO gateways (id, started_at, heartbeat_at) VALUES ($1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET heartbeat_at = excluded.heartbeat_at`, gw, formatTime(started), formatTime(now)); err != nil {
		return false, fmt.Errorf("store: heartbeat of gateway %s: %w", gw, err)
	}
	return true, nil
}

// GatewayGone removes a gateway that stops and its sessions.
func (s *Store) GatewayGone(ctx context.Context, gw string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM live_sessions WHERE gateway = $1`, gw); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM gateways WHERE id = $1`, gw)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: gateway %s gone: %w", gw, err)
	}
	return nil
}

// CleanDeadGateways removes the gateways whose last heartbeat is not
// after dead, with their sessions, and sessions of no known gateway.
func (s *Store) CleanDeadGateways(ctx context.Context, dead time.Time) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		if _, err := tx.ExecContext(ctx, `DELETE FROM gateways WHERE heartbeat_at <= $1`, formatTime(dead)); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `DELETE FROM live_sessions WHERE gateway NOT IN (SELECT id FROM gateways)`)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: clean dead gateways: %w", err)
	}
	return nil
}

// PutLiveSession lists a session (replacing a row with its id).
func (s *Store) PutLiveSession(ctx context.Context, l LiveSession) error {
	_, err := s.db.NamedExecContext(ctx, `INSERT INTO live_sessions
		(id, gateway, user_name, protocol, remote, started_at, active_at, bytes_in, bytes_out, kick_at)
		VALUES (:id, :gateway, :user_name, :protocol, :remote, :started_at, :active_at, :bytes_in, :bytes_out, NULL)
		ON CONFLICT (id) DO UPDATE SET gateway = excluded.gateway, user_name = excluded.user_name,
		protocol = excluded.protocol, remote = excluded.remote, started_at = excluded.started_at,
		active_at = excluded.active_at, bytes_in = excluded.bytes_in, bytes_out = excluded.bytes_out`, l)
	if err != nil {
		return fmt.Errorf("store: list session %s: %w", l.ID, err)
	}
	return nil
}

// NewLiveSession is a row for a session of gateway gw started at started.
func NewLiveSession(gw, id, user, protocol, remote string, started time.Time) LiveSession {
	return LiveSession{ID: id, Gateway: gw, User: user, Protocol: protocol, Remote: remote,
		Started: formatTime(started), Active: formatTime(started)}
}

// EndLiveSession takes gateway gw's session id off the shared list.
func (s *Store) EndLiveSession(ctx context.Context, gw, id string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM live_sessions WHERE id = $1 AND gateway = $2`, id, gw); err != nil {
		return fmt.Errorf("store: end session %s: %w", id, err)
	}
	return nil
}

// LiveSessions lists the sessions of the gateways whose heartbeat is
// after dead, oldest first (then by id).
func (s *Store) LiveSessions(ctx context.Context, dead time.Time) ([]LiveSession, error) {
	var out []LiveSession
	err := s.db.SelectContext(ctx, &out, `SELECT l.id, l.gateway, l.user_name, l.protocol, l.remote, l.started_at,
		l.active_at, l.bytes_in, l.bytes_out FROM live_sessions l JOIN gateways g ON g.id = l.gateway
		WHERE g.heartbeat_at > $1 AND l.kick_at IS NULL ORDER BY l.started_at, l.id`, formatTime(dead))
	if err != nil {
		return nil, fmt.Errorf("store: live sessions: %w", err)
	}
	return out, nil
}

// RequestKick asks the gateway that holds session id (alive: heartbeat
// after dead) to end it; false when no such live session is listed or a
// kick of it is already asked for.
func (s *Store) RequestKick(ctx context.Context, id string, now, dead time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE live_sessions SET kick_at = $2 WHERE id = $1 AND kick_at IS NULL
		AND gateway IN (SELECT g.id FROM gateways g WHERE g.heartbeat_at > $3)`, id, formatTime(now), formatTime(dead))
	if err != nil {
		return false, fmt.Errorf("store: kick session %s: %w", id, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: kick session %s: %w", id, err)
	}
	return n > 0, nil
}

// KicksFor lists the sessions of gateway gw whose kick another gateway
// asked for.
func (s *Store) KicksFor(ctx context.Context, gw string) ([]string, error) {
	var ids []string
	if err := s.db.SelectContext(ctx, &ids, `SELECT id FROM live_sessions WHERE gateway = $1 AND kick_at IS NOT NULL`, gw); err != nil {
		return nil, fmt.Errorf("store: kicks for gateway %s: %w", gw, err)
	}
	return ids, nil
}

// SessionActivity is what a gateway reports of one of its sessions at a
// heartbeat.
type SessionActivity struct {
	ID                string
	BytesIn, BytesOut int64
}

// RecordActivity updates the byte counts of gateway gw's sessions that
// moved bytes since its last heartbeat, and marks them active at now,
// in one transaction.
func (s *Store) RecordActivity(ctx context.Context, gw string, now time.Time, acts []SessionActivity) error {
	if len(acts) == 0 {
		return nil
	}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		for _, a := range acts {
			if _, err := tx.ExecContext(ctx, `UPDATE live_sessions SET bytes_in = $3, bytes_out = $4, active_at = $5
				WHERE id = $1 AND gateway = $2`, a.ID, gw, a.BytesIn, a.BytesOut, formatTime(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: session activity of gateway %s: %w", gw, err)
	}
	return nil
}

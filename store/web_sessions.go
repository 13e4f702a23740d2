package store

import (
	"context"
	"fmt"
	"time"
)

// The web portal's and the admin console's browser sessions, shared by
// every gateway over the store: a browser that logged in through one
// gateway is logged in through every other. A session is found by the
// sha256 (hex) of its cookie; the cookie itself is never stored. Cookie
// names the front end (its cookie's name), so the portal's and the
// console's sessions stay apart.

// WebSession is a browser's login.
type WebSession struct {
	Hash         string `db:"hash"`          // sha256 of the cookie, hex
	Cookie       string `db:"cookie"`        // the front end's cookie name
	Session      string `db:"session"`       // the login's session id (audit rows, registry)
	User         string `db:"user_name"`     // as logged in
	PasswordHash string `db:"password_hash"` // the stored hash the login was checked against
	CSRF         string `db:"csrf"`          // the token every form of the session carries
	Remote       string `db:"remote"`        // the address it logged in from
	Started      string `db:"started_at"`
	Used         string `db:"used_at"`
}

// NewWebSession is a session row started (and used) at now.
func NewWebSession(hash, cookie, session, user, passwordHash, csrf, remote string, now time.Time) WebSession {
	return WebSession{Hash: hash, Cookie: cookie, Session: session, User: user, PasswordHash: passwordHash, CSRF: csrf,
		Remote: remote, Started: formatTime(now), Used: formatTime(now)}
}

// StartedAt is the session's login time.
func (w WebSession) StartedAt() time.Time { t, _ := parseTime(w.Started); return t }

// UsedAt is when the session was last used (to a second: TouchWebSession).
func (w WebSession) UsedAt() time.Time { t, _ := parseTime(w.Used); return t }

// PutWebSession stores a new session; when its front end holds max
// sessions or more, the least recently used go first.
func (s *Store) PutWebSession(ctx context.Context, w WebSession, max int) error {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM web_sessions WHERE cookie = $1`, w.Cookie); err != nil {
		return fmt.Errorf("store: web sessions: %w", err)
	}
	if n >= max {
		if _, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE hash IN (SELECT hash FROM web_sessions
			WHERE cookie = $1 ORDER BY used_at LIMIT $2)`, w.Cookie, n-max+1); err != nil {
			return fmt.Errorf("store: web sessions: %w", err)
		}
	}
	if _, err := s.db.NamedExecContext(ctx, `INSERT INTO web_sessions
		(hash, cookie, session, user_name, password_hash, csrf, remote, started_at, used_at)
		VALUES (:hash, :cookie, :session, :user_name, :password_hash, :csrf, :remote, :started_at, :used_at)`, w); err != nil {
		return fmt.Errorf("store: web session %s: %w", w.Session, wrapDBError(err))
	}
	return nil
}

// WebSessionOf returns the session of front end cookie whose cookie
// hashes to hash, or ErrNotFound.
func (s *Store) WebSessionOf(ctx context.Context, cookie, hash string) (*WebSession, error) {
	var w WebSession
	if err := s.db.GetContext(ctx, &w, `SELECT hash, cookie, session, user_name, password_hash, csrf, remote, started_at, used_at
		FROM web_sessions WHERE hash = $1 AND cookie = $2`, hash, cookie); err != nil {
		return nil, fmt.Errorf("store: web session: %w", wrapDBError(err))
	}
	return &w, nil
}

// TouchWebSession marks a session used at now.
func (s *Store) TouchWebSession(ctx context.Context, hash string, now time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE web_sessions SET used_at = $2 WHERE hash = $1 AND used_at < $2`,
		hash, formatTime(now)); err != nil {
		return fmt.Errorf("store: web session used: %w", err)
	}
	return nil
}

// EndWebSession deletes a session (logout, kick, timeout).
func (s *Store) EndWebSession(ctx context.Context, hash string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE hash = $1`, hash); err != nil {
		return fmt.Errorf("store: end web session: %w", err)
	}
	return nil
}

// ExpireWebSessions deletes front end cookie's sessions last used
// before usedBefore or started before startedBefore, and returns the
// hashes of those left.
func (s *Store) ExpireWebSessions(ctx context.Context, cookie string, usedBefore, startedBefore time.Time) (map[string]bool, error) {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM web_sessions WHERE cookie = $1 AND (used_at < $2 OR started_at < $3)`,
		cookie, formatTime(usedBefore), formatTime(startedBefore)); err != nil {
		return nil, fmt.Errorf("store: expire web sessions: %w", err)
	}
	var hashes []string
	if err := s.db.SelectContext(ctx, &hashes, `SELECT hash FROM web_sessions WHERE cookie = $1`, cookie); err != nil {
		return nil, fmt.Errorf("store: web sessions: %w", err)
	}
	left := make(map[string]bool, len(hashes))
	for _, h := range hashes {
		left[h] = true
	}
	return left, nil
}

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// ErrDAVLocked: a WebDAV lock conflicts with one held, or its user holds
// as many as they may.
var ErrDAVLocked = errors.New("locked")

// DAVLock is a WebDAV lock, shared by every gateway on the database.
type DAVLock struct {
	Token     string
	Root      string // the storage path locked
	VRoot     string // the virtual path its owner locked
	User      string
	ZeroDepth bool // the resource only, not what is below it
	OwnerXML  string
	Expires   time.Time
}

type davLockRow struct {
	Token     string `db:"token"`
	Root      string `db:"root"`
	VRoot     string `db:"vroot"`
	User      string `db:"user_name"`
	ZeroDepth bool   `db:"zero_depth"`
	OwnerXML  string `db:"owner_xml"`
	Expires   string `db:"expires_at"`
}

func (r davLockRow) lock() DAVLock {
	l := DAVLock{Token: r.Token, Root: r.Root, VRoot: r.VRoot, User: r.User, ZeroDepth: r.ZeroDepth, OwnerXML: r.OwnerXML}
	l.Expires, _ = parseTime(r.Expires)
	return l
}

const davLockCols = `token, root, vroot, user_name, zero_depth, owner_xml, expires_at`

// davConflict is the condition, over webdav_locks, of a lock that a new
// lock on root (with depth infinity unless zeroDepth) conflicts with: one
// on root itself, one of depth infinity on a folder above it, or, for a
// depth-infinity lock, one below it. args are the statement's arguments
// so far; the condition's are appended.
func davConflict(root string, zeroDepth bool, args []any) (string, []any) {
	args = append(args, root)
	cond := `root = $` + strconv.Itoa(len(args))
	var above []string
	for p := root; p != "/" && p != "."; {
		p = path.Dir(p)
		args = append(args, p)
		above = append(above, "$"+strconv.Itoa(len(args)))
	}
	if len(above) > 0 {
		cond += ` OR (zero_depth = 0 AND root IN (` + strings.Join(above, ", ") + `))`
	}
	if !zeroDepth {
		prefix := strings.TrimSuffix(root, "/") + "/"
		// length() counts characters as substr does (len counts bytes:
		// a folder named Año would never match).
		args = append(args, prefix)
		cond += fmt.Sprintf(` OR substr(root, 1, length($%d)) = $%d`, len(args), len(args))
	}
	return "(" + cond + ")", args
}

// DAVLockConflicts tells whether a lock on root would conflict with a
// live one (a request that takes no lock of its own checks this before it
// changes root).
func (s *Store) DAVLockConflicts(ctx context.Context, root string, zeroDepth bool, now time.Time) (bool, error) {
	cond, args := davConflict(root, zeroDepth, []any{formatTime(now)})
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM webdav_locks WHERE expires_at > $1 AND `+cond, args...); err != nil {
		return false, fmt.Errorf("store: webdav locks on %s: %w", root, wrapDBError(err))
	}
	return n > 0, nil
}

// CreateDAVLock takes l (Token and Expires are set here, from now and
// d) unless it conflicts with a live lock or its user already holds
// maxPerUser live locks: then ErrDAVLocked. Expired locks are dropped on
// the way.
func (s *Store) CreateDAVLock(ctx context.Context, l DAVLock, now time.Time, d time.Duration, maxPerUser int) (DAVLock, error) {
	l.Token = newLockToken()
	l.Expires = now.Add(d)
	zeroDepth := 0 // an INTEGER column on both databases
	if l.ZeroDepth {
		zeroDepth = 1
	}
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		// First, the row every lock writer updates: on PostgreSQL it
		// serialises them, so that no two gateways check and insert
		// conflicting locks at once (SQLite has one writer anyway).
		if _, err := tx.ExecContext(ctx, `UPDATE webdav_lock_writer SET version = version + 1 WHERE id = 1`); err != nil {
			return err
		}
		at := formatTime(now)
		if _, err := tx.ExecContext(ctx, `DELETE FROM webdav_locks WHERE expires_at <= $1`, at); err != nil {
			return err
		}
		var mine int
		if err := tx.GetContext(ctx, &mine, `SELECT COUNT(*) FROM webdav_locks WHERE user_name = $1`, l.User); err != nil {
			return err
		}
		if mine >= maxPerUser {
			return ErrDAVLocked
		}
		cond, args := davConflict(l.Root, l.ZeroDepth, nil)
		var n int
		if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM webdav_locks WHERE `+cond, args...); err != nil {
			return err
		}
		if n > 0 {
			return ErrDAVLocked
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO webdav_locks (token, root, vroot, user_name, zero_depth, owner_xml, created_at, expires_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, l.Token, l.Root, l.VRoot, l.User, zeroDepth, l.OwnerXML, at, formatTime(l.Expires))
		return err
	})
	if err != nil {
		return DAVLock{}, fmt.Errorf("store: webdav lock on %s: %w", l.Root, err)
	}
	return l, nil
}

// DAVLockByToken returns a live lock; ErrNotFound when there is none
// (never was, expired or unlocked).
func (s *Store) DAVLockByToken(ctx context.Context, token string, now time.Time) (DAVLock, error) {
	var r davLockRow
	err := s.db.GetContext(ctx, &r, `SELECT `+davLockCols+` FROM webdav_locks WHERE token = $1 AND expires_at > $2`,
		token, formatTime(now))
	if err != nil {
		return DAVLock{}, fmt.Errorf("store: webdav lock: %w", wrapDBError(err))
	}
	return r.lock(), nil
}

// RefreshDAVLock makes user's live lock last d from now; ErrNotFound when
// user holds no such live lock.
func (s *Store) RefreshDAVLock(ctx context.Context, token, user string, now time.Time, d time.Duration) (DAVLock, error) {
	var r davLockRow
	err := s.db.GetContext(ctx, &r, `UPDATE webdav_locks SET expires_at = $1
		WHERE token = $2 AND user_name = $3 AND expires_at > $4 RETURNING `+davLockCols,
		formatTime(now.Add(d)), token, user, formatTime(now))
	if errors.Is(err, sql.ErrNoRows) {
		return DAVLock{}, fmt.Errorf("store: webdav lock: %w", ErrNotFound)
	}
	if err != nil {
		return DAVLock{}, fmt.Errorf("store: webdav lock: %w", wrapDBError(err))
	}
	return r.lock(), nil
}

// DeleteDAVLock removes a lock (an UNLOCK).
func (s *Store) DeleteDAVLock(ctx context.Context, token string) error {
	if _, err := s.db.ExecContext(ctx, `DELETE FROM webdav_locks WHERE token = $1`, token); err != nil {
		return fmt.Errorf("store: webdav unlock: %w", wrapDBError(err))
	}
	return nil
}

// newLockToken is an unguessable lock token (RFC 4918's opaquelocktoken
// scheme with a random UUID).
func newLockToken() string {
	b := make([]byte, 16)
	rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("opaquelocktoken:%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

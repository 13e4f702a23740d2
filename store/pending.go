package store

import (
	"context"
	"fmt"

	"github.com/jmoiron/sqlx"
)

// PendingUpload is an upload that was about to be renamed into place and
// whose audit row was never written: its entry is the row it will get.
type PendingUpload struct {
	ID    int64
	Entry AuditEntry // At is when the upload began to be put in place
}

// BeginUpload records, durably, the audit entry of an upload that is about
// to be renamed into place (its path, size and sha256), and returns the
// record's id. CommitUpload settles it; until then PendingUploads lists it,
// so a crash between the rename and the audit row is found at the next
// start. Notes and commits of concurrent uploads share a transaction
// (grouped); each returns once its own is committed.
func (s *Store) BeginUpload(ctx context.Context, e AuditEntry) (int64, error) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	var id int64
	err := s.grouped(func(ctx context.Context, tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &id, `INSERT INTO pending_uploads
			(begun_at, session, user_name, role, protocol, remote, action, vpath, spath, bytes, sha256, gateway)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id`,
			formatTime(e.At), e.Session, e.User, string(e.Role), e.Protocol, e.Remote, e.Action,
			e.VPath, e.SPath, e.Bytes, e.SHA256, s.gateway)
	})
	if err != nil {
		return 0, fmt.Errorf("store: begin upload %s: %w", e.VPath, err)
	}
	return id, nil
}

// CommitUpload writes e as the audit row (and event) of the pending upload
// id and settles it, in one transaction: an upload that completed (ok) or
// that was taken back (failed). It fails with ErrNotFound, writing
// nothing, when id is not pending. It returns the audit row's id (a
// receipt names the upload by it).
func (s *Store) CommitUpload(ctx context.Context, id int64, e AuditEntry) (int64, error) {
	if e.At.IsZero() {
		e.At = s.now()
	}
	var row int64
	err := s.grouped(func(ctx context.Context, tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM pending_uploads WHERE id = $1`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n != 1 {
			return ErrNotFound
		}
		row, err = insertAudit(ctx, tx, e)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("store: commit upload %s: %w", e.VPath, err)
	}
	return row, nil
}

// PendingUploads returns the uploads begun and never committed that are
// this gateway's to settle, oldest first: its own (this store's gateway:
// a previous run of it, since a gateway runs once per data dir), those of
// no gateway, and those of gateways that are gone (no live presence lease,
// PresenceLease): never one a live gateway is putting in place.
func (s *Store) PendingUploads(ctx context.Context) ([]PendingUpload, error) {
	var rows []struct {
		ID       int64  `db:"id"`
		At       string `db:"begun_at"`
		Session  string `db:"session"`
		User     string `db:"user_name"`
		Role     string `db:"role"`
		Protocol string `db:"protocol"`
		Remote   string `db:"remote"`
		Action   string `db:"action"`
		VPath    string `db:"vpath"`
		SPath    string `db:"spath"`
		Bytes    int64  `db:"bytes"`
		SHA256   string `db:"sha256"`
	}
	if err := s.db.SelectContext(ctx, &rows, `SELECT id, begun_at, session, user_name, role, protocol, remote,
		action, vpath, spath, bytes, sha256 FROM pending_uploads p
		WHERE gateway = '' OR gateway = $1 OR NOT EXISTS (SELECT 1 FROM leases l
			WHERE l.name = 'gateway:' || p.gateway AND l.expires_at > $2) -- presencePrefix
		ORDER BY id`, s.gateway, formatTime(s.now())); err != nil {
		return nil, fmt.Errorf("store: pending uploads: %w", err)
	}
	out := make([]PendingUpload, len(rows))
	for i, r := range rows {
		at, err := parseTime(r.At)
		if err != nil {
			return nil, fmt.Errorf("store: pending upload %d: %w", r.ID, err)
		}
		out[i] = PendingUpload{ID: r.ID, Entry: AuditEntry{
			At: at.UTC(), Session: r.Session, User: r.User, Role: Role(r.Role), Protocol: r.Protocol,
			Remote: r.Remote, Action: r.Action, VPath: r.VPath, SPath: r.SPath, Bytes: r.Bytes, SHA256: r.SHA256,
		}}
	}
	return out, nil
}

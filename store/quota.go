package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"github.com/jmoiron/sqlx"
)

// What a stored file is charged to (the rule README.md states):
//
//   - the client account whose folders hold it: a file under
//     clients/<id>/ or dossiers/<id>/ counts against client <id>, whoever
//     put it there; files elsewhere (departments, restores) count against
//     no client;
//   - the user who last uploaded it (a new file or an overwrite): an
//     overwrite moves the whole file to the overwriter, a rename keeps its
//     uploader and follows the file into the client account of its new
//     folder, a delete frees both, a WebDAV COPY is an upload by the copier.
//
// The charges live in quota_files (one row per stored file) and in the
// used_* columns of users and clients, all written in the transaction that
// writes the operation's audit row (chargeAudit), so the usage a store
// shows always matches its audit trail. `custodia quota scan` reconciles
// both with the disk (ReconcileUsage).

// Limit is an account's quota; 0 is no limit.
type Limit struct {
	Bytes int64 `json:"bytes"`
	Files int64 `json:"files"`
}

// Usage is what an account's stored files take.
type Usage struct {
	Bytes int64 `json:"bytes"`
	Files int64 `json:"files"`
}

// Account is one account's quota and usage, as an upload checks them.
type Account struct {
	Name  string // user name or client id; "" when there is none
	Quota Limit
	Used  Usage
}

// Charge is what one stored file is charged: its uploader (by id, 0 when
// unknown), its client account ("" for none) and its size.
type Charge struct {
	UserID int64
	Client string
	Bytes  int64
}

// UploadAccounts is what an upload to spath by user may take: the user's
// and the client account's quota and usage, and what the file now at
// spath is charged (nil when none), which an overwrite frees.
type UploadAccounts struct {
	User     Account
	UserID   int64
	Client   Account // Name "" outside client folders
	Existing *Charge
}

// ClientOf is the client account whose folders hold storage path spath,
// or "" when none does.
func ClientOf(spath string) string {
	for _, area := range []string{AreaClients, AreaDossiers} {
		if rest, ok := strings.CutPrefix(spath, area+"/"); ok {
			id, _, _ := strings.Cut(rest, "/")
			return id
		}
	}
	return ""
}

// UploadAccounts loads what an upload to spath by the named user may take,
// in one statement (an upload asks twice: when it opens and when it
// closes; three statements cost each small file about 0.1 ms more).
func (s *Store) UploadAccounts(ctx context.Context, user, spath string) (UploadAccounts, error) {
	var out UploadAccounts
	var r struct {
		ID     int64          `db:"id"`
		Name   string         `db:"name"`
		QB     int64          `db:"quota_bytes"`
		QF     int64          `db:"quota_files"`
		UB     int64          `db:"used_bytes"`
		UF     int64          `db:"used_files"`
		Client sql.NullString `db:"client"` // NULL: spath is in no client's folders, or the client has no account
		CQB    sql.NullInt64  `db:"client_quota_bytes"`
		CQF    sql.NullInt64  `db:"client_quota_files"`
		CUB    sql.NullInt64  `db:"client_used_bytes"`
		CUF    sql.NullInt64  `db:"client_used_files"`
		File   sql.NullString `db:"file"` // NULL: nothing is charged at spath
		FUser  sql.NullInt64  `db:"file_user"`
		FCli   sql.NullString `db:"file_client"`
		FBytes sql.NullInt64  `db:"file_bytes"`
	}
	// A folder with no client account (no row) has no client quota.
	err := s.db.GetContext(ctx, &r, `SELECT u.id, u.name, u.quota_bytes, u.quota_files, u.used_bytes, u.used_files,
		c.id AS client, c.quota_bytes AS client_quota_bytes, c.quota_files AS client_quota_files,
		c.used_bytes AS client_used_bytes, c.used_files AS client_used_files,
		f.spath AS file, f.user_id AS file_user, f.client_id AS file_client, f.bytes AS file_bytes
		FROM users u
		LEFT JOIN clients c ON c.id = $2
		LEFT JOIN quota_files f ON f.spath = $3
		WHERE u.name_key = $1`, nameKey(user), ClientOf(spath), spath)
	if err != nil {
		return out, fmt.Errorf("store: quota of user %q: %w", user, wrapDBError(err))
	}
	out.UserID = r.ID
	out.User = Account{Name: r.Name, Quota: Limit{r.QB, r.QF}, Used: Usage{r.UB, r.UF}}
	if r.Client.Valid && r.Client.String != "" {
		out.Client = Account{Name: r.Client.String, Quota: Limit{r.CQB.Int64, r.CQF.Int64}, Used: Usage{r.CUB.Int64, r.CUF.Int64}}
	}
	if r.File.Valid {
		out.Existing = &Charge{UserID: r.FUser.Int64, Client: r.FCli.String, Bytes: r.FBytes.Int64}
	}
	return out, nil
}

type queryer interface {
	GetContext(ctx context.Context, dest any, query string, args ...any) error
}

// chargeOf is what the file at spath is charged, or nil.
func chargeOf(ctx context.Context, q queryer, spath string) (*Charge, error) {
	var r struct {
		UserID sql.NullInt64  `db:"user_id"`
		Client sql.NullString `db:"client_id"`
		Bytes  int64          `db:"bytes"`
	}
	err := q.GetContext(ctx, &r, `SELECT user_id, client_id, bytes FROM quota_files WHERE spath = $1`, spath)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &Charge{UserID: r.UserID.Int64, Client: r.Client.String, Bytes: r.Bytes}, nil
}

// chargeAudit applies the usage change of a file operation that succeeded,
// in the transaction that writes its audit row e.
func chargeAudit(ctx context.Context, tx *sqlx.Tx, e AuditEntry) error {
	if e.Result != ResultOK || e.SPath == "" {
		return nil
	}
	switch e.Action {
	case "write", "overwrite":
		if err := unchargeFile(ctx, tx, e.SPath); err != nil {
			return err
		}
		return chargeUpload(ctx, tx, e.SPath, e.User, Charge{Client: ClientOf(e.SPath), Bytes: e.Bytes})
	case "delete":
		return unchargeFile(ctx, tx, e.SPath) // a folder (only empty ones are deleted) has no row
	case "rename":
		if e.STarget == "" {
			return nil
		}
		return moveCharges(ctx, tx, e.SPath, e.STarget)
	}
	return nil
}

// chargeUpload records c as the charge of the file at spath, uploaded by
// the named user (none when no user has the name): the user's id is looked
// up in the statement that writes the charge, which runs in the commit
// that holds the database's write lock.
func chargeUpload(ctx context.Context, tx *sqlx.Tx, spath, user string, c Charge) error {
	var uid sql.NullInt64
	err := tx.GetContext(ctx, &uid, `INSERT INTO quota_files (spath, user_id, client_id, bytes)
		VALUES ($1, (SELECT id FROM users WHERE name_key = $2), $3, $4) RETURNING user_id`,
		spath, nameKey(user), nullString(c.Client), c.Bytes)
	if err != nil {
		return err
	}
	c.UserID = uid.Int64
	return addUsage(ctx, tx, c, 1)
}

// unchargeFile frees what the file at spath is charged, if anything.
func unchargeFile(ctx context.Context, tx *sqlx.Tx, spath string) error {
	c, err := chargeOf(ctx, tx, spath)
	if err != nil || c == nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM quota_files WHERE spath = $1`, spath); err != nil {
		return err
	}
	return addUsage(ctx, tx, *c, -1)
}

// addUsage adds sign times c to its user's and client's usage.
func addUsage(ctx context.Context, tx *sqlx.Tx, c Charge, sign int64) error {
	if c.UserID != 0 {
		if _, err := tx.ExecContext(ctx, `UPDATE users SET used_bytes = used_bytes + $1, used_files = used_files + $2
			WHERE id = $3`, sign*c.Bytes, sign, c.UserID); err != nil {
			return err
		}
	}
	if c.Client != "" {
		if _, err := tx.ExecContext(ctx, `UPDATE clients SET used_bytes = used_bytes + $1, used_files = used_files + $2
			WHERE id = $3`, sign*c.Bytes, sign, c.Client); err != nil {
			return err
		}
	}
	return nil
}

// moveCharges follows a rename of the file or folder from to to: a file
// replaced at to is freed; every file moved keeps its uploader and is
// charged to the client account of its new place.
func moveCharges(ctx context.Context, tx *sqlx.Tx, from, to string) error {
	if err := unchargeFile(ctx, tx, to); err != nil {
		return err
	}
	var rows []struct {
		SPath  string         `db:"spath"`
		UserID sql.NullInt64  `db:"user_id"`
		Client sql.NullString `db:"client_id"`
		Bytes  int64          `db:"bytes"`
	}
	// substr, not LIKE: a path may hold % and _.
	if err := tx.SelectContext(ctx, &rows, `SELECT spath, user_id, client_id, bytes FROM quota_files
		WHERE spath = $1 OR substr(spath, 1, length($1) + 1) = $1 || '/'`, from); err != nil {
		return err
	}
	for _, r := range rows {
		np := to + strings.TrimPrefix(r.SPath, from)
		old := Charge{Client: r.Client.String, Bytes: r.Bytes}
		moved := Charge{Client: ClientOf(np), Bytes: r.Bytes}
		if _, err := tx.ExecContext(ctx, `UPDATE quota_files SET spath = $1, client_id = $2 WHERE spath = $3`,
			np, nullString(moved.Client), r.SPath); err != nil {
			return err
		}
		if old.Client != moved.Client {
			if err := addUsage(ctx, tx, old, -1); err != nil {
				return err
			}
			if err := addUsage(ctx, tx, moved, 1); err != nil {
				return err
			}
		}
	}
	return nil
}

func nullID(id int64) sql.NullInt64 { return sql.NullInt64{Int64: id, Valid: id != 0} }

func nullString(s string) sql.NullString { return sql.NullString{String: s, Valid: s != ""} }

// ChargesUnder is what the file at spath, or every file under the folder
// at spath, is charged (a rename or a replacing copy checks the room of
// the accounts they would be charged to).
func (s *Store) ChargesUnder(ctx context.Context, spath string) ([]Charge, error) {
	var rows []struct {
		UserID sql.NullInt64  `db:"user_id"`
		Client sql.NullString `db:"client_id"`
		Bytes  int64          `db:"bytes"`
	}
	// substr, not LIKE: a path may hold % and _.
	if err := s.db.SelectContext(ctx, &rows, `SELECT user_id, client_id, bytes FROM quota_files
		WHERE spath = $1 OR substr(spath, 1, length($1) + 1) = $1 || '/'`, spath); err != nil {
		return nil, fmt.Errorf("store: charges under %s: %w", spath, wrapDBError(err))
	}
	out := make([]Charge, len(rows))
	for i, r := range rows {
		out[i] = Charge{UserID: r.UserID.Int64, Client: r.Client.String, Bytes: r.Bytes}
	}
	return out, nil
}

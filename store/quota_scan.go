package store

import (
	"context"
	"fmt"
	"sort"

	"github.com/jmoiron/sqlx"
)

// UsageDiff is one difference ReconcileUsage found (and fixed).
type UsageDiff struct {
	Kind string `json:"kind"` // user, client, or file
	Name string `json:"name"` // user name, client id, or storage path
	Was  Usage  `json:"was"`  // what the store said
	Is   Usage  `json:"is"`   // what the disk says
}

// ReconcileUsage makes the charges and usage match the disk, in one
// transaction: onDisk is every stored file (storage path → size) as a walk
// found it, and stat, called inside the transaction, confirms a file's
// size then (an upload or delete may have committed since the walk). A
// file with no charge gets one with no uploader; a charge with no file is
// dropped; sizes are corrected; then every user's and client's usage is
// recomputed from the charges. It returns the differences, files first.
func (s *Store) ReconcileUsage(ctx context.Context, onDisk map[string]int64, stat func(spath string) (int64, bool)) ([]UsageDiff, error) {
	var diffs []UsageDiff
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var err error
		diffs, err = reconcileFiles(ctx, tx, onDisk, stat)
		if err != nil {
			return err
		}
		for _, k := range []struct{ kind, table, key, by string }{
			{"user", "users", "name", "user_id = t.id"},
			{"client", "clients", "id", "client_id = t.id"},
		} {
			d, err := reconcileAccounts(ctx, tx, k.kind, k.table, k.key, k.by)
			if err != nil {
				return err
			}
			diffs = append(diffs, d...)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("store: reconcile usage: %w", err)
	}
	return diffs, nil
}

func reconcileFiles(ctx context.Context, tx *sqlx.Tx, onDisk map[string]int64, stat func(string) (int64, bool)) ([]UsageDiff, error) {
	var rows []struct {
		SPath string `db:"spath"`
		Bytes int64  `db:"bytes"`
	}
	if err := tx.SelectContext(ctx, &rows, `SELECT spath, bytes FROM quota_files`); err != nil {
		return nil, err
	}
	charged := make(map[string]int64, len(rows))
	for _, r := range rows {
		charged[r.SPath] = r.Bytes
	}
	paths := make([]string, 0, len(onDisk)+len(rows))
	for p := range onDisk {
		paths = append(paths, p)
	}
	for p := range charged {
		if _, ok := onDisk[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	var diffs []UsageDiff
	for _, p := range paths {
		was, hasRow := charged[p]
		size, exists := stat(p)
		switch {
		case exists && !hasRow:
			_, err := tx.ExecContext(ctx, `INSERT INTO quota_files (spath, user_id, client_id, bytes) VALUES ($1, NULL, $2, $3)`,
				p, nullString(ClientOf(p)), size)
			if err != nil {
				return nil, err
			}
			diffs = append(diffs, UsageDiff{Kind: "file", Name: p, Is: Usage{size, 1}})
		case !exists && hasRow:
			if _, err := tx.ExecContext(ctx, `DELETE FROM quota_files WHERE spath = $1`, p); err != nil {
				return nil, err
			}
			diffs = append(diffs, UsageDiff{Kind: "file", Name: p, Was: Usage{was, 1}})
		case exists && size != was:
			if _, err := tx.ExecContext(ctx, `UPDATE quota_files SET bytes = $1 WHERE spath = $2`, size, p); err != nil {
				return nil, err
			}
			diffs = append(diffs, UsageDiff{Kind: "file", Name: p, Was: Usage{was, 1}, Is: Usage{size, 1}})
		}
	}
	return diffs, nil
}

// reconcileAccounts recomputes the usage of every row of table from the
// charges (by joins a charge to the account t).
func reconcileAccounts(ctx context.Context, tx *sqlx.Tx, kind, table, key, by string) ([]UsageDiff, error) {
	var rows []struct {
		Name      string `db:"name"`
		UsedBytes int64  `db:"used_bytes"`
		UsedFiles int64  `db:"used_files"`
		IsBytes   int64  `db:"is_bytes"`
		IsFiles   int64  `db:"is_files"`
	}
	err := tx.SelectContext(ctx, &rows, `SELECT t.`+key+` AS name, t.used_bytes, t.used_files,
		(SELECT COALESCE(SUM(bytes), 0) FROM quota_files WHERE `+by+`) AS is_bytes,
		(SELECT COUNT(*) FROM quota_files WHERE `+by+`) AS is_files
		FROM `+table+` t ORDER BY t.`+key)
	if err != nil {
		return nil, err
	}
	var diffs []UsageDiff
	for _, r := range rows {
		was, is := Usage{r.UsedBytes, r.UsedFiles}, Usage{r.IsBytes, r.IsFiles}
		if was == is {
			continue
		}
		if _, err := tx.ExecContext(ctx, `UPDATE `+table+` SET used_bytes = $1, used_files = $2 WHERE `+key+` = $3`,
			is.Bytes, is.Files, r.Name); err != nil {
			return nil, err
		}
		diffs = append(diffs, UsageDiff{Kind: kind, Name: r.Name, Was: was, Is: is})
	}
	return diffs, nil
}

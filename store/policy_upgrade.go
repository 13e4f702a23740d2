package store

import (
	"context"
	"fmt"
	"slices"

	"github.com/jmoiron/sqlx"
)

// PolicyUpgrade is one version of the default rules: the shipped rules it
// replaces. The version reached is kept in meta's policies_seeded (1 for
// the rules of the first release).
type PolicyUpgrade struct {
	Version int64
	Replace []PolicyReplacement
}

// PolicyReplacement replaces one shipped rule (ptype then values) with
// others, if it is stored exactly as shipped.
type PolicyReplacement struct {
	Old []string
	New [][]string
}

// UpgradePolicies applies, in order and each in its own transaction, the
// upgrades newer than the version the store's rules are at, and records
// each version reached. A replaced rule must be stored word for word:
// one an administrator removed or changed stays as it is.
func (s *Store) UpgradePolicies(ctx context.Context, ups []PolicyUpgrade) error {
	for _, up := range slices.SortedFunc(slices.Values(ups), func(a, b PolicyUpgrade) int {
		return int(a.Version - b.Version)
	}) {
		err := s.tx(ctx, func(tx *sqlx.Tx) error {
			var at int64
			if err := tx.GetContext(ctx, &at, `SELECT value FROM meta WHERE key = 'policies_seeded'`); err != nil {
				return err
			}
			if at == 0 || at >= up.Version {
				return nil // not seeded yet, or already there
			}
			for _, r := range up.Replace {
				row, err := newRuleRow(r.Old[0], r.Old[1:])
				if err != nil {
					return err
				}
				res, err := tx.NamedExec(`DELETE FROM casbin_rule WHERE ptype = :ptype AND v0 = :v0 AND v1 = :v1
					AND v2 = :v2 AND v3 = :v3 AND v4 = :v4 AND v5 = :v5`, row)
				if err != nil {
					return err
				}
				if n, err := res.RowsAffected(); err != nil || n == 0 {
					continue
				}
				for _, nr := range r.New {
					if err := insertRule(tx, nr[0], nr[1:]); err != nil {
						return err
					}
				}
			}
			if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = $1 WHERE key = 'policies_seeded'`, up.Version); err != nil {
				return err
			}
			return bumpRevision(tx)
		})
		if err != nil {
			return fmt.Errorf("store: upgrade policies to version %d: %w", up.Version, err)
		}
	}
	return nil
}

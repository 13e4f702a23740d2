package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/casbin/casbin/v2/model"
	"github.com/casbin/casbin/v2/persist"
	"github.com/jmoiron/sqlx"
)

// PolicyAdapter is a Casbin persist.Adapter backed by the casbin_rule
// table. Every change bumps the policy revision that other processes poll.
type PolicyAdapter struct {
	s *Store
}

// Policies returns the store's Casbin adapter.
func (s *Store) Policies() *PolicyAdapter { return &PolicyAdapter{s: s} }

var _ persist.Adapter = (*PolicyAdapter)(nil)

type ruleRow struct {
	PType string `db:"ptype"`
	V0    string `db:"v0"`
	V1    string `db:"v1"`
	V2    string `db:"v2"`
	V3    string `db:"v3"`
	V4    string `db:"v4"`
	V5    string `db:"v5"`
}

func (r ruleRow) values() []string {
	v := []string{r.V0, r.V1, r.V2, r.V3, r.V4, r.V5}
	for len(v) > 0 && v[len(v)-1] == "" {
		v = v[:len(v)-1]
	}
	return v
}

func newRuleRow(ptype string, rule []string) (ruleRow, error) {
	if len(rule) > 6 {
		return ruleRow{}, fmt.Errorf("store: policy rule has %d fields, at most 6", len(rule))
	}
	v := make([]string, 6)
	copy(v, rule)
	return ruleRow{PType: ptype, V0: v[0], V1: v[1], V2: v[2], V3: v[3], V4: v[4], V5: v[5]}, nil
}

// Rules returns every stored rule as ptype followed by its values.
func (a *PolicyAdapter) Rules(ctx context.Context) ([][]string, error) {
	var rows []ruleRow
	if err := a.s.db.SelectContext(ctx, &rows, `SELECT ptype, v0, v1, v2, v3, v4, v5 FROM casbin_rule ORDER BY id`); err != nil {
		return nil, fmt.Errorf("store: load policy: %w", err)
	}
	out := make([][]string, len(rows))
	for i, r := range rows {
		out[i] = append([]string{r.PType}, r.values()...)
	}
	return out, nil
}

// LoadPolicy loads all rules into the model.
func (a *PolicyAdapter) LoadPolicy(m model.Model) error {
	rules, err := a.Rules(context.Background())
	if err != nil {
		return err
	}
	for _, r := range rules {
		if err := persist.LoadPolicyArray(r, m); err != nil {
			return fmt.Errorf("store: policy rule %s: %w", strings.Join(r, ", "), err)
		}
	}
	return nil
}

// SavePolicy replaces every stored rule with the model's.
func (a *PolicyAdapter) SavePolicy(m model.Model) error {
	return a.s.tx(context.Background(), func(tx *sqlx.Tx) error {
		if _, err := tx.Exec(`DELETE FROM casbin_rule`); err != nil {
			return err
		}
		for _, sec := range []string{"p", "g"} {
			for ptype, ast := range m[sec] {
				for _, rule := range ast.Policy {
					if err := insertRule(tx, ptype, rule); err != nil {
						return err
					}
				}
			}
		}
		return bumpRevision(tx)
	})
}

func insertRule(tx *sqlx.Tx, ptype string, rule []string) error {
	r, err := newRuleRow(ptype, rule)
	if err != nil {
		return err
	}
	_, err = tx.NamedExec(`INSERT INTO casbin_rule (ptype, v0, v1, v2, v3, v4, v5)
		VALUES (:ptype, :v0, :v1, :v2, :v3, :v4, :v5) ON CONFLICT DO NOTHING`, r)
	return err
}

func bumpRevision(tx *sqlx.Tx) error {
	_, err := tx.Exec(`UPDATE meta SET value = value + 1 WHERE key = 'policy_revision'`)
	return err
}

// AddPolicy stores one rule.
func (a *PolicyAdapter) AddPolicy(sec, ptype string, rule []string) error {
	return a.s.tx(context.Background(), func(tx *sqlx.Tx) error {
		if err := insertRule(tx, ptype, rule); err != nil {
			return err
		}
		return bumpRevision(tx)
	})
}

// RemovePolicy deletes one rule.
func (a *PolicyAdapter) RemovePolicy(sec, ptype string, rule []string) error {
	r, err := newRuleRow(ptype, rule)
	if err != nil {
		return err
	}
	return a.s.tx(context.Background(), func(tx *sqlx.Tx) error {
		res, err := tx.NamedExec(`DELETE FROM casbin_rule WHERE ptype = :ptype AND v0 = :v0 AND v1 = :v1
			AND v2 = :v2 AND v3 = :v3 AND v4 = :v4 AND v5 = :v5`, r)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return fmt.Errorf("rule %s: %w", strings.Join(rule, ", "), ErrNotFound)
		}
		return bumpRevision(tx)
	})
}

// RemoveFilteredPolicy deletes the rules whose fields from fieldIndex on
// equal the non-empty fieldValues.
func (a *PolicyAdapter) RemoveFilteredPolicy(sec, ptype string, fieldIndex int, fieldValues ...string) error {
	if fieldIndex < 0 || fieldIndex+len(fieldValues) > 6 {
		return fmt.Errorf("store: policy filter out of range")
	}
	query := `DELETE FROM casbin_rule WHERE ptype = $1`
	args := []any{ptype}
	for i, v := range fieldValues {
		if v == "" {
			continue
		}
		args = append(args, v)
		query += fmt.Sprintf(" AND v%d = $%d", fieldIndex+i, len(args))
	}
	return a.s.tx(context.Background(), func(tx *sqlx.Tx) error {
		if _, err := tx.Exec(query, args...); err != nil {
			return err
		}
		return bumpRevision(tx)
	})
}

// PolicyRevision is a counter bumped by every policy change, in any
// process; a running server polls it to reload.
func (s *Store) PolicyRevision(ctx context.Context) (int64, error) {
	var v int64
	if err := s.db.GetContext(ctx, &v, `SELECT value FROM meta WHERE key = 'policy_revision'`); err != nil {
		return 0, fmt.Errorf("store: policy revision: %w", err)
	}
	return v, nil
}

// SeedPolicies stores rules (each ptype followed by values) the first time
// it is called on a database, records them as the given version of the
// defaults, and reports whether it did. Later calls leave the rules alone,
// so an admin's deletions stay deleted; UpgradePolicies moves older
// defaults forward.
func (s *Store) SeedPolicies(ctx context.Context, version int64, rules [][]string) (bool, error) {
	seeded := false
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var done int64
		if err := tx.GetContext(ctx, &done, `SELECT value FROM meta WHERE key = 'policies_seeded'`); err != nil {
			return err
		}
		if done != 0 {
			return nil
		}
		for _, r := range rules {
			if err := insertRule(tx, r[0], r[1:]); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET value = $1 WHERE key = 'policies_seeded'`, version); err != nil {
			return err
		}
		seeded = true
		return bumpRevision(tx)
	})
	if err != nil {
		return false, fmt.Errorf("store: seed policies: %w", err)
	}
	return seeded, nil
}

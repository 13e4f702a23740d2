package store

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/jmoiron/sqlx"
)

// TokenKind tells a login's bearer token from an API key.
type TokenKind string

// Token kinds.
const (
	TokenSession TokenKind = "session" // from POST /api/v1/login, short-lived
	TokenAPIKey  TokenKind = "apikey"  // created by an admin, for scripts
)

// Scope is what a token may do in the admin API.
type Scope string

// Scopes, narrowest first.
const (
	ScopeMetrics Scope = "metrics" // only GET /metrics: for Prometheus
	ScopeRead    Scope = "read"    // the GET endpoints (and queries such as explain)
	ScopeAdmin   Scope = "admin"   // everything an admin may do
)

// ParseScope validates a scope name.
func ParseScope(s string) (Scope, error) {
	switch Scope(s) {
	case ScopeMetrics, ScopeRead, ScopeAdmin:
		return Scope(s), nil
	}
	return "", fmt.Errorf("unknown scope %q (want metrics, read or admin)", s)
}

// Allows reports whether a token of scope t may use an endpoint that
// needs scope need: admin allows everything, read allows read and
// metrics, metrics only metrics.
func (t Scope) Allows(need Scope) bool {
	rank := map[Scope]int{ScopeMetrics: 1, ScopeRead: 2, ScopeAdmin: 3}
	return rank[t] > 0 && rank[t] >= rank[need]
}

// TokenHash is the SHA-256 (hex) of a token's secret, which is what the
// store keeps and looks tokens up by.
func TokenHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// Token is an admin API credential; the secret itself is never stored,
// only its SHA-256 (Hash, hex).
type Token struct {
	ID        int64
	Kind      TokenKind
	Name      string
	User      string
	Scope     Scope
	Hash      string
	CreatedAt time.Time
	ExpiresAt *time.Time
	RevokedAt *time.Time
}

type tokenRow struct {
	ID        int64          `db:"id"`
	Kind      string         `db:"kind"`
	Name      string         `db:"name"`
	User      string         `db:"user_name"`
	Scope     string         `db:"scope"`
	Hash      string         `db:"hash"`
	CreatedAt string         `db:"created_at"`
	ExpiresAt sql.NullString `db:"expires_at"`
	RevokedAt sql.NullString `db:"revoked_at"`
}

const tokenColumns = `id, kind, name, user_name, scope, hash, created_at, expires_at, revoked_at`

func (r tokenRow) token() (*Token, error) {
	t := &Token{ID: r.ID, Kind: TokenKind(r.Kind), Name: r.Name, User: r.User, Scope: Scope(r.Scope), Hash: r.Hash}
	var err error
	if t.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, fmt.Errorf("store: token %d: %w", r.ID, err)
	}
	if t.ExpiresAt, err = parseNullTime(r.ExpiresAt); err != nil {
		return nil, fmt.Errorf("store: token %d: %w", r.ID, err)
	}
	if t.RevokedAt, err = parseNullTime(r.RevokedAt); err != nil {
		return nil, fmt.Errorf("store: token %d: %w", r.ID, err)
	}
	return t, nil
}

// NewToken is what CreateToken records.
type NewToken struct {
	Kind    TokenKind
	Name    string
	User    string // the admin the token acts as
	Scope   Scope
	Hash    string // TokenHash of the secret
	Expires *time.Time
}

// CreateToken records a token by the SHA-256 of its secret.
func (s *Store) CreateToken(ctx context.Context, nt NewToken) (*Token, error) {
	if _, err := ParseScope(string(nt.Scope)); err != nil {
		return nil, fmt.Errorf("store: create token: %w", err)
	}
	var id int64
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		return tx.GetContext(ctx, &id, `INSERT INTO admin_tokens (kind, name, user_name, scope, hash, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`, string(nt.Kind), nt.Name, nt.User, string(nt.Scope), nt.Hash,
			formatTime(s.now()), nullTime(nt.Expires))
	})
	if err != nil {
		return nil, fmt.Errorf("store: create token: %w", wrapDBError(err))
	}
	return s.tokenWhere(ctx, "id = $1", id)
}

// TokenByHash finds a token by the SHA-256 of its secret, revoked or not.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*Token, error) {
	return s.tokenWhere(ctx, "hash = $1", hash)
}

// TokenByID finds a token by id.
func (s *Store) TokenByID(ctx context.Context, id int64) (*Token, error) {
	return s.tokenWhere(ctx, "id = $1", id)
}

func (s *Store) tokenWhere(ctx context.Context, where string, arg any) (*Token, error) {
	var r tokenRow
	if err := s.db.GetContext(ctx, &r, `SELECT `+tokenColumns+` FROM admin_tokens WHERE `+where, arg); err != nil {
		return nil, fmt.Errorf("store: token: %w", wrapDBError(err))
	}
	return r.token()
}

// ListTokens lists the tokens of a kind, newest first.
func (s *Store) ListTokens(ctx context.Context, kind TokenKind) ([]*Token, error) {
	var rows []tokenRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+tokenColumns+` FROM admin_tokens WHERE kind = $1 ORDER BY id DESC`,
		string(kind)); err != nil {
		return nil, fmt.Errorf("store: list tokens: %w", err)
	}
	out := make([]*Token, 0, len(rows))
	for _, r := range rows {
		t, err := r.token()
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, nil
}

// RevokeToken ends a token; revoking twice keeps the first time.
func (s *Store) RevokeToken(ctx context.Context, id int64) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE admin_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2`,
			formatTime(s.now()), id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store: revoke token %d: %w", id, err)
	}
	return nil
}

// RevokeTokensOf ends every token of a user (disabled, deleted, no longer
// an admin).
func (s *Store) RevokeTokensOf(ctx context.Context, user string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE admin_tokens SET revoked_at = $1
		WHERE lower(user_name) = lower($2) AND revoked_at IS NULL`, formatTime(s.now()), user)
	if err != nil {
		return fmt.Errorf("store: revoke tokens of %q: %w", user, err)
	}
	return nil
}

package account

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strconv"
	"time"

	"github.com/oaq/custodia/store"
)

// KeyPrefix starts every API key's secret, so that a leaked one is easy
// to recognise (a login's token starts with "cst_").
const KeyPrefix = "cstk_"

// NewSecret returns a 256-bit random secret with prefix, and the hash the
// store keeps (store.TokenHash).
func NewSecret(prefix string) (secret, hash string) {
	b := make([]byte, 32)
	rand.Read(b) // never fails (crypto/rand)
	secret = prefix + base64.RawURLEncoding.EncodeToString(b)
	return secret, store.TokenHash(secret)
}

// KeyPath is the resource path of an API key in audit rows.
func KeyPath(id int64) string { return "/api/v1/keys/" + strconv.FormatInt(id, 10) }

// KeyView is an API key as audit rows, the API and the command line show
// it: never its secret or hash.
type KeyView struct {
	ID        int64       `json:"id"`
	Name      string      `json:"name"`
	User      string      `json:"user"`
	Scope     store.Scope `json:"scope"`
	CreatedAt time.Time   `json:"created_at"`
	ExpiresAt *time.Time  `json:"expires_at"`
	RevokedAt *time.Time  `json:"revoked_at"`
}

// ViewKey is t as shown.
func ViewKey(t *store.Token) KeyView {
	return KeyView{ID: t.ID, Name: t.Name, User: t.User, Scope: t.Scope, CreatedAt: t.CreatedAt,
		ExpiresAt: t.ExpiresAt, RevokedAt: t.RevokedAt}
}

// CreateAPIKey makes a long-lived API key of scope that acts as the admin
// user (it stops working when that account is no longer an active admin);
// the secret is returned once and only its hash is kept.
func (s *Service) CreateAPIKey(ctx context.Context, a Actor, name, user string, scope store.Scope,
	expires *time.Time) (KeyView, string, error) {
	if _, err := store.ParseScope(string(scope)); err != nil {
		return KeyView{}, "", err
	}
	u, err := s.Store.UserByName(ctx, user)
	if err != nil {
		return KeyView{}, "", err
	}
	if u.Role != store.RoleAdmin {
		return KeyView{}, "", fmt.Errorf("%s is a %s: an API key acts as an admin", u.Name, u.Role)
	}
	secret, hash := NewSecret(KeyPrefix)
	nt := store.NewToken{Kind: store.TokenAPIKey, Name: name, User: u.Name, Scope: scope, Hash: hash, Expires: expires}
	// The row's id is known only after the insert: the audit row names the
	// key by its name and user, and the key's path by the next listing.
	after := map[string]any{"name": name, "user": u.Name, "scope": scope, "expires_at": expires}
	t, err := s.change(a, "admin.key.create", "/api/v1/keys", nil, after).CreateToken(ctx, nt)
	if err != nil {
		return KeyView{}, "", err
	}
	return ViewKey(t), secret, nil
}

// RevokeAPIKey ends an API key (not a login's token: store.ErrNotFound).
func (s *Service) RevokeAPIKey(ctx context.Context, a Actor, id int64) (KeyView, error) {
	t, err := s.Store.TokenByID(ctx, id)
	if err == nil && t.Kind != store.TokenAPIKey {
		err = fmt.Errorf("token %d: %w", id, store.ErrNotFound)
	}
	if err != nil {
		return KeyView{}, err
	}
	before := ViewKey(t)
	if err := s.change(a, "admin.key.revoke", KeyPath(id), before, map[string]any{"revoked": true}).
		RevokeToken(ctx, id); err != nil {
		return KeyView{}, err
	}
	if t, err = s.Store.TokenByID(ctx, id); err != nil {
		return KeyView{}, err
	}
	return ViewKey(t), nil
}

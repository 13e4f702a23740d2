package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Role is what a user is to the brokerage; policies are written per role.
type Role string

// The six roles of DESIGN.md.
const (
	RoleClient        Role = "client"
	RoleCorrespondent Role = "correspondent"
	RoleStaff         Role = "staff"
	RoleManager       Role = "manager"
	RolePublisher     Role = "publisher"
	RoleAdmin         Role = "admin"
)

// Roles lists every role in a stable order.
func Roles() []Role {
	return []Role{RoleClient, RoleCorrespondent, RoleStaff, RoleManager, RolePublisher, RoleAdmin}
}

// ParseRole validates a role name.
func ParseRole(s string) (Role, error) {
	for _, r := range Roles() {
		if string(r) == s {
			return r, nil
		}
	}
	return "", fmt.Errorf("unknown role %q (want one of client, correspondent, staff, manager, publisher, admin)", s)
}

// HasDepartment reports whether users of the role belong to a department.
func (r Role) HasDepartment() bool { return r == RoleStaff || r == RoleManager }

// HasClients reports whether users of the role are assigned client accounts.
func (r Role) HasClients() bool { return r == RoleClient || r == RoleCorrespondent }

// Status of a user account.
type Status string

// Account states.
const (
	StatusActive   Status = "active"
	StatusDisabled Status = "disabled"
)

// User is one account, with its assignments.
type User struct {
	ID           int64
	Name         string
	Role         Role
	Department   string
	Status       Status
	PasswordHash string
	AllowedCIDRs []netip.Prefix
	ExpiresAt    *time.Time
	CreatedAt    time.Time
	CreatedBy    string // who created it: an admin's name, "os:NAME" (the command line), or "" (not recorded)
	UpdatedAt    time.Time
	LastLoginAt  *time.Time
	Clients      []string // assigned client ids, sorted
	Quota        Limit    // 0: no limit (store/quota.go says what is charged)
	Used         Usage
}

// NewUser is what CreateUser needs.
type NewUser struct {
	Name         string
	Role         Role
	Department   string
	PasswordHash string
	Clients      []string
	AllowedCIDRs []netip.Prefix
	ExpiresAt    *time.Time
	Keys         []NewKey
	CreatedBy    string // the actor that creates it (account.Actor.Name)
}

// NewKey is an SSH public key to attach to a new user.
type NewKey struct {
	Fingerprint, PublicKey, Comment string
}

type userRow struct {
	ID           int64          `db:"id"`
	Name         string         `db:"name"`
	Role         string         `db:"role"`
	Department   string         `db:"department"`
	Status       string         `db:"status"`
	PasswordHash string         `db:"password_hash"`
	AllowedCIDRs string         `db:"allowed_cidrs"`
	ExpiresAt    sql.NullString `db:"expires_at"`
	CreatedAt    string         `db:"created_at"`
	CreatedBy    string         `db:"created_by"`
	UpdatedAt    string         `db:"updated_at"`
	LastLoginAt  sql.NullString `db:"last_login_at"`
	QuotaBytes   int64          `db:"quota_bytes"`
	QuotaFiles   int64          `db:"quota_files"`
	UsedBytes    int64          `db:"used_bytes"`
	UsedFiles    int64          `db:"used_files"`
}

const userColumns = `id, name, role, department, status, password_hash, allowed_cidrs,
	expires_at, created_at, created_by, updated_at, last_login_at, quota_bytes, quota_files, used_bytes, used_files`

// nameKey is the case-insensitive identity of a user name.
func nameKey(name string) string { return strings.ToLower(name) }

func (r userRow) user() (*User, error) {
	u := &User{
		ID: r.ID, Name: r.Name, Role: Role(r.Role), Department: r.Department,
		Status: Status(r.Status), PasswordHash: r.PasswordHash, CreatedBy: r.CreatedBy,
		Quota: Limit{r.QuotaBytes, r.QuotaFiles}, Used: Usage{r.UsedBytes, r.UsedFiles},
	}
	var err error
	if u.CreatedAt, err = parseTime(r.CreatedAt); err != nil {
		return nil, fmt.Errorf("store: user %q created_at: %w", r.Name, err)
	}
	if u.UpdatedAt, err = parseTime(r.UpdatedAt); err != nil {
		return nil, fmt.Errorf("store: user %q updated_at: %w", r.Name, err)
	}
	if u.ExpiresAt, err = parseNullTime(r.ExpiresAt); err != nil {
		return nil, fmt.Errorf("store: user %q expires_at: %w", r.Name, err)
	}
	if u.LastLoginAt, err = parseNullTime(r.LastLoginAt); err != nil {
		return nil, fmt.Errorf("store: user %q last_login_at: %w", r.Name, err)
	}
	for _, c := range strings.Split(r.AllowedCIDRs, ",") {
		if c == "" {
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("store: user %q allowed_cidrs: %w", r.Name, err)
		}
		u.AllowedCIDRs = append(u.AllowedCIDRs, p)
	}
	return u, nil
}

func parseNullTime(s sql.NullString) (*time.Time, error) {
	if !s.Valid {
		return nil, nil
	}
	t, err := parseTime(s.String)
	if err != nil {
		return nil, err
	}
	return &t, nil
}

func nullTime(t *time.Time) sql.NullString {
	if t == nil {
		return sql.NullString{}
	}
	return sql.NullString{String: formatTime(*t), Valid: true}
}

func joinCIDRs(ps []netip.Prefix) string {
	s := make([]string, len(ps))
	for i, p := range ps {
		s[i] = p.String()
	}
	return strings.Join(s, ",")
}

// CreateUser inserts a user with its client assignments. A name that
// differs from an existing one only in case is a conflict; an unknown
// client id is ErrNotFound.
func (s *Store) CreateUser(ctx context.Context, nu NewUser) (*User, error) {
	now := formatTime(s.now())
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		var id int64
		err := tx.GetContext(ctx, &id, `INSERT INTO users
			(name, name_key, role, department, status, password_hash, allowed_cidrs, expires_at, created_at, created_by, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			nu.Name, nameKey(nu.Name), string(nu.Role), nu.Department, string(StatusActive),
			nu.PasswordHash, joinCIDRs(nu.AllowedCIDRs), nullTime(nu.ExpiresAt), now, nu.CreatedBy, now)
		if err != nil {
			return wrapDBError(err)
		}
		for _, k := range nu.Keys {
			if err := insertKey(ctx, tx, id, k, now); err != nil {
				return fmt.Errorf("key %s: %w", k.Fingerprint, wrapDBError(err))
			}
		}
		return assignClients(ctx, tx, id, nu.Clients)
	})
	if err != nil {
		return nil, fmt.Errorf("store: create user %q: %w", nu.Name, err)
	}
	return s.UserByName(ctx, nu.Name)
}

func assignClients(ctx context.Context, tx *sqlx.Tx, userID int64, clients []string) error {
	for _, c := range clients {
		var id string
		if err := tx.GetContext(ctx, &id, `SELECT id FROM clients WHERE id = $1`, c); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("client %q: %w", c, ErrNotFound)
			}
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO user_clients (user_id, client_id) VALUES ($1, $2)
			ON CONFLICT DO NOTHING`, userID, c); err != nil {
			return err
		}
	}
	return nil
}

// UserByName loads a user (case-insensitively) with its assignments.
func (s *Store) UserByName(ctx context.Context, name string) (*User, error) {
	var row userRow
	err := s.db.GetContext(ctx, &row, `SELECT `+userColumns+` FROM users WHERE name_key = $1`, nameKey(name))
	if err != nil {
		return nil, fmt.Errorf("store: user %q: %w", name, wrapDBError(err))
	}
	u, err := row.user()
	if err != nil {
		return nil, err
	}
	if err := s.db.SelectContext(ctx, &u.Clients,
		`SELECT client_id FROM user_clients WHERE user_id = $1 ORDER BY client_id`, u.ID); err != nil {
		return nil, fmt.Errorf("store: user %q clients: %w", name, err)
	}
	return u, nil
}

// ListUsers returns every user ordered by name.
func (s *Store) ListUsers(ctx context.Context) ([]*User, error) {
	var rows []userRow
	if err := s.db.SelectContext(ctx, &rows, `SELECT `+userColumns+` FROM users ORDER BY name_key`); err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	var links []struct {
		UserID   int64  `db:"user_id"`
		ClientID string `db:"client_id"`
	}
	if err := s.db.SelectContext(ctx, &links, `SELECT user_id, client_id FROM user_clients`); err != nil {
		return nil, fmt.Errorf("store: list users: %w", err)
	}
	byID := map[int64][]string{}
	for _, l := range links {
		byID[l.UserID] = append(byID[l.UserID], l.ClientID)
	}
	users := make([]*User, 0, len(rows))
	for _, r := range rows {
		u, err := r.user()
		if err != nil {
			return nil, err
		}
		u.Clients = byID[u.ID]
		sort.Strings(u.Clients)
		users = append(users, u)
	}
	return users, nil
}

// CountUsers returns how many users exist.
func (s *Store) CountUsers(ctx context.Context) (int, error) {
	var n int
	if err := s.db.GetContext(ctx, &n, `SELECT COUNT(*) FROM users`); err != nil {
		return 0, fmt.Errorf("store: count users: %w", err)
	}
	return n, nil
}

// updateUser sets one column of a user; with revoke, it also revokes
// every admin token and API key of the user, in the same transaction.
func (s *Store) updateUser(ctx context.Context, name, what, set string, arg any, revoke bool) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		now := formatTime(s.now())
		res, err := tx.ExecContext(ctx, `UPDATE users SET `+set+` = $1, updated_at = $2 WHERE name_key = $3`,
			arg, now, nameKey(name))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		if !revoke {
			return nil
		}
		_, err = tx.ExecContext(ctx, `UPDATE admin_tokens SET revoked_at = $1
			WHERE lower(user_name) = $2 AND revoked_at IS NULL`, now, nameKey(name))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: user %q %s: %w", name, what, err)
	}
	return nil
}

// SetPasswordHash replaces a user's password hash and revokes every admin
// token and API key of the user: credentials do not outlive a reset.
func (s *Store) SetPasswordHash(ctx context.Context, name, hash string) error {
	return s.updateUser(ctx, name, "password", "password_hash", hash, true)
}

// SetStatus enables or disables a user. Disabling revokes every admin
// token and API key of the user; enabling revives none.
func (s *Store) SetStatus(ctx context.Context, name string, st Status) error {
	return s.updateUser(ctx, name, "status", "status", string(st), st != StatusActive)
}

// TouchLogin records a successful login time.
func (s *Store) TouchLogin(ctx context.Context, name string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE users SET last_login_at = $1 WHERE name_key = $2`,
		formatTime(s.now()), nameKey(name))
	if err != nil {
		return fmt.Errorf("store: user %q last login: %w", name, err)
	}
	return nil
}

// DeleteUser removes a user, its keys and assignments, and revokes its
// admin tokens in the same transaction, so that a later user of the same
// name inherits none. The audit log keeps its rows, which name the user by
// value.
func (s *Store) DeleteUser(ctx context.Context, name string) error {
	err := s.tx(ctx, func(tx *sqlx.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE name_key = $1`, nameKey(name))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return ErrNotFound
		}
		_, err = tx.ExecContext(ctx, `UPDATE admin_tokens SET revoked_at = $1
			WHERE lower(user_name) = $2 AND revoked_at IS NULL`, formatTime(s.now()), nameKey(name))
		return err
	})
	if err != nil {
		return fmt.Errorf("store: delete user %q: %w", name, err)
	}
	return nil
}

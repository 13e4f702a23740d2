package store

import (
	"context"
	"time"
)

// UserInfo is a user as custodia shows one, in the admin API and in
// `custodia user list --json`: never a password hash. Times are UTC.
type UserInfo struct {
	Username     string     `json:"username"`
	Role         Role       `json:"role"`
	Department   string     `json:"department"`
	Clients      []string   `json:"clients"`
	Status       Status     `json:"status"`
	ExpiresAt    *time.Time `json:"expires_at"`
	AllowedCIDRs []string   `json:"allowed_cidrs"`
	HasPassword  bool       `json:"has_password"`
	Keys         []string   `json:"keys"` // SSH key fingerprints
	CreatedAt    time.Time  `json:"created_at"`
	LastLoginAt  *time.Time `json:"last_login_at"`
	Quota        Limit      `json:"quota"` // 0: no limit
	Used         Usage      `json:"used"`
}

// Info is u as UserInfo, with the fingerprints of its keys.
func (s *Store) Info(ctx context.Context, u *User) (UserInfo, error) {
	utc := func(t *time.Time) *time.Time {
		if t == nil {
			return nil
		}
		v := t.UTC()
		return &v
	}
	out := UserInfo{
		Username: u.Name, Role: u.Role, Department: u.Department, Clients: append([]string{}, u.Clients...),
		Status: u.Status, ExpiresAt: utc(u.ExpiresAt), HasPassword: u.PasswordHash != "", CreatedAt: u.CreatedAt.UTC(),
		Quota: u.Quota, Used: u.Used,
		LastLoginAt: utc(u.LastLoginAt), AllowedCIDRs: []string{}, Keys: []string{},
	}
	for _, p := range u.AllowedCIDRs {
		out.AllowedCIDRs = append(out.AllowedCIDRs, p.String())
	}
	keys, err := s.KeysOf(ctx, u.ID)
	if err != nil {
		return out, err
	}
	for _, k := range keys {
		out.Keys = append(out.Keys, k.Fingerprint)
	}
	return out, nil
}

// Package account is the one way accounts change, whoever asks: the
// admin API, the command line (in the server or, with no server, on the
// store) and, later, the console. Every change writes its audit row in
// the same transaction, naming who made it (the admin's name, or
// "os:NAME" for the command line) and the account changed; a password
// reset, a disable or a delete revokes every admin token and API key of
// the user and ends their live sessions on every protocol; enabling an
// account revives no old credential.
package account

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

// Actor is who makes a change, as the audit row names it.
type Actor struct {
	Name     string // the admin's user name, or "os:NAME"
	Protocol string // "admin" (the API) or "cli"
	Remote   string // the API caller's address; "" for the command line
	Session  string // ties the change to its login: a console session's id, "token:ID" for an API token; "" for the command line
}

// Sessions ends a user's live sessions (gateway.Core). Nil when no
// server runs, so that there are none.
type Sessions interface {
	KickUser(name string) int
}

// Rules changes authorization rules (authz.Enforcer).
type Rules interface {
	AddRule(ctx context.Context, r authz.Rule) error
	RemoveRule(ctx context.Context, r authz.Rule) error
}

var errNoRules = errors.New("account: no policy engine to change rules with")

// Service changes accounts in a store.
type Service struct {
	Store    *store.Store
	Sessions Sessions // nil: no live sessions to end
	Rules    Rules    // nil: rules cannot be changed
}

// change is the audited store for one change by a of the resource path,
// with the state before and after as the row's reason.
func (s *Service) change(a Actor, action, path string, before, after any) *store.Store {
	return s.Store.Audited(entry(a, action, path, before, after))
}

// entry is the audit row of a change by a of the resource path: the state
// before and after as JSON in its reason.
func entry(a Actor, action, path string, before, after any) store.AuditEntry {
	reason, _ := json.Marshal(map[string]any{"before": before, "after": after}) // plain values: cannot fail
	return store.AuditEntry{
		User: a.Name, Role: store.RoleAdmin, Protocol: a.Protocol, Remote: a.Remote, Session: a.Session,
		Action: action, VPath: path, Result: store.ResultOK, Reason: string(reason),
	}
}

// UserPath is the resource path of a user in audit rows.
func UserPath(name string) string { return "/api/v1/users/" + name }

// endSessions ends the user's live sessions, when a server runs.
func (s *Service) endSessions(name string) int {
	if s.Sessions == nil {
		return 0
	}
	return s.Sessions.KickUser(name)
}

// CreateUser adds a user, recording a as its creator.
func (s *Service) CreateUser(ctx context.Context, a Actor, nu store.NewUser) (*store.User, error) {
	nu.CreatedBy = a.Name
	keys := []string{}
	for _, k := range nu.Keys {
		keys = append(keys, k.Fingerprint)
	}
	after := map[string]any{"username": nu.Name, "role": nu.Role, "department": nu.Department, "clients": nu.Clients,
		"keys": keys, "has_password": nu.PasswordHash != "", "expires_at": nu.ExpiresAt, "allowed_cidrs": nu.AllowedCIDRs,
		"created_by": nu.CreatedBy}
	return s.change(a, "admin.user.create", UserPath(nu.Name), nil, after).CreateUser(ctx, nu)
}

// UpdateUser changes a user's role, assignments, status, expiry or
// addresses (before is the account as shown before). A user who is no
// longer an active admin loses every admin token and API key; live
// sessions end, as they keep the rights they logged in with.
func (s *Service) UpdateUser(ctx context.Context, a Actor, name string, up store.UserUpdate, before any) (*store.User, error) {
	u, err := s.change(a, "admin.user.update", UserPath(name), before, up).UpdateUser(ctx, name, up)
	if err != nil {
		return nil, err
	}
	if u.Role != store.RoleAdmin || u.Status != store.StatusActive {
		if err := s.Store.RevokeTokensOf(ctx, u.Name); err != nil {
			return nil, err
		}
	}
	s.endSessions(u.Name)
	return u, nil
}

// AddKey attaches an SSH key to a user.
func (s *Service) AddKey(ctx context.Context, a Actor, name string, k store.NewKey) error {
	return s.change(a, "admin.user.key.add", UserPath(name)+"/keys/"+k.Fingerprint, nil,
		map[string]string{"fingerprint": k.Fingerprint}).AddKey(ctx, name, k)
}

// RemoveKey detaches a key from a user; the user's live sessions end (one
// may have logged in with it).
func (s *Service) RemoveKey(ctx context.Context, a Actor, name, fingerprint string) error {
	err := s.change(a, "admin.user.key.remove", UserPath(name)+"/keys/"+fingerprint,
		map[string]string{"fingerprint": fingerprint}, nil).RemoveKey(ctx, name, fingerprint)
	if err == nil {
		s.endSessions(name)
	}
	return err
}

// AddRule adds an authorization rule, RemoveRule removes one. The rules
// live in the store behind the policy engine, so their audit row follows
// the change rather than sharing its transaction.
func (s *Service) AddRule(ctx context.Context, a Actor, r authz.Rule) error {
	if s.Rules == nil {
		return errNoRules
	}
	return s.rule(ctx, a, "admin.policy.add", r, s.Rules.AddRule, nil, r.String())
}

// RemoveRule removes an authorization rule.
func (s *Service) RemoveRule(ctx context.Context, a Actor, r authz.Rule) error {
	if s.Rules == nil {
		return errNoRules
	}
	return s.rule(ctx, a, "admin.policy.remove", r, s.Rules.RemoveRule, r.String(), nil)
}

func (s *Service) rule(ctx context.Context, a Actor, action string, r authz.Rule,
	change func(context.Context, authz.Rule) error, before, after any) error {
	if err := change(ctx, r); err != nil {
		return err
	}
	return s.Store.Audit(context.WithoutCancel(ctx), entry(a, action, "/api/v1/policies", before, after))
}

// SetPassword sets a user's password hash; the user's tokens, API keys
// and live sessions end. generated says whether custodia made the
// password up (for the audit row; the password itself is never in it).
func (s *Service) SetPassword(ctx context.Context, a Actor, name, hash string, generated bool) (int, error) {
	err := s.change(a, "admin.user.password", UserPath(name), nil, map[string]bool{"generated": generated}).
		SetPasswordHash(ctx, name, hash)
	if err != nil {
		return 0, err
	}
	return s.endSessions(name), nil
}

// SetStatus enables or disables a user. Disabling ends the user's tokens,
// API keys and live sessions; enabling revives none of them.
func (s *Service) SetStatus(ctx context.Context, a Actor, name string, st store.Status) (int, error) {
	if st != store.StatusActive && st != store.StatusDisabled {
		return 0, fmt.Errorf("status %q: want active or disabled", st)
	}
	err := s.change(a, "admin.user.update", UserPath(name), nil, map[string]store.Status{"status": st}).
		SetStatus(ctx, name, st)
	if err != nil || st == store.StatusActive {
		return 0, err
	}
	return s.endSessions(name), nil
}

// Delete removes a user, its keys and assignments; its tokens, API keys
// and live sessions end. before is the account as shown before.
func (s *Service) Delete(ctx context.Context, a Actor, name string, before any) (int, error) {
	if err := s.change(a, "admin.user.delete", UserPath(name), before, nil).DeleteUser(ctx, name); err != nil {
		return 0, err
	}
	return s.endSessions(name), nil
}

// AddClient adds a client account, its folders first (made by folders):
// an empty folder left by a failed insert is harmless, an account without
// its folders is not.
func (s *Service) AddClient(ctx context.Context, a Actor, id, name string, folders func(id string) error) (*store.Client, error) {
	if err := folders(id); err != nil {
		return nil, err
	}
	return s.change(a, "admin.client.create", "/api/v1/clients/"+id, nil, map[string]string{"id": id, "name": name}).
		CreateClient(ctx, id, name)
}

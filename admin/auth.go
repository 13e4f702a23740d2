package admin

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/account"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
)

// maxLogins bounds the password checks (argon2id, 19 MiB each) the API
// runs at once; more are refused with 429 rather than queued.
const maxLogins = 4

// caller is who makes a request: an admin with a token, or nobody yet.
type caller struct {
	user    *store.User
	token   *store.Token
	remote  netip.Addr
	console string // the console session's id (its login row's session)
}

// actor is the caller as the account service's audit rows name it.
func (c *caller) actor() account.Actor {
	return account.Actor{Name: c.name(), Protocol: protocol, Remote: c.remote.String(), Session: c.session()}
}

// session ties the caller's audit rows to its login: the console
// session's id, which its login row carries, or "token:ID" for an API
// token (a login's or an API key's).
func (c *caller) session() string {
	switch {
	case c.console != "":
		return c.console
	case c.token != nil:
		return "token:" + strconv.FormatInt(c.token.ID, 10)
	}
	return ""
}

func (c *caller) name() string {
	if c.user == nil {
		return ""
	}
	return c.user.Name
}

// authenticate admits a request with a bearer token (a login's or an API
// key) of an active admin. Tokens are looked up by their SHA-256: the
// secret itself is never stored or compared.
func (s *Server) authenticate(r *http.Request, remote netip.Addr) (*caller, error) {
	auth := r.Header.Get("Authorization")
	secret, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok || secret == "" {
		return nil, fail(http.StatusUnauthorized, "", "send Authorization: Bearer TOKEN (from POST /api/v1/login, or an API key)")
	}
	t, err := s.o.Store.TokenByHash(r.Context(), store.TokenHash(strings.TrimSpace(secret)))
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, fail(http.StatusUnauthorized, "", "unknown token")
	case err != nil:
		return nil, err
	case t.RevokedAt != nil:
		return nil, fail(http.StatusUnauthorized, "", "the token was revoked")
	case t.ExpiresAt != nil && !s.now().Before(*t.ExpiresAt):
		return nil, fail(http.StatusUnauthorized, "", "the token expired; log in again")
	}
	u, err := s.o.Store.UserByName(r.Context(), t.User)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fail(http.StatusUnauthorized, "", "the token's user no longer exists")
	}
	if err != nil {
		return nil, err
	}
	if err := s.admitted(u, remote); err != nil {
		return nil, err
	}
	return &caller{user: u, token: t, remote: remote}, nil
}

// admitted refuses, at every request, users who may not use the API: not
// an admin, or no longer admitted by the account rules (disabled,
// expired, address outside allowed_cidrs).
func (s *Server) admitted(u *store.User, remote netip.Addr) error {
	if u.Role != store.RoleAdmin {
		return fail(http.StatusForbidden, "", "only admins may use the admin API")
	}
	if err := s.o.Core.Admit(u, remote); err != nil {
		return fail(http.StatusForbidden, "", "the account may not log in now (disabled, expired or not from this address)")
	}
	return nil
}

// errLoginRefused is the one answer to every refused login.
var errLoginRefused = &apiError{status: http.StatusUnauthorized, detail: "wrong username or password"}

type loginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

type loginResponse struct {
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
}

// login exchanges an admin's password for a bearer token. It goes through
// the gateway's login: the same audit row and defender as every protocol.
func (s *Server) login(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req loginRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Username == "" {
		return fail(http.StatusBadRequest, "username", "username is required")
	}
	u, err := s.checkLogin(r.Context(), gateway.Credentials{
		Username: req.Username, Password: req.Password, Remote: c.remote, Protocol: protocol,
		Session: gateway.NewSessionID(),
	})
	if err != nil {
		return err
	}
	secret, hash := account.NewSecret("cst_")
	expires := s.now().Add(s.o.TokenTTL).UTC()
	if _, err := s.o.Store.CreateToken(r.Context(), store.NewToken{Kind: store.TokenSession, Name: "login", User: u.Name,
		Scope: store.ScopeAdmin, Hash: hash, Expires: &expires}); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, loginResponse{Token: secret, ExpiresAt: expires})
	return nil
}

// checkLogin is the one login of the admin listener, for an API token and
// for a console session alike: the gateway's checks (defender, hash pool,
// account rules), the same audit row and ban count as every protocol,
// and admins only. Every refusal is the same answer (errLoginRefused):
// the cause (wrong password, unknown user, not an admin, disabled,
// expired, address not allowed) goes to the audit row only, so that the
// answer tells nobody whether a password was right; Authenticate always
// runs the hash. An address the defender banned is told so, and for how
// long (bannedUntil), and too many logins at once are refused (429).
func (s *Server) checkLogin(ctx context.Context, cr gateway.Credentials) (*store.User, error) {
	if until, banned := s.o.Core.BannedUntil(cr.Remote); banned {
		// An operator locked out by the defender is told so, and for how
		// long, rather than that the password was wrong; the other
		// protocols keep their neutral answer.
		s.o.Core.Record(ctx, cr, nil, &gateway.LoginError{Reason: "address banned by the defender"})
		return nil, bannedUntil(until.Sub(s.now()))
	}
	release, err := s.loginSlot()
	if err != nil {
		return nil, err
	}
	defer release()
	u, err := s.o.Core.Authenticate(ctx, cr)
	if err == nil && u.Role != store.RoleAdmin {
		err = &gateway.LoginError{Reason: "not an admin: the admin API and console are for admins only"}
	}
	s.o.Core.Record(ctx, cr, u, err)
	if err != nil {
		return nil, errLoginRefused
	}
	return u, nil
}

// logout revokes the token the request came with.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.o.Store.RevokeToken(r.Context(), c.token.ID); err != nil {
		return err
	}
	s.audit(r, c, "admin.logout", "/api/v1/logout", map[string]any{"token": c.token.ID, "kind": c.token.Kind}, nil)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type keyRequest struct {
	Name      string      `json:"name"`
	Scope     store.Scope `json:"scope"`
	ExpiresAt *time.Time  `json:"expires_at"`
}

type keyJSON struct {
	account.KeyView
	Key string `json:"key,omitempty"` // only when created
}

func (s *Server) listKeys(w http.ResponseWriter, r *http.Request, c *caller) error {
	ts, err := s.o.Store.ListTokens(r.Context(), store.TokenAPIKey)
	if err != nil {
		return err
	}
	out := make([]keyJSON, len(ts))
	for i, t := range ts {
		out[i] = keyJSON{KeyView: account.ViewKey(t)}
	}
	writeJSON(w, http.StatusOK, map[string]any{"keys": out})
	return nil
}

// createKey makes a long-lived API key for scripts, acting as the calling
// admin; the key is shown once. The scope has no default: whoever makes a
// key says what it may do (metrics for Prometheus, read for reports,
// admin for scripts that change things).
func (s *Server) createKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req keyRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if strings.TrimSpace(req.Name) == "" || len(req.Name) > 100 {
		return badField("name", "name the key (1 to 100 characters), e.g. the script that uses it")
	}
	if _, err := store.ParseScope(string(req.Scope)); err != nil {
		return badField("scope", "scope: %q: want metrics (only /metrics), read (GET endpoints) or admin (everything)", req.Scope)
	}
	if req.ExpiresAt != nil && !req.ExpiresAt.After(s.now()) {
		return badField("expires_at", "must be in the future")
	}
	k, secret, err := s.accounts.CreateAPIKey(r.Context(), c.actor(), req.Name, c.name(), req.Scope, req.ExpiresAt)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, keyJSON{KeyView: k, Key: secret})
	return nil
}

func (s *Server) revokeKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil {
		return fail(http.StatusNotFound, "id", "no API key %q", r.PathValue("id"))
	}
	if _, err := s.accounts.RevokeAPIKey(r.Context(), c.actor(), id); err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return fail(http.StatusNotFound, "id", "no API key %d", id)
		}
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// bannedUntil is the answer to a login from a banned address: 429 with
// Retry-After, the whole seconds until the ban ends.
func bannedUntil(left time.Duration) error {
	secs := int64((left + time.Second - 1) / time.Second)
	if secs < 1 {
		secs = 1
	}
	return &apiError{status: http.StatusTooManyRequests, retryAfter: secs,
		detail: fmt.Sprintf("this address is banned after repeated failed logins; try again in %d seconds, or lift the ban with an admin token or API key (DELETE /api/v1/bans/ADDR)", secs)}
}

// loginSlot bounds the argon2id checks running at once; release frees it.
func (s *Server) loginSlot() (release func(), err error) {
	select {
	case s.logins <- struct{}{}:
		return func() { <-s.logins }, nil
	default:
		return nil, fail(http.StatusTooManyRequests, "", "too many logins in progress; try again in a moment")
	}
}

package admin

import (
	"errors"
	"net/http"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/letter"
	"github.com/oaq/custodia/store"
)

// userJSON is a user as the API shows it (store.UserInfo), with the
// password the server generated when it did, shown once.
type userJSON struct {
	store.UserInfo
	Password string `json:"password,omitempty"`
}

func (s *Server) userOf(r *http.Request, u *store.User) (userJSON, error) {
	info, err := s.o.Store.Info(r.Context(), u)
	return userJSON{UserInfo: info}, err
}

// userNamed loads the user of the path, or answers 404.
func (s *Server) userNamed(r *http.Request) (*store.User, error) {
	name := r.PathValue("name")
	u, err := s.o.Store.UserByName(r.Context(), name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, fail(http.StatusNotFound, "name", "no user %q", name)
	}
	return u, err
}

// listUsers answers GET /api/v1/users?role=&department=&client=&status=&limit=&cursor=
// in name order; cursor is the last name of the previous page.
func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, c *caller) error {
	q := r.URL.Query()
	limit, err := limitOf(q.Get("limit"), 100, 1000)
	if err != nil {
		return err
	}
	if role := q.Get("role"); role != "" {
		if _, err := store.ParseRole(role); err != nil {
			return fail(http.StatusBadRequest, "role", "%v", err)
		}
	}
	f := userFilter{Role: q.Get("role"), Department: q.Get("department"), Client: q.Get("client"), Status: q.Get("status")}
	users, next, err := s.findUsers(r, f, q.Get("cursor"), limit)
	if err != nil {
		return err
	}
	out := []userJSON{}
	for _, u := range users {
		j, err := s.userOf(r, u)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": out, "next_cursor": next})
	return nil
}

// userFilter picks users; an empty field picks every user.
type userFilter struct {
	Role, Department, Client, Status string
	// LastLogin: "never" picks users who never logged in, "idle" those
	// who have not logged in since IdleSince (never included).
	LastLogin string
	IdleSince time.Time
}

func (f userFilter) picks(u *store.User) bool {
	switch {
	case f.Role != "" && string(u.Role) != f.Role,
		f.Department != "" && u.Department != f.Department,
		f.Client != "" && !slices.Contains(u.Clients, strings.ToUpper(f.Client)),
		f.Status != "" && string(u.Status) != f.Status,
		f.LastLogin == "never" && u.LastLoginAt != nil,
		f.LastLogin == "idle" && u.LastLoginAt != nil && !u.LastLoginAt.Before(f.IdleSince):
		return false
	}
	return true
}

// findUsers returns, in name order, up to limit users that f picks after
// the name cursor (""; the first page), and the cursor of the next page
// ("" on the last).
func (s *Server) findUsers(r *http.Request, f userFilter, cursor string, limit int) ([]*store.User, string, error) {
	users, err := s.o.Store.ListUsers(r.Context())
	if err != nil {
		return nil, "", err
	}
	cursor = strings.ToLower(cursor)
	var out []*store.User
	for _, u := range users {
		if cursor != "" && strings.ToLower(u.Name) <= cursor || !f.picks(u) {
			continue
		}
		if len(out) == limit {
			return out, out[len(out)-1].Name, nil
		}
		out = append(out, u)
	}
	return out, "", nil
}

func limitOf(v string, def, max int) (int, error) {
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 || n > max {
		return 0, fail(http.StatusBadRequest, "limit", "limit %q: want 1 to %d", v, max)
	}
	return n, nil
}

func (s *Server) getUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.userNamed(r)
	if err != nil {
		return err
	}
	j, err := s.userOf(r, u)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, j)
	return nil
}

type createUserRequest struct {
	Username     string     `json:"username"`
	Role         string     `json:"role"`
	Department   string     `json:"department"`
	Clients      []string   `json:"clients"`
	Password     *string    `json:"password"`
	Keys         []string   `json:"keys"`
	AllowedCIDRs []string   `json:"allowed_cidrs"`
	ExpiresAt    *time.Time `json:"expires_at"`
}

// createUser validates everything before it writes anything: one insert,
// in one transaction, or nothing.
func (s *Server) createUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req createUserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	pw, err := choosePassword(req.Password)
	if err != nil {
		return err
	}
	u, err := s.addUser(r, c, req, pw.password)
	if err != nil {
		return err
	}
	out, err := s.userOf(r, u)
	if err != nil {
		return err
	}
	out.Password = pw.generated
	w.Header().Set("Location", "/api/v1/users/"+u.Name)
	writeJSON(w, http.StatusCreated, out)
	return nil
}

// addUser checks req (all but its password) and creates the user through
// the account service, with password ("" for none: the user logs in with
// the request's keys only). Nothing is written unless all is well.
func (s *Server) addUser(r *http.Request, c *caller, req createUserRequest, password string) (*store.User, error) {
	if err := store.ValidUserName(req.Username); err != nil {
		return nil, badField("username", "%v", err)
	}
	role, err := store.ParseRole(req.Role)
	if err != nil {
		return nil, badField("role", "%v", err)
	}
	nu := store.NewUser{Name: req.Username, Role: role, ExpiresAt: req.ExpiresAt}
	if nu.Clients, err = s.checkAssignments(r, role, req.Department, req.Clients); err != nil {
		return nil, err
	}
	nu.Department = req.Department
	if nu.AllowedCIDRs, err = cidrsOf(req.AllowedCIDRs); err != nil {
		return nil, err
	}
	for i, k := range req.Keys {
		key, err := gateway.ParseKeyFile([]byte(k))
		if err != nil {
			return nil, badField("keys", "keys[%d]: %v", i, err)
		}
		nu.Keys = append(nu.Keys, key)
	}
	if password != "" {
		if nu.PasswordHash, err = gateway.HashPassword(password); err != nil {
			return nil, err
		}
	}
	u, err := s.accounts.CreateUser(r.Context(), c.actor(), nu)
	if errors.Is(err, store.ErrConflict) {
		if _, uerr := s.o.Store.UserByName(r.Context(), req.Username); uerr == nil {
			return nil, fail(http.StatusConflict, "username", "user %q already exists", req.Username)
		}
		return nil, fail(http.StatusConflict, "keys", "one of the keys is already registered to another user")
	}
	return u, err
}

func (s *Server) checkAssignments(r *http.Request, role store.Role, dept string, clients []string) ([]string, error) {
	ids, err := s.o.Store.CheckAssignments(r.Context(), role, dept, clients, s.o.Departments)
	var fe *store.FieldError
	if errors.As(err, &fe) {
		return nil, badField(fe.Field, "%s", fe.Msg)
	}
	return ids, err
}

func cidrsOf(in []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for i, c := range in {
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, badField("allowed_cidrs", "allowed_cidrs[%d] %q: want an address range such as 10.0.0.0/8", i, c)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

// updateUserRequest is a PATCH: absent fields stay; expires_at null clears.
type updateUserRequest struct {
	Role         *string          `json:"role"`
	Department   *string          `json:"department"`
	Clients      *[]string        `json:"clients"`
	Status       *string          `json:"status"`
	ExpiresAt    optional[string] `json:"expires_at"`
	AllowedCIDRs *[]string        `json:"allowed_cidrs"`
	Quota        *store.Limit     `json:"quota"` // bytes and files; 0 is no limit
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.userNamed(r)
	if err != nil {
		return err
	}
	var req updateUserRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	nu, err := s.changeUser(r, c, u, req)
	if err != nil {
		return err
	}
	after, err := s.userOf(r, nu)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, after)
	return nil
}

// changeUser checks req and changes u through the account service.
func (s *Server) changeUser(r *http.Request, c *caller, u *store.User, req updateUserRequest) (*store.User, error) {
	if req == (updateUserRequest{}) {
		return nil, fail(http.StatusBadRequest, "", "nothing to change: send role, department, clients, status, expires_at, allowed_cidrs or quota")
	}
	if strings.EqualFold(u.Name, c.name()) && (req.Role != nil || req.Status != nil || req.ExpiresAt.set || req.AllowedCIDRs != nil) {
		return nil, fail(http.StatusConflict, "name", "an admin cannot change their own role, status, expiry or allowed addresses: ask another admin")
	}
	before, err := s.userOf(r, u)
	if err != nil {
		return nil, err
	}
	up, err := s.userUpdate(r, u, req)
	if err != nil {
		return nil, err
	}
	if req == (updateUserRequest{Quota: req.Quota}) { // a quota alone ends no session
		return s.accounts.SetUserQuota(r.Context(), c.actor(), u.Name, *up.Quota)
	}
	return s.accounts.UpdateUser(r.Context(), c.actor(), u.Name, up, before)
}

// userUpdate checks a request's fields and turns them into the store's
// update of u.
func (s *Server) userUpdate(r *http.Request, u *store.User, req updateUserRequest) (store.UserUpdate, error) {
	var up store.UserUpdate
	role, dept, clients := u.Role, u.Department, u.Clients
	var err error
	if req.Role != nil {
		if role, err = store.ParseRole(*req.Role); err != nil {
			return up, badField("role", "%v", err)
		}
		up.Role = &role
	}
	if req.Department != nil {
		dept = *req.Department
		up.Department = &dept
	}
	if req.Clients != nil {
		clients = *req.Clients
	}
	if req.Role != nil || req.Department != nil || req.Clients != nil {
		ids, err := s.checkAssignments(r, role, dept, clients)
		if err != nil {
			return up, err
		}
		up.Clients = &ids
	}
	if req.Quota != nil {
		if req.Quota.Bytes < 0 || req.Quota.Files < 0 {
			return up, badField("quota", "quota bytes and files are 0 (no limit) or more")
		}
		up.Quota = req.Quota
	}
	return up, accessUpdate(req, &up)
}

// accessUpdate adds to up what a request changes of when and from where
// the user may log in: status, expiry and allowed addresses.
func accessUpdate(req updateUserRequest, up *store.UserUpdate) error {
	if req.Status != nil {
		st := store.Status(*req.Status)
		if st != store.StatusActive && st != store.StatusDisabled {
			return badField("status", "status %q: want active or disabled", *req.Status)
		}
		up.Status = &st
	}
	if req.ExpiresAt.set {
		var t *time.Time
		if req.ExpiresAt.value != nil {
			v, err := time.Parse(time.RFC3339, *req.ExpiresAt.value)
			if err != nil {
				return badField("expires_at", "want an RFC 3339 time such as 2027-01-31T23:59:59Z, or null")
			}
			t = &v
		}
		up.ExpiresAt = &t
	}
	if req.AllowedCIDRs != nil {
		ps, err := cidrsOf(*req.AllowedCIDRs)
		if err != nil {
			return err
		}
		up.AllowedCIDRs = &ps
	}
	return nil
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.userNamed(r)
	if err != nil {
		return err
	}
	if err := s.removeUser(r, c, u); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeUser deletes u through the account service (never the caller).
func (s *Server) removeUser(r *http.Request, c *caller, u *store.User) error {
	if strings.EqualFold(u.Name, c.name()) {
		return fail(http.StatusConflict, "name", "an admin cannot delete their own account")
	}
	before, err := s.userOf(r, u)
	if err != nil {
		return err
	}
	_, err = s.accounts.Delete(r.Context(), c.actor(), u.Name, before)
	return err
}

type keyBody struct {
	Key string `json:"key"`
}

func (s *Server) addUserKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.userNamed(r)
	if err != nil {
		return err
	}
	var req keyBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	fp, err := s.addKey(r, c, u, req.Key)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, map[string]string{"fingerprint": fp})
	return nil
}

// addKey attaches the public key text (authorized_keys format) to u
// through the account service and returns its fingerprint.
func (s *Server) addKey(r *http.Request, c *caller, u *store.User, text string) (string, error) {
	key, err := gateway.ParseKeyFile([]byte(text))
	if err != nil {
		return "", badField("key", "%v", err)
	}
	fp := key.Fingerprint
	err = s.accounts.AddKey(r.Context(), c.actor(), u.Name, key)
	if errors.Is(err, store.ErrConflict) {
		return "", fail(http.StatusConflict, "key", "the key %s is already registered", fp)
	}
	return fp, err
}

func (s *Server) removeUserKey(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.userNamed(r)
	if err != nil {
		return err
	}
	if err := s.removeKey(r, c, u, r.PathValue("fingerprint")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeKey detaches the key fp from u through the account service.
func (s *Server) removeKey(r *http.Request, c *caller, u *store.User, fp string) error {
	err := s.accounts.RemoveKey(r.Context(), c.actor(), u.Name, fp)
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "fingerprint", "user %s has no key %s", u.Name, fp)
	}
	return err
}

type passwordRequest struct {
	Password *string `json:"password"`
}

// resetPassword sets the given password, or a generated one returned once.
func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.userNamed(r)
	if err != nil {
		return err
	}
	var req passwordRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	pw, err := choosePassword(req.Password)
	if err != nil {
		return err
	}
	if err := s.setPassword(r, c, u, pw.password, pw.generated != ""); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]string{"username": u.Name, "password": pw.generated})
	return nil
}

// newPassword is the password to set for a user, and generated, the same
// password when custodia made it up, which the reply shows once ("" for
// a password the admin gave).
type newPassword struct {
	password, generated string
}

// choosePassword takes the given password if it is strong enough, or
// generates one.
func choosePassword(given *string) (newPassword, error) {
	if given != nil {
		if err := gateway.CheckPasswordStrength(*given); err != nil {
			return newPassword{}, badField("password", "%v", err)
		}
		return newPassword{password: *given}, nil
	}
	g := gateway.GeneratePassword()
	return newPassword{password: g, generated: g}, nil
}

// setPassword sets u's password through the account service: audited,
// and the user's tokens, API keys and live sessions end.
func (s *Server) setPassword(r *http.Request, c *caller, u *store.User, password string, generated bool) error {
	hash, err := gateway.HashPassword(password)
	if err != nil {
		return err
	}
	_, err = s.accounts.SetPassword(r.Context(), c.actor(), u.Name, hash, generated)
	return err
}

// letterRequest is the optional body of a letter request.
type letterRequest struct {
	// Password: whether the letter sets and carries a new password;
	// default yes, unless the account logs in with its SSH keys only.
	Password *bool `json:"password"`
	// Host names the server in every address ("": public_host).
	Host string `json:"host"`
}

// letter answers the credential letter (PDF) of writeLetter.
func (s *Server) letter(w http.ResponseWriter, r *http.Request, c *caller) error {
	u, err := s.userNamed(r)
	if err != nil {
		return err
	}
	var req letterRequest
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	pdf, err := s.writeLetter(r, c, u, req)
	if err != nil {
		return err
	}
	writeLetterPDF(w, u.Name, pdf)
	return nil
}

// writeLetter makes u's credential letter (PDF): with a new password,
// which it sets, or for an account that logs in with its SSH keys only, a
// key letter that changes nothing. An admin's own password is never reset
// here: its holder would lose it to a PDF.
func (s *Server) writeLetter(r *http.Request, c *caller, u *store.User, req letterRequest) ([]byte, error) {
	keys, err := s.o.Store.KeysOf(r.Context(), u.ID)
	if err != nil {
		return nil, err
	}
	withPassword := letter.WantsPassword(u, len(keys), req.Password)
	if withPassword && strings.EqualFold(u.Name, c.name()) {
		return nil, fail(http.StatusConflict, "name", "an admin cannot reset their own password through a letter: "+
			"use POST /api/v1/users/%s/password, or ask another admin for the letter", u.Name)
	}
	e, err := s.o.Letters(req.Host)
	if errors.Is(err, letter.ErrHost) && req.Host != "" {
		return nil, badField("host", "%v", err)
	}
	if errors.Is(err, letter.ErrHost) {
		return nil, fail(http.StatusConflict, "host", "cannot write the letter: %v (\"host\" in this request)", err)
	}
	if err != nil {
		return nil, fail(http.StatusConflict, "", "cannot write the letter: %v", err)
	}
	l, err := letter.For(u, s.o.Organization, e)
	if err == nil {
		if withPassword {
			l.Password = gateway.GeneratePassword()
		} else {
			l, err = l.WithKeys(keys)
		}
	}
	var pdf []byte
	if err == nil {
		pdf, err = letter.Render(l)
	}
	if err != nil {
		// The configuration leaves the letter nothing to name; the
		// password is unchanged.
		return nil, fail(http.StatusConflict, "", "cannot write the letter: %v", err)
	}
	if withPassword {
		if err := s.setPassword(r, c, u, l.Password, true); err != nil {
			return nil, err
		}
	}
	s.audit(r, c, "admin.user.letter", "/api/v1/users/"+u.Name, nil, map[string]bool{"password_reset": withPassword})
	return pdf, nil
}

// writeLetterPDF answers a letter as a download that no cache keeps.
func writeLetterPDF(w http.ResponseWriter, name string, pdf []byte) {
	w.Header().Set("Content-Type", "application/pdf")
	w.Header().Set("Content-Disposition", `attachment; filename="carta-`+name+`.pdf"`)
	w.Header().Set("Cache-Control", "no-store")
	w.Write(pdf)
}

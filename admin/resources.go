package admin

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// Client accounts.

type clientJSON struct {
	ID        string      `json:"id"`
	Name      string      `json:"name"`
	CreatedAt time.Time   `json:"created_at"`
	Quota     store.Limit `json:"quota"` // 0: no limit
	Used      store.Usage `json:"used"`
	Contacts  []string    `json:"contacts"` // e-mail addresses told of the PDFs published for it
}

func clientOf(cl *store.Client) clientJSON {
	contacts := cl.Contacts
	if contacts == nil {
		contacts = []string{}
	}
	return clientJSON{ID: cl.ID, Name: cl.Name, CreatedAt: cl.CreatedAt, Quota: cl.Quota, Used: cl.Used, Contacts: contacts}
}

func (s *Server) listClients(w http.ResponseWriter, r *http.Request, c *caller) error {
	cs, err := s.o.Store.ListClients(r.Context())
	if err != nil {
		return err
	}
	out := make([]clientJSON, len(cs))
	for i, cl := range cs {
		out[i] = clientOf(cl)
	}
	writeJSON(w, http.StatusOK, map[string]any{"clients": out})
	return nil
}

type createClientRequest struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// createClient adds a client account and its folders.
func (s *Server) createClient(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req createClientRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	cl, err := s.addClient(r.Context(), c, req)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, clientOf(cl))
	return nil
}

// addClient checks a new client account's id and name and adds it, its
// folders first, as c: the API's POST /api/v1/clients and the console's
// form. A bad or taken id or name is an *apiError naming the field.
func (s *Server) addClient(ctx context.Context, c *caller, req createClientRequest) (*store.Client, error) {
	id, err := store.NormalizeClientID(req.ID)
	if err != nil {
		return nil, badField("id", "%v", err)
	}
	if req.Name == "" {
		return nil, badField("name", "name the client account")
	}
	cl, err := s.accounts.AddClient(ctx, c.actor(), id, req.Name, s.o.AddClientFolders)
	if errors.Is(err, store.ErrConflict) {
		return nil, fail(http.StatusConflict, "id", "client %s already exists", id)
	}
	return cl, err
}

type updateClientRequest struct {
	Quota    *store.Limit `json:"quota"`    // bytes and files; 0 is no limit
	Contacts *[]string    `json:"contacts"` // every contact address: replaces the set
}

// updateClient sets a client account's quota and contact addresses.
func (s *Server) updateClient(w http.ResponseWriter, r *http.Request, c *caller) error {
	id, err := store.NormalizeClientID(r.PathValue("id"))
	if err != nil {
		return fail(http.StatusNotFound, "id", "no client %q", r.PathValue("id"))
	}
	var req updateClientRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Quota == nil && req.Contacts == nil {
		return fail(http.StatusBadRequest, "", "nothing to change: send quota or contacts")
	}
	if req.Quota != nil && (req.Quota.Bytes < 0 || req.Quota.Files < 0) {
		return badField("quota", "quota bytes and files are 0 (no limit) or more")
	}
	if req.Contacts != nil {
		for _, a := range *req.Contacts {
			if _, err := store.NormalizeContact(a); err != nil {
				return badField("contacts", "%v", err)
			}
		}
	}
	if _, err := s.o.Store.ClientByID(r.Context(), id); errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "id", "no client %s", id)
	} else if err != nil {
		return err
	}
	if req.Quota != nil {
		if err := s.accounts.SetClientQuota(r.Context(), c.actor(), id, *req.Quota); err != nil {
			return err
		}
	}
	if req.Contacts != nil {
		if _, err := s.accounts.SetClientContacts(r.Context(), c.actor(), id, *req.Contacts); err != nil {
			return err
		}
	}
	cl, err := s.o.Store.ClientByID(r.Context(), id)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, clientOf(cl))
	return nil
}

// Policies.

type ruleJSON struct {
	Subject string `json:"subject"`
	Object  string `json:"object"`
	Actions string `json:"actions"`
	Effect  string `json:"effect"`
}

func (s *Server) listPolicies(w http.ResponseWriter, r *http.Request, c *caller) error {
	pol, err := s.o.Enforcer.Policy()
	if err != nil {
		return err
	}
	rs := make([]ruleJSON, len(pol.Rules))
	for i, ru := range pol.Rules {
		rs[i] = ruleJSON{ru.Subject, ru.Object, ru.Actions, string(ru.Effect)}
	}
	is := make([]map[string]string, len(pol.Inheritance))
	for i, in := range pol.Inheritance {
		is[i] = map[string]string{"role": in.Role, "parent": in.Parent}
	}
	writeJSON(w, http.StatusOK, map[string]any{"rules": rs, "inheritance": is})
	return nil
}

func (s *Server) ruleOf(w http.ResponseWriter, r *http.Request) (authz.Rule, error) {
	var req ruleJSON
	if err := decode(w, r, &req); err != nil {
		return authz.Rule{}, err
	}
	return checkRule(req)
}

// checkRule turns a rule as sent into one the engine takes; a bad field is
// an *apiError.
func checkRule(req ruleJSON) (authz.Rule, error) {
	ru := authz.Rule{Subject: req.Subject, Object: req.Object, Actions: req.Actions, Effect: authz.Effect(req.Effect)}
	if err := ru.Validate(); err != nil {
		return ru, badField("rule", "%v", err)
	}
	return ru, nil
}

func (s *Server) addPolicy(w http.ResponseWriter, r *http.Request, c *caller) error {
	ru, err := s.ruleOf(w, r)
	if err != nil {
		return err
	}
	if err := s.addRule(r.Context(), c, ru); err != nil {
		return err
	}
	writeJSON(w, http.StatusCreated, ruleJSON{ru.Subject, ru.Object, ru.Actions, string(ru.Effect)})
	return nil
}

// addRule adds a checked rule as c, refusing one that exists: the API's
// POST /api/v1/policies and the console's form.
func (s *Server) addRule(ctx context.Context, c *caller, ru authz.Rule) error {
	pol, err := s.o.Enforcer.Policy()
	if err != nil {
		return err
	}
	if slices.Contains(pol.Rules, ru) {
		return fail(http.StatusConflict, "rule", "the rule exists: %s", ru)
	}
	return s.accounts.AddRule(ctx, c.actor(), ru)
}

func (s *Server) removePolicy(w http.ResponseWriter, r *http.Request, c *caller) error {
	ru, err := s.ruleOf(w, r)
	if err != nil {
		return err
	}
	if err := s.removeRule(r.Context(), c, ru); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// removeRule removes a checked rule as c: the API's DELETE
// /api/v1/policies and the console's button.
func (s *Server) removeRule(ctx context.Context, c *caller, ru authz.Rule) error {
	err := s.accounts.RemoveRule(ctx, c.actor(), ru)
	if errors.Is(err, store.ErrNotFound) {
		return fail(http.StatusNotFound, "rule", "no such rule: %s", ru)
	}
	return err
}

type explainRequest struct {
	User   string `json:"user"`
	Action string `json:"action"`
	Path   string `json:"path"`
}

// explain answers allow or deny, and the deciding rule, for a user, an
// action and a storage path, as `custodia policy test` does.
func (s *Server) explain(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req explainRequest
	if err := decode(w, r, &req); err != nil {
		return err
	}
	d, err := s.decide(r.Context(), req)
	if err != nil {
		return err
	}
	result := "deny"
	if d.Allow {
		result = "allow"
	}
	writeJSON(w, http.StatusOK, map[string]string{"result": result, "rule": d.Rule, "reason": d.Reason()})
	return nil
}

// decide checks an explain request and decides it as the gateway would:
// the API's POST /api/v1/policies/explain and the console's form. A bad
// action, path or user is an *apiError naming the field.
func (s *Server) decide(ctx context.Context, req explainRequest) (authz.Decision, error) {
	act, err := authz.ParseAction(req.Action)
	if err != nil {
		return authz.Decision{}, badField("action", "%v", err)
	}
	// The path must be as the gateway would ask: clean (a folder ends in
	// "/"), or the answer would not be the gateway's.
	p, err := storage.ParsePath(req.Path)
	clean := p.String()
	if err == nil && strings.HasSuffix(req.Path, "/") && clean != "/" {
		clean += "/"
	}
	if err != nil || !strings.HasPrefix(req.Path, "/") || clean != req.Path {
		return authz.Decision{}, badField("path", "want a clean storage path such as /clients/ACME/2026/x.pdf, or a folder ending in /")
	}
	u, err := s.o.Store.UserByName(ctx, req.User)
	if errors.Is(err, store.ErrNotFound) {
		return authz.Decision{}, badField("user", "no user %q", req.User)
	}
	if err != nil {
		return authz.Decision{}, err
	}
	return s.o.Enforcer.Decide(ctx, authz.Request{Subject: authz.SubjectOf(u), Action: act, Object: req.Path})
}

// Live sessions.

type sessionJSON struct {
	ID       string    `json:"id"`
	User     string    `json:"user"`
	Protocol string    `json:"protocol"`
	Remote   string    `json:"remote"`
	Started  time.Time `json:"started"`
	BytesIn  int64     `json:"bytes_in"`
	BytesOut int64     `json:"bytes_out"`
	Gateway  string    `json:"gateway"`
	Active   time.Time `json:"active"`
}

func sessionOf(si gateway.SessionInfo) sessionJSON {
	return sessionJSON{si.ID, si.User, si.Protocol, si.Remote.String(), si.Started, si.BytesIn, si.BytesOut, si.Gateway, si.Active}
}

func (s *Server) listSessions(w http.ResponseWriter, r *http.Request, c *caller) error {
	out := []sessionJSON{}
	for _, si := range s.o.Core.Sessions() {
		out = append(out, sessionOf(si))
	}
	writeJSON(w, http.StatusOK, map[string]any{"sessions": out})
	return nil
}

// kickSession disconnects a live session.
func (s *Server) kickSession(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.kick(r, c, r.PathValue("id")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Defender bans.

func (s *Server) listBans(w http.ResponseWriter, r *http.Request, c *caller) error {
	out := []map[string]any{}
	for _, b := range s.o.Core.Bans() {
		// prefix is what the ban covers: an IPv6 address's whole /64
		// (whose first address is address), an IPv4 address/32.
		out = append(out, map[string]any{"address": b.Addr.String(), "prefix": b.Prefix.String(), "until": b.Until.UTC()})
	}
	writeJSON(w, http.StatusOK, map[string]any{"bans": out})
	return nil
}

func (s *Server) liftBan(w http.ResponseWriter, r *http.Request, c *caller) error {
	if err := s.lift(r, c, r.PathValue("addr")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// The audit log.

// queryAudit answers GET /api/v1/audit?user=&client=&action=&result=&since=
// &until=&path=&limit=&cursor=, newest page first (rows oldest first
// within it); next_cursor fetches the page before. With format=csv, or
// Accept: text/csv, it answers the page as CSV.
func (s *Server) queryAudit(w http.ResponseWriter, r *http.Request, c *caller) error {
	v := r.URL.Query()
	q, err := auditQueryOf(v)
	if err != nil {
		return err
	}
	rows, err := s.o.Store.QueryAudit(r.Context(), q)
	if err != nil {
		return err
	}
	next := ""
	if len(rows) == q.Limit {
		next = strconv.FormatInt(rows[0].ID, 10)
	}
	if v.Get("format") == "csv" || r.Header.Get("Accept") == "text/csv" {
		return writeAuditCSV(w, rows, next)
	}
	if rows == nil {
		rows = []store.AuditEntry{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"entries": rows, "next_cursor": next})
	return nil
}

// Hooks.

// listHooks shows each hook's progress through the event outbox and its
// failures, so that a failing hook is visible.
func (s *Server) listHooks(w http.ResponseWriter, r *http.Request, c *caller) error {
	cs, err := s.o.Store.HookCursors(r.Context())
	if err != nil {
		return err
	}
	out := []map[string]any{}
	for _, h := range cs {
		out = append(out, map[string]any{"name": h.Hook, "last_event": h.LastID, "attempts": h.Attempts,
			"failures": h.Failures, "last_error": h.LastError, "updated_at": h.UpdatedAt})
	}
	writeJSON(w, http.StatusOK, map[string]any{"hooks": out})
	return nil
}

package admin

import (
	"context"
	"errors"
	"net/http"
	"net/netip"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
)

// listBackups lists backups, oldest first: a job's (?job=) and only the
// complete ones unless ?all=true.
func (s *Server) listBackups(w http.ResponseWriter, r *http.Request, c *caller) error {
	job := r.URL.Query().Get("job")
	all := r.URL.Query().Get("all") == "true"
	bs, err := s.o.Store.Backups(r.Context(), job)
	if err != nil {
		return err
	}
	out := []store.Backup{}
	for _, b := range bs {
		if all || b.Status == store.BackupOK {
			out = append(out, b)
		}
	}
	writeJSON(w, http.StatusOK, map[string]any{"backups": out})
	return nil
}

// listRestores lists restore requests, oldest first.
func (s *Server) listRestores(w http.ResponseWriter, r *http.Request, c *caller) error {
	qs, err := s.o.Store.RestoreRequests(r.Context())
	if err != nil {
		return err
	}
	if qs == nil {
		qs = []store.RestoreRequest{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"restores": qs})
	return nil
}

type restoreRequestBody struct {
	Backup    string `json:"backup"`
	Path      string `json:"path"`
	Reason    string `json:"reason"`
	Requester string `json:"requester"` // the user who asks; default the calling admin
}

// requestRestore records a restore request; a manager approves it.
func (s *Server) requestRestore(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req restoreRequestBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	switch {
	case req.Backup == "":
		return badField("backup", "backup: the id of the backup to restore from is required")
	case req.Path == "":
		return badField("path", "path: a storage path such as /departments/operaciones is required")
	}
	requester := c.name()
	if req.Requester != "" {
		u, err := s.o.Store.UserByName(r.Context(), req.Requester)
		if errors.Is(err, store.ErrNotFound) {
			return badField("requester", "requester: no user %q", req.Requester)
		}
		if err != nil {
			return err
		}
		requester = u.Name
	}
	// Filed by the calling admin, whoever it is for: neither may approve it.
	q, err := s.o.Backups.Request(r.Context(), req.Backup, req.Path, req.Reason, requester, c.name())
	if err != nil {
		return restoreError(err)
	}
	s.audit(r, c, "admin.restore.request", "/api/v1/restores/"+q.ID, nil, q)
	writeJSON(w, http.StatusCreated, q)
	return nil
}

type approveBody struct {
	Manager  string `json:"manager"`
	Password string `json:"password"`
}

// errApprovalRefused is the one answer to every refused approval: a
// wrong password, an unknown user, and a right password of someone who
// may not approve (not a manager, disabled, expired, another department,
// too new, created by the requester, the requester themselves) look the
// same, so that the answer tells nobody whether a password was right. The
// cause is in the audit trail.
var errApprovalRefused = &apiError{status: http.StatusForbidden, field: "password",
	detail: "approval refused: the manager's user name or password is wrong, or this manager may not approve this restore (the audit trail says why)"}

// approveRestore records a manager's approval: the manager signs with
// their own password, checked like a login (defender, status, expiry,
// allowed addresses), whoever the calling admin is.
func (s *Server) approveRestore(w http.ResponseWriter, r *http.Request, c *caller) error {
	var req approveBody
	if err := decode(w, r, &req); err != nil {
		return err
	}
	if req.Manager == "" {
		return badField("manager", "manager: the approving manager's user name is required")
	}
	q, err := s.approveAs(r.Context(), r.PathValue("id"), req.Manager, req.Password, c.remote, c.session())
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

// approveAs records manager's approval of restore request id, signed
// with the manager's password from remote (session names the check in
// the audit trail), for the API and the console alike. Every refusal of
// the manager is errApprovalRefused, its cause audited; a request that
// is not there or not waiting is answered so whatever the password.
func (s *Server) approveAs(ctx context.Context, id, manager, password string, remote netip.Addr, session string) (store.RestoreRequest, error) {
	release, err := s.loginSlot()
	if err != nil {
		return store.RestoreRequest{}, err
	}
	defer release()
	q, qerr := s.o.Store.RestoreRequestByID(ctx, id)
	u, err := s.o.Core.Confirm(ctx, gateway.Credentials{Username: manager, Password: password,
		Remote: remote, Protocol: protocol, Session: session, Confirm: "backup.restore.approve"}) // runs the hash whoever is named
	// A request that is not there or not waiting is answered so whatever
	// the password, so that this answer does not tell it either.
	switch {
	case qerr != nil:
		return q, restoreError(qerr)
	case q.Status != store.RestoreRequested:
		return q, fail(http.StatusConflict, "", "restore request %s is %s, not waiting for approval", id, q.Status)
	}
	if err != nil {
		cause := "the manager's login failed"
		if le := (*gateway.LoginError)(nil); errors.As(err, &le) {
			cause += ": " + le.Reason
		}
		if aerr := s.o.Store.Audit(context.WithoutCancel(ctx), store.AuditEntry{User: manager, Protocol: protocol, Session: session,
			Remote: remote.String(), Action: "backup.restore.approve", VPath: id, SPath: q.Path, Target: q.BackupID,
			Result: store.ResultDenied, Reason: cause}); aerr != nil {
			s.log.Error("refused approval not audited", "user", manager, "err", aerr)
		}
		return q, errApprovalRefused
	}
	q, err = s.o.Backups.Approve(ctx, id, u) // audits the approval or its refusal, with the cause
	if errors.Is(err, store.ErrRestoreRefused) {
		return q, errApprovalRefused
	}
	if err != nil {
		return q, restoreError(err)
	}
	return q, nil
}

type closeBody struct {
	Note string `json:"note"` // why
}

// rejectRestore refuses a request waiting for approval, as the calling
// admin; it then holds no backup from pruning.
func (s *Server) rejectRestore(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.closeRestore(w, r, c, "admin.restore.reject", s.o.Backups.Reject)
}

// cancelRestore withdraws a request not yet run, as the calling admin.
func (s *Server) cancelRestore(w http.ResponseWriter, r *http.Request, c *caller) error {
	return s.closeRestore(w, r, c, "admin.restore.cancel", s.o.Backups.Cancel)
}

func (s *Server) closeRestore(w http.ResponseWriter, r *http.Request, c *caller, action string,
	step func(context.Context, string, store.RestoreActor, string) (store.RestoreRequest, error)) error {
	var req closeBody
	if r.ContentLength != 0 {
		if err := decode(w, r, &req); err != nil {
			return err
		}
	}
	q, err := s.closeAs(r, c, action, step, r.PathValue("id"), req.Note)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, q)
	return nil
}

// closeAs takes a restore request a step (reject or cancel) as the
// calling admin, and audits it, for the API and the console alike.
func (s *Server) closeAs(r *http.Request, c *caller, action string,
	step func(context.Context, string, store.RestoreActor, string) (store.RestoreRequest, error), id, note string) (store.RestoreRequest, error) {
	q, err := step(r.Context(), id, store.RestoreActor{Name: c.name(), User: c.user}, note)
	if err != nil {
		return q, restoreError(err)
	}
	s.audit(r, c, action, "/api/v1/restores/"+q.ID, nil, q)
	return q, nil
}

// restoreError answers the errors of restore requests.
func restoreError(err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return fail(http.StatusNotFound, "", "%v", err)
	case errors.Is(err, store.ErrRestoreInvalid):
		return fail(http.StatusUnprocessableEntity, "", "%v", err)
	case errors.Is(err, store.ErrRestoreRefused):
		return fail(http.StatusForbidden, "", "%v", err)
	case errors.Is(err, store.ErrRestoreState):
		return fail(http.StatusConflict, "", "%v", err)
	}
	return err
}

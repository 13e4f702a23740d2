package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// Restores is what the approvals page asks of the backup runner
// (backup.Runner, wired by the server): the restore requests that wait
// for a manager, and the manager's decision. Its rules decide who may
// approve what; the page adds none.
type Restores interface {
	// Waiting returns the requests u may approve now, oldest first.
	Waiting(ctx context.Context, u *store.User) ([]store.RestoreRequest, error)
	// Approve records u's approval of request id (u's password was
	// checked); it is then run like any approved request (backup
	// restore run, with the backups' identity).
	Approve(ctx context.Context, id string, u *store.User) (store.RestoreRequest, error)
	// Reject refuses request id as u, with a note saying why.
	Reject(ctx context.Context, id string, u *store.User, note string) (store.RestoreRequest, error)
}

// The decisions a manager signs, as the audit names the password check
// of each (gateway.Credentials.Confirm).
const (
	approveAction = "backup.restore.approve"
	rejectAction  = "backup.restore.reject"
	maxNote       = 1000 // characters of a rejection's note
)

// approvalRow is one waiting request as the page shows it.
type approvalRow struct {
	ID, Path, Requester, FiledBy, Reason, Backup string
	Created, ISO                                 string
}

// approvalsPage is the approvals template's data.
type approvalsPage struct {
	Rows    []approvalRow
	Message string // a catalogue key: the outcome of the last decision
	Alert   bool   // the message reports a refusal
	Done    string // the request the message is about
}

// approver reports whether u is one whom the approvals page is for.
func (s *Server) approver(u *store.User) bool {
	return s.o.Restores != nil && u.Role == store.RoleManager
}

// approvals lists the restore requests that wait for the manager; for
// anyone else the page does not exist.
func (s *Server) approvals(w http.ResponseWriter, r *http.Request, q *request) {
	if !s.approver(q.user) {
		s.notFound(w, r)
		return
	}
	s.renderApprovals(w, r, q, approvalsPage{})
}

// renderApprovals writes the page with the requests waiting now and p's
// message.
func (s *Server) renderApprovals(w http.ResponseWriter, r *http.Request, q *request, p approvalsPage) {
	qs, err := s.o.Restores.Waiting(r.Context(), q.user)
	if err != nil {
		s.fail(w, r, q, err)
		return
	}
	for _, rq := range qs {
		p.Rows = append(p.Rows, approvalRow{ID: rq.ID, Path: rq.Path, Requester: rq.Requester, FiledBy: rq.FiledBy,
			Reason: rq.Reason, Backup: rq.BackupID, Created: rq.CreatedAt.UTC().Format("2006-01-02 15:04 UTC"),
			ISO: rq.CreatedAt.UTC().Format(time.RFC3339)})
	}
	s.pages.Render(w, http.StatusOK, "approvals", q.page(q.lang.T("approve.title"), p))
}

// decide approves or rejects a request waiting for the manager, who signs
// with their own password, checked as every approval's is
// (gateway.Core.Confirm: defender, hash pool, an "auth" audit row). A
// request that is not waiting for them, or no longer, is the same 404 as
// one that does not exist.
func (s *Server) decide(w http.ResponseWriter, r *http.Request, q *request) {
	if !s.approver(q.user) {
		s.notFound(w, r)
		return
	}
	if !ui.CheckForm(w, r, q.s.CSRF) {
		s.forbidden(w, r)
		return
	}
	id, decision := r.PathValue("id"), r.PostForm.Get("decision")
	action := approveAction
	switch decision {
	case "approve":
	case "reject":
		action = rejectAction
	default:
		s.notFound(w, r)
		return
	}
	waiting, err := s.o.Restores.Waiting(r.Context(), q.user)
	if err != nil {
		s.fail(w, r, q, err)
		return
	}
	found := false
	for _, rq := range waiting {
		found = found || rq.ID == id
	}
	if !found {
		s.notFound(w, r)
		return
	}
	u, err := s.o.Core.Confirm(r.Context(), gateway.Credentials{Username: q.user.Name, Password: r.PostForm.Get("password"),
		Remote: gateway.RemoteOf(r), Protocol: protocol, Session: q.s.ID, Confirm: action})
	if err != nil {
		if !errors.Is(err, gateway.ErrLoginFailed) {
			s.log.Error("web approval", "user", q.user.Name, "session", q.s.ID, "action", action, "err", err)
		}
		s.renderApprovals(w, r, q, approvalsPage{Message: "approve.wrong_password", Alert: true, Done: id})
		return
	}
	note := []rune(r.PostForm.Get("note"))
	if len(note) > maxNote {
		note = note[:maxNote]
	}
	msg := "approve.approved"
	if decision == "reject" {
		msg = "approve.rejected"
		_, err = s.o.Restores.Reject(r.Context(), id, u, string(note))
	} else {
		_, err = s.o.Restores.Approve(r.Context(), id, u)
	}
	switch {
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrRestoreState), errors.Is(err, store.ErrRestoreRefused):
		s.notFound(w, r) // decided meanwhile, or no longer theirs
		return
	case err != nil:
		s.fail(w, r, q, err)
		return
	}
	s.renderApprovals(w, r, q, approvalsPage{Message: msg, Done: id})
}

// approveMessages are the texts of the approvals page.
var approveMessages = map[Lang]map[string]string{
	Spanish: {
		"approve.link": "Aprobaciones", "approve.title": "Restauraciones por aprobar",
		"approve.intro": "Solicitudes de restauración de respaldos que esperan su aprobación. " +
			"Escriba su contraseña para aprobar o rechazar; los archivos se restauran en una carpeta nueva, nunca sobre los actuales.",
		"approve.none": "No hay solicitudes esperando su aprobación.", "approve.request": "Solicitud",
		"approve.path": "Ruta", "approve.requester": "Para", "approve.filed_by": "Registrada por",
		"approve.created": "Fecha", "approve.reason": "Motivo", "approve.backup": "Respaldo",
		"approve.password": "Su contraseña", "approve.note": "Nota (al rechazar)",
		"approve.approve": "Aprobar", "approve.reject": "Rechazar",
		"approve.approved":       "Solicitud aprobada. Sistemas ejecuta la restauración con la llave de los respaldos.",
		"approve.rejected":       "Solicitud rechazada.",
		"approve.wrong_password": "Contraseña incorrecta: no se cambió nada.",
	},
	English: {
		"approve.link": "Approvals", "approve.title": "Restores to approve",
		"approve.intro": "Requests to restore files from backups that wait for your approval. " +
			"Type your password to approve or reject; files are restored into a new folder, never over the current ones.",
		"approve.none": "No request is waiting for your approval.", "approve.request": "Request",
		"approve.path": "Path", "approve.requester": "For", "approve.filed_by": "Filed by",
		"approve.created": "Date", "approve.reason": "Reason", "approve.backup": "Backup",
		"approve.password": "Your password", "approve.note": "Note (when rejecting)",
		"approve.approve": "Approve", "approve.reject": "Reject",
		"approve.approved":       "Request approved. IT runs the restore with the backups' key.",
		"approve.rejected":       "Request rejected.",
		"approve.wrong_password": "Wrong password: nothing was changed.",
	},
}

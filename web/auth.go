package web

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// request is what a logged-in request's handler gets.
type request struct {
	s      *ui.Session
	user   *store.User
	view   *storage.View
	lang   ui.Text
	unbind func() // detaches the request from its session (gateway.BindSession)

	approver bool // the user is a manager, and the portal shows approvals
}

// page returns the common data of a page of this session.
func (q *request) page(title string, body any) view {
	return view{L: q.lang, Title: title, User: q.user.Name, CSRF: q.s.CSRF, Body: body, Approver: q.approver}
}

type ctxKey struct{ name string }

var (
	viewKey = &ctxKey{"view"}
	userKey = &ctxKey{"user"}
)

// ViewOf returns the storage view of the logged-in session a request
// (under Options.Uploads) belongs to.
func ViewOf(ctx context.Context) *storage.View { v, _ := ctx.Value(viewKey).(*storage.View); return v }

// UserOf returns the user of the logged-in session a request (under
// Options.Uploads) belongs to.
func UserOf(ctx context.Context) *store.User { u, _ := ctx.Value(userKey).(*store.User); return u }

// authed runs h for a request of a live session; without one, a GET goes
// to the login page and anything else is refused. Every request re-admits
// the account (status, expiry, allowed addresses, ban, unchanged
// password) and counts as the connection's login; its context ends when
// the session is kicked or logged out, which cuts a download short.
func (s *Server) authed(h func(http.ResponseWriter, *http.Request, *request)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		remote := gateway.RemoteOf(r)
		sess := s.sessions.Lookup(r, remote, time.Now())
		if sess == nil {
			s.toLogin(w, r)
			return
		}
		u, err := s.o.Core.Reverify(r.Context(), sess.User, sess.Hash, remote)
		if err != nil {
			s.log.Debug("web session refused", "user", sess.User, "session", sess.ID, "err", err)
			s.sessions.End(sess)
			s.toLogin(w, r)
			return
		}
		ctx, unbind := gateway.BindSession(r.Context(), sess.Context(), w)
		defer unbind()
		if ctx.Err() != nil {
			s.toLogin(w, r)
			return
		}
		v, err := s.o.Core.View(ctx, u, storage.Session{ID: sess.ID, Protocol: protocol, Remote: remote.String()})
		if err != nil {
			s.log.Error("web view", "user", u.Name, "session", sess.ID, "err", err)
			s.serverError(w, r)
			return
		}
		ctx = context.WithValue(context.WithValue(ctx, viewKey, v), userKey, u)
		h(w, r.WithContext(ctx), &request{s: sess, user: u, approver: s.approver(u), view: v, lang: textOf(r), unbind: unbind})
	})
}

// toLogin sends a browser without a live session to the login page.
func (s *Server) toLogin(w http.ResponseWriter, r *http.Request) {
	s.sessions.ClearCookie(w)
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.forbidden(w, r)
}

// loginForm is the login page's data.
type loginForm struct {
	Username string
	Message  string // a catalogue key
}

func (s *Server) loginPage(w http.ResponseWriter, r *http.Request) {
	l := textOf(r)
	s.pages.Render(w, http.StatusOK, "login", view{L: l, Title: l.T("login.title"), CSRF: s.sessions.LoginToken(w, r), Body: loginForm{}})
}

// login checks the form's credentials through the core (defender, hash
// pool, audit row "web"), and on success opens a session: a new random
// cookie, listed in the registry, which may kick it.
func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	l := textOf(r)
	token, ok := s.sessions.CheckLogin(w, r)
	if !ok {
		s.forbidden(w, r)
		return
	}
	name := r.PostForm.Get("username")
	remote := gateway.RemoteOf(r)
	id := gateway.NewSessionID()
	u, err := s.o.Core.Login(r.Context(), gateway.Credentials{
		Username: name, Password: r.PostForm.Get("password"), Remote: remote, Protocol: protocol, Session: id,
	})
	if err != nil {
		if !errors.Is(err, gateway.ErrLoginFailed) {
			s.log.Error("web login", "user", name, "err", err)
		}
		s.pages.Render(w, http.StatusOK, "login", view{L: l, Title: l.T("login.title"), CSRF: token,
			Body: loginForm{Username: name, Message: "login.failed"}})
		return
	}
	s.sessions.Open(w, s.o.Core, id, protocol, u.Name, u.PasswordHash, remote)
	http.Redirect(w, r, "/f/", http.StatusSeeOther)
}

// logout ends the session, after the form's token proves the browser
// asked for it.
func (s *Server) logout(w http.ResponseWriter, r *http.Request, q *request) {
	if !ui.CheckForm(w, r, q.s.CSRF) {
		s.forbidden(w, r)
		return
	}
	q.unbind() // ending the session must not cut this request's own answer
	s.sessions.End(q.s)
	s.sessions.ClearCookie(w)
	w.Header().Set("Clear-Site-Data", `"storage"`) // the upload script's resume notes, which name files
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// notFound is the one answer for what does not exist and for what the
// user may not see: the same status and the same body.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	l := textOf(r)
	s.pages.Render(w, http.StatusNotFound, "message", view{L: l, Title: l.T("notfound.title"), Body: l.T("notfound")})
}

// forbidden refuses a state-changing request without a valid token or
// from another origin.
func (s *Server) forbidden(w http.ResponseWriter, r *http.Request) {
	l := textOf(r)
	s.pages.Render(w, http.StatusForbidden, "message", view{L: l, Title: l.T("forbidden.title"), Body: l.T("forbidden")})
}

func (s *Server) serverError(w http.ResponseWriter, r *http.Request) {
	l := textOf(r)
	s.pages.Render(w, http.StatusInternalServerError, "message", view{L: l, Title: l.T("error.title"), Body: l.T("error")})
}

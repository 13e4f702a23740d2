package admin

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/oaq/custodia/gateway"
)

// consoleLoginForm is the login page's data.
type consoleLoginForm struct {
	Username string
	Message  string // the text of a refusal
}

func (c *console) loginPage(w http.ResponseWriter, r *http.Request) {
	l := consoleText(r)
	c.pages.Render(w, http.StatusOK, "login", consoleView{L: l, Title: l.T("login.title"),
		CSRF: c.sessions.LoginToken(w, r), Body: consoleLoginForm{}})
}

// login checks the form through the API's own login (checkLogin: the
// defender, the hash pool, the audit row of protocol "admin", admins
// only) and on success opens a console session: a new random cookie,
// listed in the session registry, where a kick ends it.
func (c *console) login(w http.ResponseWriter, r *http.Request) {
	l := consoleText(r)
	token, ok := c.sessions.CheckLogin(w, r)
	if !ok {
		c.forbidden(w, r)
		return
	}
	name, remote, id := r.PostFormValue("username"), gateway.RemoteOf(r), gateway.NewSessionID()
	u, err := c.s.checkLogin(r.Context(), gateway.Credentials{
		Username: name, Password: r.PostFormValue("password"), Remote: remote, Protocol: protocol, Session: id,
	})
	if err != nil {
		msg := l.T("login.failed")
		var ae *apiError
		switch {
		case errors.As(err, &ae) && ae.retryAfter > 0:
			msg = l.T("login.banned") + " " + strconv.FormatInt((ae.retryAfter+59)/60, 10) + " min."
		case errors.As(err, &ae) && ae.status == http.StatusTooManyRequests:
			msg = l.T("login.busy")
		case !errors.As(err, &ae):
			c.s.log.Error("console login", "user", name, "err", err)
			msg = l.T("error")
		}
		c.pages.Render(w, http.StatusOK, "login", consoleView{L: l, Title: l.T("login.title"), CSRF: token,
			Body: consoleLoginForm{Username: name, Message: msg}})
		return
	}
	c.sessions.Open(w, c.s.o.Core, id, protocol, u.Name, u.PasswordHash, remote)
	http.Redirect(w, r, ConsolePrefix, http.StatusSeeOther)
}

// logout ends the session (the gate checked the form's token).
// It is audited as the API's logout is (admin.logout).
func (c *console) logout(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	q.unbind() // ending the session must not cut this request's own answer
	c.sessions.End(q.s)
	c.s.audit(r, q.caller(), "admin.logout", ConsolePrefix+"logout", map[string]any{"session": q.s.ID}, nil)
	c.sessions.ClearCookie(w)
	http.Redirect(w, r, ConsolePrefix+"login", http.StatusSeeOther)
}

// toLogin answers a request without a live session: a GET or HEAD goes
// to the login form, anything else is refused.
func (c *console) toLogin(w http.ResponseWriter, r *http.Request) {
	c.sessions.ClearCookie(w)
	if r.Method == http.MethodGet || r.Method == http.MethodHead {
		http.Redirect(w, r, ConsolePrefix+"login", http.StatusSeeOther)
		return
	}
	c.forbidden(w, r)
}

// notFound is a logged-in admin's answer for a page that does not exist.
func (c *console) notFound(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	c.pages.Render(w, http.StatusNotFound, "message", q.page(q.L.T("notfound.title"), "", q.L.T("notfound")))
}

// forbidden refuses a state-changing request without a valid token, from
// another origin, or without a session.
func (c *console) forbidden(w http.ResponseWriter, r *http.Request) {
	l := consoleText(r)
	c.pages.Render(w, http.StatusForbidden, "message", consoleView{L: l, Title: l.T("forbidden.title"), Body: l.T("forbidden")})
}

// serverError is the answer for an error that is not the admin's: the
// cause goes to the log, never to the page.
func (c *console) serverError(w http.ResponseWriter, r *http.Request, q *consoleRequest, err error) {
	c.s.log.Error("console request failed", "user", q.user.Name, "session", q.s.ID, "path", r.URL.Path, "err", err)
	c.pages.Render(w, http.StatusInternalServerError, "message", q.page(q.L.T("error.title"), "", q.L.T("error")))
}

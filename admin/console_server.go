package admin

import (
	"context"
	"embed"
	"errors"
	"io/fs"
	"net/http"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// The admin console: server-rendered pages under /admin/ on the admin
// listener, for admins only, built on web/ui (the portal's sessions,
// CSRF, CSP and renderer). Every action it offers calls the API's own
// code (the account service, the core, the store) with the console
// session's admin as the caller, so that every change is the same audit
// row as through the API. The API under /api/v1 never reads a cookie;
// the console never reads a bearer token.
//
// Its templates and style sheet live in admin/console/ (templates/NAME.html
// on the layout templates/base.html; assets/ served at /admin/assets/).

//go:embed console
var consoleFiles embed.FS

// ConsolePrefix is where the console lives on the admin listener.
const ConsolePrefix = "/admin/"

// consolePages are the console's templates: console/templates/NAME.html.
var consolePages = []string{"login", "message", "dashboard", "clients", "client", "policies", "users", "users_new", "users_user", "users_delete", "audit", "sessions", "backups"}

// consoleSection is an entry of the navigation bar: Key names it in the
// catalogue; Href is its page.
type consoleSection struct{ Key, Href string }

// consoleNav is the navigation bar, in this order. A section appears here
// when its pages exist (routes in consoleRoutes).
var consoleNav = []consoleSection{
	{"nav.dashboard", "/admin/"},
	{"nav.users", "/admin/users"},
	{"nav.clients", "/admin/clients"},
	{"nav.policies", "/admin/policies"},
	{"nav.audit", "/admin/audit"},
	{"nav.sessions", "/admin/sessions"},
	{"nav.backups", "/admin/backups"},
}

// consoleRoutes are the pages of logged-in admins (method and pattern
// under /admin/). The gate in front of them has already checked the
// session, the account (still an admin, still admitted) and, for every
// request that is not GET or HEAD, the CSRF token; a pattern that
// matches nothing is the console's 404 page.
func (c *console) consoleRoutes() map[string]consoleHandler {
	return map[string]consoleHandler{
		"GET /admin/{$}":     c.dashboard,
		"POST /admin/logout": c.logout,

		// clients and policies (console_clients.go, console_policies.go)
		"GET /admin/clients":                       c.clients,
		"POST /admin/clients":                      c.createClient,
		"GET /admin/clients/{id}":                  c.client,
		"POST /admin/clients/{id}/contacts":        c.addContact,
		"POST /admin/clients/{id}/contacts/remove": c.removeContact,
		"GET /admin/policies":                      c.policies,
		"POST /admin/policies":                     c.addRule,
		"POST /admin/policies/remove":              c.removeRule,
		"GET /admin/policies/explain":              c.explain,

		// users: console_users.go, console_user.go, console_user_new.go
		"GET /admin/users":                    c.users,
		"GET /admin/users/new":                c.newUserPage,
		"POST /admin/users/new":               c.createUser,
		"GET /admin/user/{name}":              c.userPage,
		"POST /admin/user/{name}/status":      c.setStatus,
		"POST /admin/user/{name}/keys":        c.addKey,
		"POST /admin/user/{name}/keys/remove": c.removeKey,
		"POST /admin/user/{name}/letter":      c.letter,
		"GET /admin/user/{name}/delete":       c.deletePage,
		"POST /admin/user/{name}/delete":      c.deleteUser,

		// audit, sessions and bans: console_audit.go, console_sessions.go
		"GET /admin/audit":           c.audit,
		"GET /admin/audit.csv":       c.auditExport,
		"GET /admin/audit/downloads": c.downloadReport,
		"GET /admin/sessions":        c.sessionsList,
		"POST /admin/sessions/kick":  c.kick,
		"POST /admin/bans/lift":      c.lift,

		// backups and restores: console_backups.go
		"GET /admin/backups":                c.backups,
		"POST /admin/backups/run":           c.runBackup,
		"POST /admin/backups/verify":        c.verifyBackup,
		"POST /admin/restores/{id}/approve": c.approveRestore,
		"POST /admin/restores/{id}/reject":  c.rejectRestore,
	}
}

// consoleHandler is a console page's handler: q is the logged-in admin's
// request.
type consoleHandler func(w http.ResponseWriter, r *http.Request, q *consoleRequest)

// console is the admin console of a Server.
type console struct {
	s        *Server
	sessions *ui.Sessions
	pages    *ui.Pages
	public   *http.ServeMux // login and assets: no session needed
	authed   *http.ServeMux // everything else
}

type consoleKey struct{}

func newConsole(s *Server) (*console, error) {
	pg, err := ui.NewPages(s.log, consoleFiles, "console/templates", consolePages...)
	if err != nil {
		return nil, err
	}
	// On TLS (beyond loopback) the cookie is Secure; on plain HTTP on
	// loopback it cannot be (browsers and clients would not send it back),
	// so it has no __Secure- prefix. Either way it is sent to /admin/ only,
	// never to the API, and it is named apart from the portal's: cookies
	// are not kept apart by port.
	cookie := ui.Cookie{Name: "custodia-admin", Path: ConsolePrefix}
	if s.o.TLS != nil {
		cookie = ui.Cookie{Name: "__Secure-custodia-admin", Path: ConsolePrefix, Secure: true}
	}
	c := &console{s: s, sessions: ui.NewSessions(cookie, s.o.ConsoleIdle, s.o.ConsoleMax), pages: pg,
		public: http.NewServeMux(), authed: http.NewServeMux()}
	if s.o.Store != nil { // every gateway over the store knows the console's sessions
		c.sessions = ui.NewSharedSessions(cookie, s.o.Store, s.o.Core, protocol, s.o.ConsoleIdle, s.o.ConsoleMax,
			func(msg string, err error) { s.log.Warn(msg, "proto", protocol, "err", err) })
	}
	assets, _ := fs.Sub(consoleFiles, "console/assets") // a directory embedded above: no error
	c.public.Handle("GET /admin/assets/{file}", ui.Assets("/admin/assets/", assets))
	c.public.HandleFunc("GET /admin/login", c.loginPage)
	c.public.HandleFunc("POST /admin/login", c.login)
	c.public.HandleFunc("/admin/", c.gate)
	for pattern, h := range c.consoleRoutes() {
		c.authed.Handle(pattern, h.serve())
	}
	c.authed.Handle("/admin/", consoleHandler(c.notFound).serve())
	return c, nil
}

// ServeHTTP serves /admin/ (the admin listener's mux sends it there).
func (c *console) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ui.SecureHeaders(c.public).ServeHTTP(w, r)
}

// serve runs h with the request the gate put in the context.
func (h consoleHandler) serve() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h(w, r, r.Context().Value(consoleKey{}).(*consoleRequest))
	})
}

// gate admits a request of a live console session, of an account that is
// still an admin and still admitted (status, expiry, addresses, ban,
// unchanged password), with the session's CSRF token unless it is a GET
// or HEAD. Without a session, every path answers the same, whether a
// page exists there or not: a GET goes to the login form, anything else
// is refused (403). So a stranger, or an account that is not an admin
// (which never gets a session), learns nothing of which pages exist.
func (c *console) gate(w http.ResponseWriter, r *http.Request) {
	remote := gateway.RemoteOf(r)
	sess := c.sessions.Lookup(r, remote, time.Now())
	if sess == nil {
		c.toLogin(w, r)
		return
	}
	u, err := c.s.o.Core.Reverify(r.Context(), sess.User, sess.Hash, remote)
	if err == nil && u.Role != store.RoleAdmin {
		err = &gateway.LoginError{Reason: "no longer an admin"}
	}
	if err != nil {
		c.s.log.Debug("console session refused", "user", sess.User, "session", sess.ID, "err", err)
		c.sessions.End(sess)
		c.toLogin(w, r)
		return
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if !c.parseBody(w, r) {
			return
		}
		if !ui.ValidToken(r.Header.Get(ui.CSRFHeader), sess.CSRF) && !ui.ValidToken(r.PostForm.Get(ui.CSRFField), sess.CSRF) {
			c.forbidden(w, r)
			return
		}
	}
	if !ui.SameOrigin(r) {
		c.forbidden(w, r)
		return
	}
	ctx, unbind := gateway.BindSession(r.Context(), sess.Context(), w)
	defer unbind()
	q := &consoleRequest{s: sess, user: u, remote: remote, L: consoleText(r), unbind: unbind}
	c.authed.ServeHTTP(w, r.WithContext(context.WithValue(ctx, consoleKey{}, q)))
}

// parseBody bounds a state-changing request's body (ui.MaxFormBody),
// whichever way its token comes, and parses its form, so that a handler's
// PostFormValue reads the form the gate read and never parses more. A
// body over the bound is refused (413), a form that does not parse 400.
func (c *console) parseBody(w http.ResponseWriter, r *http.Request) bool {
	r.Body = http.MaxBytesReader(w, r.Body, ui.MaxFormBody)
	err := r.ParseForm() // ParseMultipartForm would hide its error behind ErrNotMultipart
	if err == nil {
		if err = r.ParseMultipartForm(ui.MaxFormBody); errors.Is(err, http.ErrNotMultipart) {
			err = nil
		}
	}
	if err == nil {
		return true
	}
	l, status, title, body := consoleText(r), http.StatusBadRequest, "badrequest.title", "badrequest"
	if tooBig := (*http.MaxBytesError)(nil); errors.As(err, &tooBig) {
		status, title, body = http.StatusRequestEntityTooLarge, "toolarge.title", "toolarge"
	}
	c.pages.Render(w, status, "message", consoleView{L: l, Title: l.T(title), Body: l.T(body)})
	return false
}

// serveConsole runs the console's sweeper until ctx ends or Shutdown.
func (c *console) sweep(ctx context.Context, stop <-chan struct{}) {
	c.sessions.Sweep(ctx, stop, ui.SweepInterval)
}

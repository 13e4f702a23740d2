package admin

import (
	"net/http"
	"net/netip"

	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// consoleRequest is what a console page's handler gets: the logged-in
// admin, re-checked for this request.
type consoleRequest struct {
	s      *ui.Session
	user   *store.User
	remote netip.Addr
	L      ui.Text // the console's texts in the request's language
	unbind func()  // detaches the request from its session (gateway.BindSession)
}

// caller is the console's admin as the API's own code takes it: pass it
// where an API handler would pass its caller (the account service's
// actor, s.audit), so that a change from the console is the same audit
// row as from the API (protocol "admin", the admin's name and address).
func (q *consoleRequest) caller() *caller {
	return &caller{user: q.user, remote: q.remote, console: q.s.ID}
}

// consoleView is what every console template gets.
type consoleView struct {
	L     ui.Text
	Title string
	User  string // "" before login
	CSRF  string // the token the page's forms carry
	Nav   []consoleSection
	Here  string // the Href of the section the page belongs to
	Body  any    // the page's own data
}

// page returns the common data of a page of this session; here is the
// Href of its section in the navigation bar.
func (q *consoleRequest) page(title, here string, body any) consoleView {
	return consoleView{L: q.L, Title: title, User: q.user.Name, CSRF: q.s.CSRF, Nav: consoleNav, Here: here, Body: body}
}

// consoleText returns the console's texts in a request's language.
func consoleText(r *http.Request) ui.Text { return consoleMessages.In(ui.LangOf(r)) }

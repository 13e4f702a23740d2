package admin

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/store"
)

// The console's users section: the list with its filters, a user's page
// (status, keys, letter, delete) and the new-user form. Every change
// calls the API's own functions (addUser, changeUser, addKey, removeKey,
// writeLetter, removeUser) with the console's admin as the caller, so the
// account service writes the same audit rows as for the API.
//
// A password the console hands out exists only in the body of the answer
// to the POST that made it: the credential letter, a PDF sent as a
// download with Cache-Control: no-store. It is never in a page, a URL, a
// log line or a redirect, and a second letter is a new password. A new
// user is created with a password nobody sees (as POST /api/v1/users
// without one) and the page it leads to offers the letter, which sets
// the one its holder gets (as POST /api/v1/users/NAME/letter).

// usersPageSize is how many users a page of the list shows.
const usersPageSize = 50

// option is an entry of a <select>.
type option struct {
	Value, Label string
	Selected     bool
}

// usersList is the list page's data.
type usersList struct {
	Role, Client, Department, Status, Login, Days string // the filters as asked
	Roles, Departments, Statuses, Logins          []option
	Rows                                          []userRow
	Next, First                                   string // the next and first pages; "" when none
	Message, Notice                               string
}

// userRow is a user in the list.
type userRow struct {
	Name, Href, Role, Department, Clients, Status, LastLogin string
	Disabled                                                 bool
}

// consoleTime shows a time in the console (UTC), or never when there is none.
func consoleTime(t *time.Time, never string) string {
	if t == nil {
		return never
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func userHref(name string) string { return "/admin/user/" + url.PathEscape(name) }

func (q *consoleRequest) roleOptions(selected string, blank bool) []option {
	var out []option
	if blank {
		out = append(out, option{"", q.L.T("users.any"), selected == ""})
	}
	for _, r := range store.Roles() {
		out = append(out, option{string(r), q.L.T("users.role." + string(r)), string(r) == selected})
	}
	return out
}

func (c *console) departmentOptions(q *consoleRequest, selected, blank string) []option {
	out := []option{{"", q.L.T(blank), selected == ""}}
	for _, d := range c.s.o.Departments {
		out = append(out, option{d, d, d == selected})
	}
	return out
}

// users lists the users that the filters pick, a page at a time (the
// cursor "after" is the last name of the previous page, as the API's).
func (c *console) users(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	v := r.URL.Query()
	p := usersList{Role: v.Get("role"), Client: strings.TrimSpace(v.Get("client")), Department: v.Get("department"),
		Status: v.Get("status"), Login: v.Get("login"), Days: strings.TrimSpace(v.Get("days"))}
	if p.Days == "" {
		p.Days = "30"
	}
	p.Roles = q.roleOptions(p.Role, true)
	p.Departments = c.departmentOptions(q, p.Department, "users.any")
	for _, s := range []string{"", "active", "disabled"} {
		p.Statuses = append(p.Statuses, option{s, q.L.T("users.status." + cmp.Or(s, "any")), s == p.Status})
	}
	for _, s := range []string{"", "never", "idle"} {
		p.Logins = append(p.Logins, option{s, q.L.T("users.login." + cmp.Or(s, "any")), s == p.Login})
	}
	if done := v.Get("done"); done == "deleted" {
		p.Notice = q.L.T("users.done.deleted")
	}
	f := userFilter{Role: p.Role, Department: p.Department, Client: p.Client, Status: p.Status, LastLogin: p.Login}
	status := http.StatusOK
	days, err := strconv.Atoi(p.Days)
	switch {
	case p.Role != "" && !validRole(p.Role):
		p.Message = q.L.T("users.err.role")
	case p.Status != "" && p.Status != "active" && p.Status != "disabled",
		p.Login != "" && p.Login != "never" && p.Login != "idle":
		p.Message = q.L.T("users.err.filter")
	case p.Login == "idle" && (err != nil || days < 1 || days > 36500):
		p.Message = q.L.T("users.err.days")
	}
	if p.Message != "" {
		c.pages.Render(w, http.StatusBadRequest, "users", q.page(q.L.T("nav.users"), "/admin/users", p))
		return
	}
	f.IdleSince = time.Now().AddDate(0, 0, -days)
	found, next, err := c.s.findUsers(r, f, v.Get("after"), usersPageSize)
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	for _, u := range found {
		p.Rows = append(p.Rows, userRow{Name: u.Name, Href: userHref(u.Name), Role: q.L.T("users.role." + string(u.Role)),
			Department: u.Department, Clients: strings.Join(u.Clients, ", "), Status: q.L.T("users.status." + string(u.Status)),
			LastLogin: consoleTime(u.LastLoginAt, q.L.T("users.never")), Disabled: u.Status == store.StatusDisabled})
	}
	keep := url.Values{}
	for _, k := range []string{"role", "client", "department", "status", "login", "days"} {
		if v.Get(k) != "" {
			keep.Set(k, v.Get(k))
		}
	}
	if v.Get("after") != "" {
		p.First = "/admin/users?" + keep.Encode()
	}
	if next != "" {
		keep.Set("after", next)
		p.Next = "/admin/users?" + keep.Encode()
	}
	c.pages.Render(w, status, "users", q.page(q.L.T("nav.users"), "/admin/users", p))
}

func validRole(s string) bool {
	_, err := store.ParseRole(s)
	return err == nil
}

// consoleUser loads the user of the path, or answers the console's 404.
func (c *console) consoleUser(w http.ResponseWriter, r *http.Request, q *consoleRequest) *store.User {
	u, err := c.s.o.Store.UserByName(r.Context(), r.PathValue("name"))
	if errors.Is(err, store.ErrNotFound) {
		c.notFound(w, r, q)
		return nil
	}
	if err != nil {
		c.serverError(w, r, q, err)
		return nil
	}
	return u
}

// fieldMessage is the console's text for an API error about a form's
// field; ok is false for an error that is not the admin's (a 500).
func fieldMessage(q *consoleRequest, err error) (field, msg string, ok bool) {
	var ae *apiError
	if !errors.As(err, &ae) {
		return "", "", false
	}
	key := "users.err." + ae.field
	if ae.status == http.StatusConflict {
		key += ".taken"
	}
	if m := q.L.T(key); m != key {
		return ae.field, m, true
	}
	return ae.field, q.L.T("users.err.other"), true
}

package admin

import (
	"net/http"
	"strings"

	"github.com/oaq/custodia/gateway"
)

// newUserForm is the new-user form's data: the values as entered, kept
// when the form comes back with a message (it has no password field:
// the password is generated, and handed out on the letter only).
type newUserForm struct {
	Username, Role, Department, Clients, Login, Keys string
	Roles, Departments                               []option
	Field, Message                                   string // the field at fault and what is wrong
}

func (c *console) renderNewUser(w http.ResponseWriter, q *consoleRequest, status int, f newUserForm) {
	f.Roles = q.roleOptions(f.Role, false)
	f.Departments = c.departmentOptions(q, f.Department, "users.none")
	if f.Login == "" {
		f.Login = "password"
	}
	c.pages.Render(w, status, "users_new", q.page(q.L.T("users.new"), "/admin/users", f))
}

func (c *console) newUserPage(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	c.renderNewUser(w, q, http.StatusOK, newUserForm{Role: "client"})
}

// createUser creates the user through the API's addUser: with a password
// nobody sees, which the letter on the next page replaces (login
// "password"), or with the pasted SSH keys only (login "key").
func (c *console) createUser(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	f := newUserForm{Username: strings.TrimSpace(r.PostFormValue("username")), Role: r.PostFormValue("role"),
		Department: r.PostFormValue("department"), Clients: r.PostFormValue("clients"), Login: r.PostFormValue("login"),
		Keys: r.PostFormValue("keys")}
	req := createUserRequest{Username: f.Username, Role: f.Role, Department: f.Department,
		Clients: strings.FieldsFunc(f.Clients, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\n' || r == '\r' })}
	for _, line := range strings.Split(f.Keys, "\n") {
		if line = strings.TrimSpace(line); line != "" {
			req.Keys = append(req.Keys, line)
		}
	}
	password := ""
	switch f.Login {
	case "password":
		password = gateway.GeneratePassword() // replaced by the letter's; never shown
	case "key":
		if len(req.Keys) == 0 {
			f.Field, f.Message = "keys", q.L.T("users.err.keys.none")
			c.renderNewUser(w, q, http.StatusUnprocessableEntity, f)
			return
		}
	default:
		f.Field, f.Message = "login", q.L.T("users.err.login")
		c.renderNewUser(w, q, http.StatusUnprocessableEntity, f)
		return
	}
	u, err := c.s.addUser(r, q.caller(), req, password)
	if err != nil {
		var ok bool
		if f.Field, f.Message, ok = fieldMessage(q, err); !ok {
			c.serverError(w, r, q, err)
			return
		}
		c.renderNewUser(w, q, http.StatusUnprocessableEntity, f)
		return
	}
	http.Redirect(w, r, userHref(u.Name)+"?done=created", http.StatusSeeOther)
}

package admin

import (
	"errors"
	"net/http"
	"strings"

	"github.com/oaq/custodia/store"
)

// userView is a user's page's data.
type userView struct {
	Name, Href, Role, Department, Clients, Status, Created, LastLogin, Expires string
	Disabled, HasPassword, Self                                                bool
	Keys                                                                       []keyRow
	Notice, Message, Field                                                     string
	KeyText                                                                    string // a refused key, as pasted
}

// keyRow is one of a user's SSH keys.
type keyRow struct{ Fingerprint, Comment, Added string }

// userDone are the notices a user's page shows after a change (?done=).
var userDone = map[string]string{"created": "users.done.created", "disabled": "users.done.disabled",
	"enabled": "users.done.enabled", "keyadded": "users.done.keyadded", "keyremoved": "users.done.keyremoved"}

func (c *console) userView(r *http.Request, q *consoleRequest, u *store.User) (userView, error) {
	keys, err := c.s.o.Store.KeysOf(r.Context(), u.ID)
	if err != nil {
		return userView{}, err
	}
	v := userView{Name: u.Name, Href: userHref(u.Name), Role: q.L.T("users.role." + string(u.Role)), Department: u.Department,
		Clients: strings.Join(u.Clients, ", "), Status: q.L.T("users.status." + string(u.Status)),
		Created: consoleTime(&u.CreatedAt, ""), LastLogin: consoleTime(u.LastLoginAt, q.L.T("users.never")),
		Expires: consoleTime(u.ExpiresAt, q.L.T("users.noexpiry")), Disabled: u.Status == store.StatusDisabled,
		HasPassword: u.PasswordHash != "", Self: strings.EqualFold(u.Name, q.user.Name)}
	for _, k := range keys {
		v.Keys = append(v.Keys, keyRow{k.Fingerprint, k.Comment, consoleTime(&k.CreatedAt, "")})
	}
	return v, nil
}

// renderUser shows u's page with a status; with changes, v's message and
// the entered key.
func (c *console) renderUser(w http.ResponseWriter, r *http.Request, q *consoleRequest, u *store.User, status int, msg userView) {
	v, err := c.userView(r, q, u)
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	v.Notice, v.Message, v.Field, v.KeyText = msg.Notice, msg.Message, msg.Field, msg.KeyText
	c.pages.Render(w, status, "users_user", q.page(u.Name, "/admin/users", v))
}

func (c *console) userPage(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	u := c.consoleUser(w, r, q)
	if u == nil {
		return
	}
	var msg userView
	if key, ok := userDone[r.URL.Query().Get("done")]; ok {
		msg.Notice = q.L.T(key)
	}
	c.renderUser(w, r, q, u, http.StatusOK, msg)
}

// refused shows u's page again with what was wrong with a change (an
// error of the API's functions), or the error page when the error is not
// the admin's.
func (c *console) refused(w http.ResponseWriter, r *http.Request, q *consoleRequest, u *store.User, err error, keyText string) {
	field, m, ok := fieldMessage(q, err)
	if !ok {
		c.serverError(w, r, q, err)
		return
	}
	c.renderUser(w, r, q, u, http.StatusUnprocessableEntity, userView{Message: m, Field: field, KeyText: keyText})
}

// setStatus disables or enables the user as PATCH /api/v1/users/NAME
// {"status": …} does: disabling ends the user's live sessions at once.
func (c *console) setStatus(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	u := c.consoleUser(w, r, q)
	if u == nil {
		return
	}
	st := r.PostFormValue("status")
	if st != string(store.StatusActive) && st != string(store.StatusDisabled) {
		c.refused(w, r, q, u, badField("status", "status %q: want active or disabled", st), "")
		return
	}
	if _, err := c.s.changeUser(r, q.caller(), u, updateUserRequest{Status: &st}); err != nil {
		c.refused(w, r, q, u, err, "")
		return
	}
	done := "enabled"
	if st == string(store.StatusDisabled) {
		done = "disabled"
	}
	http.Redirect(w, r, userHref(u.Name)+"?done="+done, http.StatusSeeOther)
}

// addKey attaches a pasted public key, as POST /api/v1/users/NAME/keys.
func (c *console) addKey(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	u := c.consoleUser(w, r, q)
	if u == nil {
		return
	}
	text := r.PostFormValue("key")
	if _, err := c.s.addKey(r, q.caller(), u, strings.TrimSpace(text)); err != nil {
		c.refused(w, r, q, u, err, text)
		return
	}
	http.Redirect(w, r, userHref(u.Name)+"?done=keyadded", http.StatusSeeOther)
}

// removeKey detaches a key, as DELETE /api/v1/users/NAME/keys/FP.
func (c *console) removeKey(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	u := c.consoleUser(w, r, q)
	if u == nil {
		return
	}
	if err := c.s.removeKey(r, q.caller(), u, r.PostFormValue("fingerprint")); err != nil {
		c.refused(w, r, q, u, err, "")
		return
	}
	http.Redirect(w, r, userHref(u.Name)+"?done=keyremoved", http.StatusSeeOther)
}

// letter answers the credential letter as POST /api/v1/users/NAME/letter
// does: kind "password" sets a new password, which only the PDF carries;
// kind "keys" is a key letter that changes nothing. The answer is the
// PDF itself (a download, no-store): the password is in no page, URL or
// log, and another letter is another password.
func (c *console) letter(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	u := c.consoleUser(w, r, q)
	if u == nil {
		return
	}
	withPassword := r.PostFormValue("kind") != "keys"
	pdf, err := c.s.writeLetter(r, q.caller(), u, letterRequest{Password: &withPassword})
	var ae *apiError
	switch {
	case err == nil:
		writeLetterPDF(w, u.Name, pdf)
	case errors.As(err, &ae) && ae.field == "host":
		c.renderUser(w, r, q, u, http.StatusConflict, userView{Message: q.L.T("users.err.letter.host")})
	case errors.As(err, &ae) && ae.field == "":
		// The configuration leaves the letter nothing to name (its
		// detail may name the server's files: for the log only).
		c.s.log.Warn("console letter refused", "user", u.Name, "err", err)
		c.renderUser(w, r, q, u, http.StatusConflict, userView{Message: q.L.T("users.err.letter")})
	default:
		c.refused(w, r, q, u, err, "")
	}
}

// deletePage asks to confirm a delete.
func (c *console) deletePage(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	u := c.consoleUser(w, r, q)
	if u == nil {
		return
	}
	v, err := c.userView(r, q, u)
	if err != nil {
		c.serverError(w, r, q, err)
		return
	}
	c.pages.Render(w, http.StatusOK, "users_delete", q.page(q.L.T("users.delete"), "/admin/users", v))
}

// deleteUser deletes the user, as DELETE /api/v1/users/NAME: its keys
// and assignments go, its live sessions end.
func (c *console) deleteUser(w http.ResponseWriter, r *http.Request, q *consoleRequest) {
	u := c.consoleUser(w, r, q)
	if u == nil {
		return
	}
	if err := c.s.removeUser(r, q.caller(), u); err != nil {
		c.refused(w, r, q, u, err, "")
		return
	}
	http.Redirect(w, r, "/admin/users?done=deleted", http.StatusSeeOther)
}

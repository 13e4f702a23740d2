package admin_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// seeOutcome posts a form that answers with a redirect to the backups
// page (303) and follows it, as a browser does.
func seeOutcome(t *testing.T, c *testkit.WebClient, path string, form url.Values) (*http.Response, string) {
	t.Helper()
	r, page := c.Post(path, form)
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST %s: %d, want 303 to the page\n%s", path, r.StatusCode, page)
	}
	loc := r.Header.Get("Location")
	if !strings.HasPrefix(loc, "/admin/backups?") {
		t.Fatalf("POST %s goes to %q, want the backups page", path, loc)
	}
	return c.Get(loc)
}

// A verification (an age identity) and an approval (a manager's
// password) answer with a redirect naming only the outcome: the address
// carries neither secret, and loading it again (a reload) verifies or
// checks nothing again. A link naming an unknown outcome shows none.
func TestConsoleSecretFormsRedirect(t *testing.T) {
	t.Parallel()
	tg, id := startBackups(t)
	ctx := t.Context()
	runner := tg.Server.Backups()
	dep, err := runner.Run(ctx, "departments", "full")
	if err != nil {
		t.Fatal(err)
	}
	req, err := runner.Request(ctx, dep.ID, "/departments/trafico", "guía", "tomas", "sys")
	if err != nil {
		t.Fatal(err)
	}
	c := tg.Console()
	_, tok := c.Login("sys", testkit.Password)
	count := func(user, action string) int { return strings.Count(tg.AuditLog(user, 200), action) }

	for _, x := range []struct {
		what, path, secret string
		form               url.Values
		user, action, want string
	}{
		{"verify", "/admin/backups/verify", id.String(), url.Values{"backup": {dep.ID}, "identity": {id.String()}},
			"sys", "admin.backup.verify", "El respaldo se verificó completo"},
		{"a wrong manager password", "/admin/restores/" + req.ID + "/approve", "Wrong-Horse-9-Battery",
			url.Values{"manager": {"mario"}, "password": {"Wrong-Horse-9-Battery"}}, "mario", "\tauth\t", "Aprobación rechazada"},
	} {
		x.form.Set("csrf", tok)
		r, body := c.Post(x.path, x.form)
		loc := r.Header.Get("Location")
		if r.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/admin/backups?") {
			t.Errorf("%s: %d to %q, want 303 to the backups page", x.what, r.StatusCode, loc)
			continue
		}
		if strings.Contains(loc, url.QueryEscape(x.secret)) || strings.Contains(loc, x.secret) || strings.Contains(body, x.secret) {
			t.Errorf("%s: the redirect carries the secret: %q", x.what, loc)
		}
		before := count(x.user, x.action)
		for range 2 { // the page, and a reload
			if r, page := c.Get(loc); r.StatusCode != http.StatusOK || !strings.Contains(page, x.want) || strings.Contains(page, x.secret) {
				t.Errorf("%s: the page after: %d, want it saying %q\n%s", x.what, r.StatusCode, x.want, page)
			}
		}
		if after := count(x.user, x.action); after != before {
			t.Errorf("%s: loading the outcome again added %d %q rows", x.what, after-before, x.action)
		}
	}
	if _, page := c.Get("/admin/backups?outcome=backups.%3Cscript%3E&about=x"); strings.Contains(page, `id="outcome"`) {
		t.Errorf("a link naming an unknown outcome shows one:\n%s", page)
	}
	if _, page := c.Get("/admin/backups?outcome=backups.approved&about=" + url.QueryEscape("<b>hola</b>")); strings.Contains(page, "hola") {
		t.Errorf("a link's outcome shows what it is about unchecked:\n%s", page)
	}
}

package admin_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// A change made in the console is audited with the session id of the
// console login that made it, and so is the console's logout
// (admin.logout, as the API's); a change made with an API token names
// the token.
func TestConsoleAuditTiesChangesToTheLogin(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.Console()
	_, tok := c.Login("sys", testkit.Password)
	if r, page := c.Post("/admin/clients", url.Values{"csrf": {tok}, "id": {"ZETA"}, "name": {"Zeta S.A."}}); r.StatusCode != 303 {
		t.Fatalf("create a client in the console: %d\n%s", r.StatusCode, page)
	}
	if r, _ := c.Post("/admin/logout", url.Values{"csrf": {tok}}); r.StatusCode != 303 {
		t.Fatalf("log out of the console: %d", r.StatusCode)
	}
	api := tg.APILogin("sys")
	if r := tg.API("POST", "/api/v1/clients", api, map[string]string{"id": "OMEGA", "name": "Omega S.L."}); r.Code != 201 {
		t.Fatalf("create a client through the API: %d %s", r.Code, r.Body)
	}
	var logins []store.AuditEntry
	for _, e := range tg.Audit("sys", 50) {
		if e.Action == "login" && e.Protocol == "admin" && e.Result == store.ResultOK {
			logins = append(logins, e)
		}
	}
	if len(logins) != 2 {
		t.Fatalf("%d admin logins audited, want the console's and the API's:\n%s", len(logins), tg.AuditLog("sys", 50))
	}
	console := logins[0].Session // oldest first: the console's
	if console == "" {
		t.Fatal("the console login's row has no session")
	}
	var created, loggedOut, viaAPI bool
	for _, e := range tg.Audit("sys", 50) {
		switch {
		case strings.Contains(e.VPath, "ZETA"):
			created = true
			if e.Session != console {
				t.Errorf("the console's %s is audited with session %q, want the login's %q", e.Action, e.Session, console)
			}
		case e.Action == "admin.logout":
			loggedOut = true
			if e.Session != console {
				t.Errorf("the console's logout is audited with session %q, want the login's %q", e.Session, console)
			}
		case strings.Contains(e.VPath, "OMEGA"):
			viaAPI = true
			if !strings.HasPrefix(e.Session, "token:") {
				t.Errorf("the API's %s is audited with session %q, want its token", e.Action, e.Session)
			}
		}
	}
	if !created || !loggedOut || !viaAPI {
		t.Errorf("audited: the console's change %v, its logout %v, the API's change %v:\n%s", created, loggedOut, viaAPI, tg.AuditLog("sys", 50))
	}
}

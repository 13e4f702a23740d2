package admin_test

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/web/ui"
)

// consolePaths are the console's pages and paths where no page is: a
// request without an admin's session gets the same answer for all.
var consolePaths = []string{"/admin/", "/admin/sessions", "/admin/users", "/admin/clients", "/admin/clients/ACME", "/admin/clients/ACME/contacts", "/admin/policies", "/admin/policies/explain", "/admin/no-such-page", "/admin/logout", "/admin/assets", "/admin/assets/", "/admin/users/new", "/admin/user/juan", "/admin/user/juan/letter", "/admin/user/juan/delete", "/admin/user/nobody", "/admin/sessions/kick", "/admin/bans/lift", "/admin/audit", "/admin/audit.csv", "/admin/audit/downloads", "/admin/backups", "/admin/backups/run", "/admin/backups/verify", "/admin/restores/r-x/approve", "/admin/restores/r-x/reject"}

// An account that is not an admin never gets a console session, with the
// right password or not, and then every console path answers exactly as
// a missing page does: the same status, Location and body.
func TestConsoleNonAdminCannotOpenAnyPage(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.Console()
	resp, tok := c.Login("ana", testkit.Password)
	if resp.StatusCode != http.StatusOK || tok != "" {
		t.Fatalf("ana's console login: %d (token %q), want the login form again (200)", resp.StatusCode, tok)
	}
	for _, ck := range resp.Cookies() {
		if ck.Name == "custodia-admin" && ck.Value != "" {
			t.Errorf("ana's refused login set the session cookie")
		}
	}
	_, form := c.Get("/admin/login")
	_, page := c.Post("/admin/login", url.Values{"csrf": {testkit.CSRF(form)}, "username": {"ana"}, "password": {testkit.Password}})
	if !strings.Contains(page, "Usuario o contraseña incorrectos.") {
		t.Errorf("ana's refused login does not say that the user name or password is wrong:\n%s", page)
	}
	if rows := tg.AuditLog("ana", 5); !strings.Contains(rows, "not an admin") {
		t.Errorf("ana's refused console login is not audited as such:\n%s", rows)
	}
	for _, s := range tg.Server.Core().Sessions() {
		if s.User == "ana" {
			t.Errorf("ana's refused console login left a live session: %+v", s)
		}
	}
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		missing, missingBody := c.Do(method, "/admin/no-such-page", nil, nil)
		for _, p := range consolePaths {
			got, body := c.Do(method, p, nil, nil)
			if got.StatusCode != missing.StatusCode || got.Header.Get("Location") != missing.Header.Get("Location") || body != missingBody {
				t.Errorf("ana: %s %s answers %d %q, a missing page %d %q:\n%s", method, p, got.StatusCode, got.Header.Get("Location"),
					missing.StatusCode, missing.Header.Get("Location"), body)
			}
		}
	}
	// and the same as a browser with no account at all
	anon := tg.Console()
	got, _ := anon.Get("/admin/")
	if got.StatusCode != http.StatusSeeOther || got.Header.Get("Location") != "/admin/login" {
		t.Errorf("an anonymous GET /admin/: %d to %q, want 303 to /admin/login", got.StatusCode, got.Header.Get("Location"))
	}
}

// An admin's session: its cookie's flags, the CSP on every page, the
// dashboard counting live sessions, CSRF on every POST, a missing page's
// 404, the session in the registry (and a kick ends it), logout.
func TestConsoleAdminSession(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.Console()
	resp, tok := c.Login("sys", testkit.Password)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/admin/" || tok == "" {
		t.Fatalf("sys's console login: %d to %q (token %q), want 303 to /admin/", resp.StatusCode, resp.Header.Get("Location"), tok)
	}
	var cookie *http.Cookie
	for _, ck := range resp.Cookies() {
		if ck.Name == "custodia-admin" {
			cookie = ck
		}
	}
	switch {
	case cookie == nil:
		t.Fatalf("the login set no custodia-admin cookie: %v", resp.Header["Set-Cookie"])
	case !cookie.HttpOnly || cookie.SameSite != http.SameSiteStrictMode || cookie.Path != "/admin/" || cookie.Secure:
		// Secure only with TLS: the admin listener here is plain HTTP on loopback.
		t.Errorf("the session cookie is %q, want HttpOnly, SameSite=Strict, Path=/admin/, not Secure over plain HTTP", cookie.String())
	}

	got, page := c.Get("/admin/")
	if got.StatusCode != http.StatusOK || !strings.Contains(page, "Tablero") {
		t.Fatalf("the dashboard: %d\n%s", got.StatusCode, page)
	}
	if csp := got.Header.Get("Content-Security-Policy"); csp != ui.ContentSecurityPolicy {
		t.Errorf("the dashboard's Content-Security-Policy is %q, want %q", csp, ui.ContentSecurityPolicy)
	}
	if !strings.Contains(page, `data-protocol="admin"`) {
		t.Errorf("the dashboard does not count the console session itself:\n%s", page)
	}
	for _, p := range []string{"/admin/login", "/admin/assets/console.css", "/admin/no-such-page"} {
		if r, _ := c.Get(p); r.Header.Get("Content-Security-Policy") != ui.ContentSecurityPolicy || r.Header.Get("X-Frame-Options") != "DENY" {
			t.Errorf("GET %s: %d without the console's security headers", p, r.StatusCode)
		}
	}
	if r, body := c.Get("/admin/no-such-page"); r.StatusCode != http.StatusNotFound || !strings.Contains(body, "No encontrado") {
		t.Errorf("an admin's missing page: %d\n%s", r.StatusCode, body)
	}
	c.Lang = "en-US,en;q=0.9,es;q=0.5"
	if _, body := c.Get("/admin/"); !strings.Contains(body, "Dashboard") || !strings.Contains(body, `lang="en"`) {
		t.Errorf("the dashboard in English:\n%s", body)
	}
	c.Lang = ""

	// CSRF: a POST without the token, with a wrong one, or from another origin.
	for name, form := range map[string]url.Values{"no token": {}, "a wrong token": {"csrf": {"x" + tok[1:]}}} {
		if r, _ := c.Post("/admin/logout", form); r.StatusCode != http.StatusForbidden {
			t.Errorf("logout with %s: %d, want 403", name, r.StatusCode)
		}
	}
	if r, _ := c.Do(http.MethodPost, "/admin/logout", strings.NewReader(url.Values{"csrf": {tok}}.Encode()), http.Header{
		"Content-Type": {"application/x-www-form-urlencoded"}, "Sec-Fetch-Site": {"cross-site"}}); r.StatusCode != http.StatusForbidden {
		t.Errorf("logout from another site: %d, want 403", r.StatusCode)
	}
	if r, _ := c.Post("/admin/no-such-page", url.Values{}); r.StatusCode != http.StatusForbidden {
		t.Errorf("a POST without a token to a missing page: %d, want 403", r.StatusCode)
	}

	// The API never takes the console's cookie for a token.
	// (The browser does not even send it there: its Path is /admin/.)
	api, _ := c.Do(http.MethodGet, "/api/v1/users", nil, http.Header{"Cookie": {cookie.Name + "=" + cookie.Value}})
	if api.StatusCode != http.StatusUnauthorized {
		t.Errorf("GET /api/v1/users with the console's cookie and no token: %d, want 401", api.StatusCode)
	}

	// The session is in the registry; a kick ends it.
	var id string
	for _, s := range tg.Server.Core().Sessions() {
		if s.User == "sys" && s.Protocol == "admin" {
			id = s.ID
		}
	}
	if id == "" || !tg.Server.Core().Kick(id) {
		t.Fatalf("sys's console session is not in the registry: %+v", tg.Server.Core().Sessions())
	}
	if r, _ := c.Get("/admin/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after a kick GET /admin/: %d, want 303 to the login", r.StatusCode)
	}

	// Log in again and out.
	if _, tok = c.Login("sys", testkit.Password); tok == "" {
		t.Fatal("sys cannot log in again after a kick")
	}
	if r, _ := c.Post("/admin/logout", url.Values{"csrf": {tok}}); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/login" {
		t.Errorf("logout: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	if r, _ := c.Get("/admin/"); r.StatusCode != http.StatusSeeOther {
		t.Errorf("after logout GET /admin/: %d, want 303 to the login", r.StatusCode)
	}
	if slices.ContainsFunc(tg.Server.Core().Sessions(), func(s gateway.SessionInfo) bool { return s.User == "sys" }) {
		t.Error("after logout sys still has a live session")
	}
}

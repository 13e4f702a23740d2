package admin_test

import (
	"html"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// The policies page: the rules per subject, the explain form answering as
// the gateway decides, a rule added and removed through the account
// service (audited as through the API) changing that answer, and the
// mistakes an admin can make told on the same form with the values kept.
func TestConsolePolicies(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.Console()
	_, tok := c.Login("sys", testkit.Password)
	if tok == "" {
		t.Fatal("sys cannot log in to the console")
	}
	r, page := c.Get("/admin/policies")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("the policies page: %d\n%s", r.StatusCode, page)
	}
	for _, want := range []string{`data-subject="client"`, `data-subject="department:operaciones"`,
		`data-rule="p, client, /clients/{client}/**/*.pdf, list|read, allow"`, "Tiene además los permisos de <strong>staff</strong>"} {
		if !strings.Contains(page, want) {
			t.Errorf("the policies page lacks %s", want)
		}
	}

	explain := func(user, action, path string) (int, string) {
		t.Helper()
		r, page := c.Get("/admin/policies/explain?" + url.Values{"user": {user}, "action": {action}, "path": {path}}.Encode())
		return r.StatusCode, sectionOf(page, "explain")
	}
	verdict := func(what, user, action, path, result, rule string) {
		t.Helper()
		code, got := explain(user, action, path)
		if code != http.StatusOK || !strings.Contains(got, `data-result="`+result+`"`) || !strings.Contains(got, rule) {
			t.Errorf("%s: %d, want %s by %q:\n%s", what, code, result, rule, got)
		}
	}
	verdict("carla writing a PDF of ACME", "carla", "write", "/clients/ACME/2026/x.pdf", "deny", "Ninguna regla lo permite")
	verdict("ana writing an .exe", "ana", "write", "/departments/operaciones/x.exe", "deny",
		html.EscapeString("p, staff, /departments/**/*.{exe,"))
	verdict("carla reading a PDF of ACME", "carla", "read", "/clients/ACME/2026/factura.pdf", "allow",
		html.EscapeString("p, client, /clients/{client}/**/*.pdf, list|read, allow"))

	// Add a rule: explain allows by it; remove it: denied again.
	rule := url.Values{"subject": {"user:carla"}, "object": {"/clients/{client}/**/*.pdf"}, "actions": {"write"}, "effect": {"allow"}}
	line := "p, user:carla, /clients/{client}/**/*.pdf, write, allow"
	form := func(v url.Values) url.Values {
		f := url.Values{"csrf": {tok}}
		for k, vs := range v {
			f[k] = vs
		}
		return f
	}
	if r, _ := c.Post("/admin/policies", form(rule)); r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/policies?done=added" {
		t.Fatalf("adding %s: %d to %q", line, r.StatusCode, r.Header.Get("Location"))
	}
	verdict("carla writing after the rule", "carla", "write", "/clients/ACME/2026/x.pdf", "allow", html.EscapeString(line))
	if !audited(tg, "admin.policy.add", "/api/v1/policies") {
		t.Errorf("adding a rule is not audited as the API's:\n%s", tg.AuditLog("sys", 10))
	}
	if _, page = c.Get("/admin/policies"); !strings.Contains(page, `data-subject="user:carla"`) || !strings.Contains(page, `data-rule="`+line+`"`) {
		t.Errorf("the new rule is not listed under user:carla")
	}
	r, page = c.Post("/admin/policies", form(rule))
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, "Esa regla ya existe.") {
		t.Errorf("adding the rule twice: %d\n%s", r.StatusCode, sectionOf(page, "new-rule"))
	}
	if r, _ := c.Post("/admin/policies/remove", form(rule)); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("removing %s: %d", line, r.StatusCode)
	}
	verdict("carla writing after the rule is gone", "carla", "write", "/clients/ACME/2026/x.pdf", "deny", "Ninguna regla lo permite")
	if !audited(tg, "admin.policy.remove", "/api/v1/policies") {
		t.Errorf("removing a rule is not audited as the API's:\n%s", tg.AuditLog("sys", 10))
	}
	if r, page = c.Post("/admin/policies/remove", form(rule)); r.StatusCode != http.StatusNotFound || !strings.Contains(page, "Esa regla no existe.") {
		t.Errorf("removing a missing rule: %d\n%s", r.StatusCode, sectionOf(page, "new-rule"))
	}

	// Mistakes in the explain form: told, the values kept.
	for _, m := range []struct{ what, user, action, path, says string }{
		{"an unknown action", "carla", "fly", "/clients/ACME/x.pdf", "La acción no existe."},
		{"a path with ..", "carla", "read", "/clients/ACME/../BETA/x.pdf", "La ruta no es una ruta de almacenamiento limpia."},
		{"a relative path", "carla", "read", "clients/ACME/x.pdf", "La ruta no es una ruta de almacenamiento limpia."},
		{"an unknown user", "nadie", "read", "/clients/ACME/x.pdf", "El usuario no existe."},
	} {
		code, got := explain(m.user, m.action, m.path)
		if code != http.StatusUnprocessableEntity || !strings.Contains(got, html.EscapeString(m.says)) || strings.Contains(got, `data-result=`) {
			t.Errorf("explaining %s: %d, want 422 saying %q and no verdict:\n%s", m.what, code, m.says, got)
		}
		if !strings.Contains(got, `value="`+m.user+`"`) || !strings.Contains(got, `value="`+m.path+`"`) {
			t.Errorf("explaining %s: the form does not keep %q and %q:\n%s", m.what, m.user, m.path, got)
		}
	}
	// and in the rule form
	bad := url.Values{"subject": {"user:carla"}, "object": {"/clients/**"}, "actions": {"read|fly"}, "effect": {"allow"}}
	r, page = c.Post("/admin/policies", form(bad))
	got := sectionOf(page, "new-rule")
	if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(got, "La regla no es válida.") || !strings.Contains(got, "fly") {
		t.Errorf("adding a rule with an unknown action: %d\n%s", r.StatusCode, got)
	}
	for _, v := range []string{`value="user:carla"`, `value="/clients/**"`, `value="read|fly"`} {
		if !strings.Contains(got, v) {
			t.Errorf("the rule form does not keep %s:\n%s", v, got)
		}
	}

	// Without the CSRF token nothing changes.
	for _, p := range []string{"/admin/policies", "/admin/policies/remove"} {
		if r, _ := c.Post(p, rule); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without a token: %d, want 403", p, r.StatusCode)
		}
	}
	verdict("carla writing after a POST without a token", "carla", "write", "/clients/ACME/2026/x.pdf", "deny", "Ninguna regla lo permite")

	c.Lang = "en"
	if _, got := explain("carla", "write", "/clients/ACME/2026/x.pdf"); !strings.Contains(got, "No rule allows it") || !strings.Contains(got, "Denied") {
		t.Errorf("the verdict in English:\n%s", got)
	}
}

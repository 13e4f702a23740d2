package admin_test

import (
	"html"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// sectionOf is the HTML of the element with id="id" up to the next
// </section>.
func sectionOf(page, id string) string {
	i := strings.Index(page, `id="`+id+`"`)
	if i < 0 {
		return ""
	}
	rest := page[i:]
	if j := strings.Index(rest, "</section>"); j >= 0 {
		rest = rest[:j]
	}
	return rest
}

// audited reports whether the audit trail has a row of sys's through the
// console (protocol admin) with the action and the resource path.
func audited(tg *testkit.Gateway, action, path string) bool {
	for _, e := range tg.Audit("sys", 50) {
		if e.Action == action && e.VPath == path && e.Protocol == "admin" && e.Result == "ok" {
			return true
		}
	}
	return false
}

// The client pages: the list, a creation that makes the account's folders
// on disk, the page of a client with the users that hold and serve it,
// its contacts, and the mistakes an admin can make, each told on the same
// form with the values kept.
func TestConsoleClients(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "bea", Role: store.RoleClient, Clients: []string{"BETA"}})
	tg.AddUser(store.NewUser{Name: "beto", Role: store.RoleCorrespondent, Clients: []string{"BETA"}})
	c := tg.Console()
	_, tok := c.Login("sys", testkit.Password)
	if tok == "" {
		t.Fatal("sys cannot log in to the console")
	}

	r, page := c.Get("/admin/clients")
	if r.StatusCode != http.StatusOK || !strings.Contains(page, `data-client="ACME"`) || !strings.Contains(page, "Acme SA de CV") {
		t.Fatalf("the client list: %d\n%s", r.StatusCode, page)
	}

	// Create one: its folders exist, it is in the list, the change is audited.
	r, _ = c.Post("/admin/clients", url.Values{"csrf": {tok}, "id": {"nuevo-1"}, "name": {"Nuevo & Hijos"}})
	if r.StatusCode != http.StatusSeeOther || r.Header.Get("Location") != "/admin/clients/NUEVO-1?done=created" {
		t.Fatalf("creating NUEVO-1: %d to %q", r.StatusCode, r.Header.Get("Location"))
	}
	for _, area := range []string{"clients", "dossiers"} {
		if fi, err := os.Stat(filepath.Join(tg.DataDir, "files", area, "NUEVO-1")); err != nil || !fi.IsDir() {
			t.Errorf("the new client's %s folder: %v", area, err)
		}
	}
	if _, page = c.Get("/admin/clients/NUEVO-1?done=created"); !strings.Contains(page, `id="notice"`) || !strings.Contains(page, "Nuevo &amp; Hijos") {
		t.Errorf("the new client's page:\n%s", page)
	}
	if _, page = c.Get("/admin/clients"); !strings.Contains(page, `data-client="NUEVO-1"`) {
		t.Errorf("the list does not show NUEVO-1:\n%s", page)
	}
	if !audited(tg, "admin.client.create", "/api/v1/clients/NUEVO-1") {
		t.Errorf("the creation is not audited as the API's:\n%s", tg.AuditLog("sys", 10))
	}

	// Mistakes: the form again, with what was wrong and the values kept.
	for _, m := range []struct {
		what, id, name, says string
	}{
		{"a taken id", "acme", "Otra", "Ya existe una cuenta con esa clave."},
		{"a bad id", "a/b", "Otra", "La clave no es válida."},
		{"no name", "OTRO", "", "Escriba el nombre del cliente."},
	} {
		r, page = c.Post("/admin/clients", url.Values{"csrf": {tok}, "id": {m.id}, "name": {m.name}})
		form := sectionOf(page, "new-client")
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(form, html.EscapeString(m.says)) {
			t.Errorf("%s: %d, want 422 saying %q:\n%s", m.what, r.StatusCode, m.says, form)
		}
		if !strings.Contains(form, `name="id" `) || !strings.Contains(form, `value="`+m.id+`"`) || !strings.Contains(form, `value="`+m.name+`"`) {
			t.Errorf("%s: the form does not keep the values %q and %q:\n%s", m.what, m.id, m.name, form)
		}
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files", "clients", "OTRO")); err == nil {
		t.Error("a client without a name got folders")
	}

	// A client's page: who holds it, who serves it.
	r, page = c.Get("/admin/clients/acme")
	if r.StatusCode != http.StatusOK {
		t.Fatalf("ACME's page: %d\n%s", r.StatusCode, page)
	}
	holders, serve := sectionOf(page, "holders"), sectionOf(page, "serve")
	if !strings.Contains(holders, `data-user="carla"`) || strings.Contains(holders, `data-user="juan"`) || strings.Contains(holders, `data-user="bea"`) {
		t.Errorf("ACME's holders are not carla alone:\n%s", holders)
	}
	if !strings.Contains(serve, `data-user="juan"`) || strings.Contains(serve, `data-user="carla"`) || strings.Contains(serve, `data-user="beto"`) {
		t.Errorf("ACME's correspondents are not juan alone:\n%s", serve)
	}
	if r, _ := c.Get("/admin/clients/NOPE"); r.StatusCode != http.StatusNotFound {
		t.Errorf("a missing client's page: %d, want 404", r.StatusCode)
	}

	// Contacts: add, refuse a repeat and a bad address, remove.
	r, _ = c.Post("/admin/clients/ACME/contacts", url.Values{"csrf": {tok}, "contact": {"cuentas@acme.mx"}})
	if r.StatusCode != http.StatusSeeOther {
		t.Fatalf("adding a contact: %d", r.StatusCode)
	}
	if _, page = c.Get("/admin/clients/ACME"); !strings.Contains(page, `data-contact="cuentas@acme.mx"`) {
		t.Errorf("the contact is not on ACME's page:\n%s", sectionOf(page, "contacts"))
	}
	if !audited(tg, "admin.client.contact.add", "/api/v1/clients/ACME") {
		t.Errorf("adding a contact is not audited:\n%s", tg.AuditLog("sys", 10))
	}
	for contact, says := range map[string]string{"cuentas@acme.mx": "El cliente ya tiene ese contacto.",
		"Cuentas <x@acme.mx>": "Escriba una sola dirección de correo"} {
		r, page = c.Post("/admin/clients/ACME/contacts", url.Values{"csrf": {tok}, "contact": {contact}})
		if r.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(page, html.EscapeString(says)) ||
			!strings.Contains(sectionOf(page, "contacts"), `value="`+html.EscapeString(contact)+`"`) {
			t.Errorf("adding %q: %d, want 422 saying %q with the value kept:\n%s", contact, r.StatusCode, says, sectionOf(page, "contacts"))
		}
	}
	_, page = c.Get("/admin/clients")
	if _, row, _ := strings.Cut(page, `data-client="ACME"`); !strings.Contains(strings.SplitN(row, "</tr>", 2)[0], "data-contacts>1<") {
		t.Errorf("the list does not count ACME's one contact:\n%s", row)
	}
	r, _ = c.Post("/admin/clients/ACME/contacts/remove", url.Values{"csrf": {tok}, "contact": {"cuentas@acme.mx"}})
	if _, page = c.Get("/admin/clients/ACME"); r.StatusCode != http.StatusSeeOther || strings.Contains(page, `data-contact=`) {
		t.Errorf("removing the contact: %d\n%s", r.StatusCode, sectionOf(page, "contacts"))
	}
	if !audited(tg, "admin.client.contact.remove", "/api/v1/clients/ACME") {
		t.Errorf("removing a contact is not audited:\n%s", tg.AuditLog("sys", 10))
	}

	// Without the CSRF token nothing changes.
	for p, form := range map[string]url.Values{
		"/admin/clients":               {"id": {"SINTOKEN"}, "name": {"x"}},
		"/admin/clients/ACME/contacts": {"contact": {"x@acme.mx"}},
	} {
		if r, _ := c.Post(p, form); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without a token: %d, want 403", p, r.StatusCode)
		}
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files", "clients", "SINTOKEN")); err == nil {
		t.Error("a POST without a token created a client's folders")
	}
	if _, page = c.Get("/admin/clients/ACME"); strings.Contains(page, `data-contact=`) {
		t.Error("a POST without a token added a contact")
	}
}

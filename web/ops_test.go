package web_test

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// onDisk reports whether a storage path (under files/) exists.
func onDisk(tg *testkit.Gateway, spath string) bool {
	_, err := os.Stat(filepath.Join(tg.DataDir, "files", filepath.FromSlash(spath)))
	return err == nil
}

// outcome follows an operation's redirect and returns the folder page it
// leads to; it fails the test when the answer is not a redirect to want.
func outcome(t *testing.T, c *testkit.WebClient, what string, resp *http.Response, body, want string) string {
	t.Helper()
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != want {
		t.Fatalf("%s answered %s to %q, want 303 to %q:\n%s", what, resp.Status, resp.Header.Get("Location"), want, body)
	}
	_, page := c.Get(want)
	return page
}

func TestStaffFolderOperations(t *testing.T) {
	t.Parallel()
	tg := start(t)
	tg.Put("departments/operaciones/lleno/a.txt", "a")
	c, tok := loggedIn(t, tg, "ana")
	_, page := c.Get("/f/operaciones/")
	for _, frag := range []string{`action="/mkdir/operaciones"`, `href="/rename/operaciones/reporte.xlsx"`,
		`href="/delete/operaciones/reporte.xlsx"`, `href="/delete/operaciones/lleno"`} {
		if !strings.Contains(page, frag) {
			t.Errorf("ana's department page lacks %s:\n%s", frag, page)
		}
	}

	form := func(kv ...string) url.Values {
		v := url.Values{"csrf": {tok}}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	resp, body := c.Post("/mkdir/operaciones", form("name", "2026 cierre"))
	page = outcome(t, c, "mkdir", resp, body, "/f/operaciones/?msg=ops.created")
	if !onDisk(tg, "departments/operaciones/2026 cierre") || !strings.Contains(page, "Carpeta creada.") {
		t.Errorf("ana's new folder is not on disk, or the page does not say so:\n%s", page)
	}
	for _, refused := range []struct {
		what, path string
		form       url.Values
		msg        string
	}{
		{"mkdir of an existing name", "/mkdir/operaciones", form("name", "lleno"), "ops.exists"},
		{"mkdir of a name with a slash", "/mkdir/operaciones", form("name", "a/b"), "ops.badname"},
		{"mkdir of a name Windows reserves", "/mkdir/operaciones", form("name", "CON"), "ops.badname"},
		{"rename onto an existing name", "/rename/operaciones/reporte.xlsx", form("name", "lleno"), "ops.exists"},
		{"delete of a folder not empty", "/delete/operaciones/lleno", form(), "ops.notempty"},
	} {
		resp, body := c.Post(refused.path, refused.form)
		page := outcome(t, c, refused.what, resp, body, "/f/operaciones/?msg="+refused.msg)
		if !strings.Contains(page, `class="alert" role="alert"`) {
			t.Errorf("after the %s the folder page shows no alert:\n%s", refused.what, page)
		}
	}
	if !onDisk(tg, "departments/operaciones/reporte.xlsx") || !onDisk(tg, "departments/operaciones/lleno/a.txt") {
		t.Error("a refused operation changed the department folder")
	}

	resp, body = c.Post("/rename/operaciones/reporte.xlsx", form("name", "reporte 2026.xlsx"))
	outcome(t, c, "rename", resp, body, "/f/operaciones/?msg=ops.renamed")
	if onDisk(tg, "departments/operaciones/reporte.xlsx") || !onDisk(tg, "departments/operaciones/reporte 2026.xlsx") {
		t.Error("the rename did not move reporte.xlsx to reporte 2026.xlsx on disk")
	}
	resp, page = c.Get("/delete/operaciones/reporte%202026.xlsx")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, "Se eliminará el archivo reporte 2026.xlsx") {
		t.Errorf("the confirmation page answered %s:\n%s", resp.Status, page)
	}
	if !onDisk(tg, "departments/operaciones/reporte 2026.xlsx") {
		t.Error("the confirmation page deleted the file")
	}
	resp, body = c.Post("/delete/operaciones/reporte%202026.xlsx", form())
	outcome(t, c, "delete", resp, body, "/f/operaciones/?msg=ops.deleted")
	resp, body = c.Post("/delete/operaciones/2026%20cierre", form())
	outcome(t, c, "delete of an empty folder", resp, body, "/f/operaciones/?msg=ops.deleted")
	if onDisk(tg, "departments/operaciones/reporte 2026.xlsx") || onDisk(tg, "departments/operaciones/2026 cierre") {
		t.Error("the deleted file or folder is still on disk")
	}
	got := map[string]bool{}
	for _, r := range tg.Audit("ana", 100) {
		if r.Protocol == "web" && r.Result == "ok" {
			got[r.Action+" "+r.VPath] = true
		}
	}
	for _, want := range []string{"mkdir /operaciones/2026 cierre", "rename /operaciones/reporte.xlsx",
		"delete /operaciones/reporte 2026.xlsx", "delete /operaciones/2026 cierre"} {
		if !got[want] {
			t.Errorf("ana's audit has no web row %q:\n%s", want, tg.AuditLog("ana", 30))
		}
	}
	// An unknown message key shows nothing.
	if _, page := c.Get("/f/operaciones/?msg=login.failed"); strings.Contains(page, `role="alert"`) {
		t.Errorf("the folder page shows a message key it does not know:\n%s", page)
	}
}

// Without the form's token, no operation changes anything.
func TestFolderOperationsNeedTheCSRFToken(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "ana")
	for _, op := range []struct{ path, name string }{
		{"/mkdir/operaciones", "nueva"},
		{"/rename/operaciones/reporte.xlsx", "otro.xlsx"},
		{"/delete/operaciones/reporte.xlsx", ""},
	} {
		for _, csrf := range []string{"", "x" + tok[1:]} {
			resp, body := c.Post(op.path, url.Values{"csrf": {csrf}, "name": {op.name}})
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with the token %q answered %s, want 403:\n%s", op.path, csrf, resp.Status, body)
			}
		}
	}
	if !onDisk(tg, "departments/operaciones/reporte.xlsx") || onDisk(tg, "departments/operaciones/nueva") ||
		onDisk(tg, "departments/operaciones/otro.xlsx") {
		t.Error("an operation without the CSRF token changed the department folder")
	}
}

// A client sees no operation and can do none: what it sees is refused as
// not allowed, what it does not see is the same 404 as a missing file.
func TestClientCannotChangeFiles(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "carla")
	_, page := c.Get("/f/ACME/2026/")
	for _, frag := range []string{"/mkdir/", "/rename/", "/delete/", "Eliminar", "Nueva carpeta"} {
		if strings.Contains(page, frag) {
			t.Errorf("carla's folder page shows %s:\n%s", frag, page)
		}
	}
	form := url.Values{"csrf": {tok}, "name": {"x.pdf"}}
	_, missing := c.Post("/delete/ACME/2026/nada.pdf", form)
	for _, p := range []string{"/delete/ACME/2026/factura.pdf", "/rename/ACME/2026/factura.pdf", "/mkdir/ACME/2026"} {
		resp, body := c.Post(p, form)
		if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, "no tiene permiso") {
			t.Errorf("carla's POST %s answered %s, want the not-allowed page:\n%s", p, resp.Status, body)
		}
		resp, body = c.Get(p)
		if p != "/mkdir/ACME/2026" && resp.StatusCode != http.StatusForbidden {
			t.Errorf("carla's GET %s answered %s, want 403:\n%s", p, resp.Status, body)
		}
	}
	for _, p := range []string{"/delete/BETA/b.pdf", "/delete/ACME/2026/notas.txt", "/rename/ACME/2026/notas.txt", "/mkdir/BETA"} {
		resp, body := c.Post(p, form)
		if resp.StatusCode != http.StatusNotFound || body != missing {
			t.Errorf("carla's POST %s answered %s, not the 404 of a missing file:\n%s", p, resp.Status, body)
		}
	}
	for _, spath := range []string{"clients/ACME/2026/factura.pdf", "clients/ACME/2026/notas.txt", "clients/BETA/b.pdf"} {
		if !onDisk(tg, spath) {
			t.Errorf("%s is gone after carla's refused operations", spath)
		}
	}
}

// A correspondent may make folders in a dossier, but rename and delete
// nothing: the page offers the one and not the others.
func TestCorrespondentMakesFoldersOnly(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "juan")
	_, page := c.Get("/f/ACME/2026/")
	if !strings.Contains(page, `action="/mkdir/ACME/2026"`) || strings.Contains(page, "/rename/") || strings.Contains(page, "/delete/") {
		t.Errorf("juan's dossier page should offer a new folder and no rename or delete:\n%s", page)
	}
	resp, body := c.Post("/mkdir/ACME/2026", url.Values{"csrf": {tok}, "name": {"aduana"}})
	outcome(t, c, "juan's mkdir", resp, body, "/f/ACME/2026/?msg=ops.created")
	if !onDisk(tg, "dossiers/ACME/2026/aduana") {
		t.Error("juan's new folder is not on disk")
	}
	resp, _ = c.Post("/delete/ACME/2026/aduana", url.Values{"csrf": {tok}})
	if resp.StatusCode != http.StatusForbidden || !onDisk(tg, "dossiers/ACME/2026/aduana") {
		t.Errorf("juan's delete of his own folder answered %s", resp.Status)
	}
}

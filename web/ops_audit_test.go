package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// denials counts a user's denied audit rows.
func denials(tg *testkit.Gateway, user string) int {
	n := 0
	for _, e := range tg.Audit(user, 500) {
		if e.Result == store.ResultDenied {
			n++
		}
	}
	return n
}

// TestPagesThatOnlyLookLeaveNoDenial: the rename, delete and upload pages
// (GET) a client may not use answer as before (403, or the 404 of the
// upload page) but decide with View.May: a look is no attempt, and leaves
// no denied audit row. The POST that acts is audited (TestClientCannotChangeFiles).
func TestPagesThatOnlyLookLeaveNoDenial(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, _ := loggedIn(t, tg, "carla")
	before := denials(tg, "carla")
	for p, want := range map[string]int{
		"/rename/ACME/2026/factura.pdf": http.StatusForbidden,
		"/delete/ACME/2026/factura.pdf": http.StatusForbidden,
		"/u/ACME/2026/":                 http.StatusNotFound,
	} {
		if resp, body := c.Get(p); resp.StatusCode != want {
			t.Errorf("carla's GET %s answered %s, want %d:\n%s", p, resp.Status, want, body)
		}
	}
	if n := denials(tg, "carla") - before; n != 0 {
		t.Errorf("carla's looks at pages she may not use left %d denied rows:\n%s", n, tg.AuditLog("carla", 10))
	}
}

// TestUploadFormChecksTokenFirst: a form post without the session's token
// is refused (403) before the folder is resolved, so it neither tells
// whether the folder exists nor leaves a denied row of an attempt that
// never was the user's.
func TestUploadFormChecksTokenFirst(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "carla")
	before := denials(tg, "carla")
	for _, p := range []string{"/u/ACME/2026/", "/u/NOPE/"} {
		if resp, _ := postFiles(t, c, p, "x"+tok, upload{"x.pdf", []byte("%PDF")}); resp.StatusCode != http.StatusForbidden {
			t.Errorf("carla's post with a wrong token to %s answered %s, want 403", p, resp.Status)
		}
	}
	if n := denials(tg, "carla") - before; n != 0 {
		t.Errorf("carla's posts without the token left %d denied rows:\n%s", n, tg.AuditLog("carla", 10))
	}
}

// TestRefusedForExistingNameIsAudited: an upload, a new folder or a
// rename refused because the name is taken leaves a failed audit row that
// says so (the view audits it, for every protocol), as other refusals do.
func TestRefusedForExistingNameIsAudited(t *testing.T) {
	t.Parallel()
	tg := start(t)
	tg.Put("departments/operaciones/otro.xlsx", "x")
	juan, jtok := loggedIn(t, tg, "juan")
	postFiles(t, juan, "/u/ACME/2026/", jtok, upload{"pedimento.pdf", []byte("again")})
	ana, atok := loggedIn(t, tg, "ana")
	ana.Post("/mkdir/operaciones", url.Values{"csrf": {atok}, "name": {"lleno"}})
	tg.Put("departments/operaciones/lleno/a.txt", "a")
	ana.Post("/mkdir/operaciones", url.Values{"csrf": {atok}, "name": {"lleno"}})
	ana.Post("/rename/operaciones/reporte.xlsx", url.Values{"csrf": {atok}, "name": {"otro.xlsx"}})
	for _, want := range []struct{ user, action, vpath string }{
		{"juan", "write", "/ACME/2026/pedimento.pdf"},
		{"ana", "mkdir", "/operaciones/lleno"},
		{"ana", "rename", "/operaciones/reporte.xlsx"},
	} {
		var found bool
		for _, e := range tg.Audit(want.user, 50) {
			found = found || (e.Action == want.action && e.VPath == want.vpath && e.Result == store.ResultFailed &&
				strings.Contains(e.Reason, "exists"))
		}
		if !found {
			t.Errorf("%s's %s of %s refused as existing has no failed row:\n%s", want.user, want.action, want.vpath, tg.AuditLog(want.user, 10))
		}
	}
}

package web_test

import (
	"net/http"
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

package webdav_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// TestDownloadsNeverRenderInOrigin: an uploaded .html or .svg comes back
// as an attachment under its own name, never sniffed, and every answer
// of the WebDAV origin (errors, PROPFIND, the login challenge, OPTIONS)
// forbids scripts with a sandbox CSP.
func TestDownloadsNeverRenderInOrigin(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	dc := tg.DAV("ana")
	guarded := func(what string, r testkit.DAVResp) {
		t.Helper()
		if got := r.Header.Get("X-Content-Type-Options"); got != "nosniff" {
			t.Errorf("%s (%d): X-Content-Type-Options %q, want nosniff.", what, r.Code, got)
		}
		if got := r.Header.Get("Content-Security-Policy"); got != "sandbox" {
			t.Errorf("%s (%d): Content-Security-Policy %q, want sandbox.", what, r.Code, got)
		}
	}
	files := map[string]string{
		"/operaciones/xss.html":        `<script>fetch("/")</script>`,
		"/operaciones/logo.svg":        `<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>`,
		"/operaciones/Informe Año.pdf": "%PDF-1.4 informe",
		`/operaciones/a"b;c.html`:      "<b>x</b>",
	}
	want := map[string]string{
		"/operaciones/xss.html":        `attachment; filename="xss.html"; filename*=UTF-8''xss.html`,
		"/operaciones/logo.svg":        `attachment; filename="logo.svg"; filename*=UTF-8''logo.svg`,
		"/operaciones/Informe Año.pdf": `attachment; filename="Informe A_o.pdf"; filename*=UTF-8''Informe%20A%C3%B1o.pdf`,
		`/operaciones/a"b;c.html`:      `attachment; filename="a_b;c.html"; filename*=UTF-8''a%22b%3Bc.html`,
	}
	for vpath, body := range files {
		if r := dc.Do("PUT", vpath, body); r.Code != http.StatusCreated {
			t.Fatalf("PUT %s = %d, want 201.", vpath, r.Code)
		}
		for _, m := range []string{"GET", "HEAD"} {
			r := dc.Do(m, vpath, "")
			if r.Code != http.StatusOK {
				t.Fatalf("%s %s = %d, want 200.", m, vpath, r.Code)
			}
			guarded(m+" "+vpath, r)
			if got := r.Header.Get("Content-Disposition"); got != want[vpath] {
				t.Errorf("%s %s: Content-Disposition %q, want %q.", m, vpath, got, want[vpath])
			}
		}
	}
	r := dc.Do("GET", "/operaciones/xss.html", "", "Range", "bytes=0-3")
	if r.Code != http.StatusPartialContent || !strings.HasPrefix(r.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("a ranged GET answered %d with Content-Disposition %q, want 206 and an attachment.", r.Code, r.Header.Get("Content-Disposition"))
	}
	guarded("ranged GET", r)
	r = dc.Do("GET", "/operaciones/missing.html", "")
	if r.Code != http.StatusNotFound {
		t.Errorf("GET of a missing file = %d, want 404.", r.Code)
	}
	guarded("GET of a missing file", r)
	if cd := r.Header.Get("Content-Disposition"); cd != "" {
		t.Errorf("a 404 carries Content-Disposition %q.", cd)
	}
	guarded("GET of a folder", dc.Do("GET", "/operaciones", ""))
	guarded("PROPFIND", dc.Propfind("/operaciones", "1"))
	guarded("refused PUT", tg.DAV("tomas").Do("PUT", "/operaciones/x.docx", "x"))
	guarded("bad name", dc.Do("PUT", "/operaciones/CON", "x"))
	guarded("login challenge", tg.DAVAs("", "").Do("GET", "/operaciones/xss.html", ""))
	guarded("wrong password", tg.DAVAs("ana", "nope").Do("PROPFIND", "/", "", "Depth", "0"))
	guarded("OPTIONS", tg.DAVAs("", "").Do("OPTIONS", "/", ""))
}

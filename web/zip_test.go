package web_test

import (
	"archive/zip"
	"bytes"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web"
)

// unzip reads an archive into name → content; it fails the test when the
// archive is not whole.
func unzip(t *testing.T, b []byte) map[string][]byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil {
		t.Fatalf("the zip (%d bytes) does not open: %v", len(b), err)
	}
	out := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("the zip's %s does not open: %v", f.Name, err)
		}
		data, err := io.ReadAll(rc) // checks the CRC at the end
		rc.Close()
		if err != nil {
			t.Fatalf("the zip's %s does not read: %v", f.Name, err)
		}
		out[f.Name] = data
	}
	return out
}

// reads are a user's audit rows of downloads (action read) over the portal.
func reads(tg *testkit.Gateway, user string) map[string]store.AuditEntry {
	out := map[string]store.AuditEntry{}
	for _, r := range tg.Audit(user, 1000) {
		if r.Action == "read" && r.Protocol == "web" {
			out[r.VPath] = r
		}
	}
	return out
}

// zipForm is the zip form's fields: the token and each file.
func zipForm(tok string, files ...string) url.Values {
	return url.Values{"csrf": {tok}, "file": files}
}

func TestZipOfSelectedFiles(t *testing.T) {
	t.Parallel()
	tg := start(t)
	want := map[string]string{"factura.pdf": "%PDF-1.4 factura", "b 1.pdf": "%PDF-1.4 uno", "c.pdf": "%PDF-1.4 dos"}
	tg.Put("clients/ACME/2026/b 1.pdf", want["b 1.pdf"])
	tg.Put("clients/ACME/2026/c.pdf", want["c.pdf"])
	c, tok := loggedIn(t, tg, "carla")
	_, page := c.Get("/f/ACME/2026/")
	for _, frag := range []string{`<form id="zip"`, `value="/ACME/2026/factura.pdf" form="zip"`, `value="/ACME/2026/b 1.pdf" form="zip"`, "Descargar seleccionados (.zip)"} {
		if !strings.Contains(page, frag) {
			t.Errorf("carla's folder page lacks %s:\n%s", frag, page)
		}
	}
	resp, body := c.Post("/zip", zipForm(tok, "/ACME/2026/factura.pdf", "/ACME/2026/b 1.pdf", "/ACME/2026/c.pdf", "/ACME/2026/c.pdf"))
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/zip" {
		t.Fatalf("carla's zip of three files answered %s, %s:\n%.500s", resp.Status, resp.Header.Get("Content-Type"), body)
	}
	for h, v := range map[string]string{"Content-Disposition": `attachment; filename="2026.zip"`,
		"Content-Security-Policy": "sandbox", "Cache-Control": "private, no-store", "X-Content-Type-Options": "nosniff"} {
		if got := resp.Header.Get(h); !strings.HasPrefix(got, v) {
			t.Errorf("the zip's %s is %q, want %q", h, got, v)
		}
	}
	got := unzip(t, []byte(body))
	if len(got) != len(want) {
		t.Errorf("the zip holds %d files, want %d", len(got), len(want))
	}
	for name, content := range want {
		if string(got[name]) != content {
			t.Errorf("the zip's %s holds %q, want %q", name, got[name], content)
		}
	}
	r := reads(tg, "carla")
	for name, content := range want {
		row, ok := r["/ACME/2026/"+name]
		if !ok || row.Result != store.ResultOK || row.Bytes != int64(len(content)) {
			t.Errorf("carla's download of %s in the zip has no audit row ok with %d bytes: %+v", name, len(content), row)
		}
	}
}

// A selection that names one file the user may not see (another client's,
// a file the role hides, an edited form) answers the same 404 as a missing
// file, and sends no zip byte: no file of the selection is opened.
func TestZipOfAHiddenFileIsNotFound(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "carla")
	missing, missingBody := c.Post("/zip", zipForm(tok, "/ACME/2026/factura.pdf", "/ACME/2026/nada.pdf"))
	if missing.StatusCode != http.StatusNotFound {
		t.Fatalf("a zip naming a missing file answered %s", missing.Status)
	}
	for _, hidden := range []string{"/BETA/b.pdf", "/ACME/2026/notas.txt", "/ACME/../BETA/b.pdf", "/ACME/2026"} {
		resp, body := c.Post("/zip", zipForm(tok, "/ACME/2026/factura.pdf", hidden))
		if resp.StatusCode != http.StatusNotFound || body != missingBody || resp.Header.Get("Content-Type") == "application/zip" {
			t.Errorf("a zip naming %s answered %s %s, not the 404 of a missing file:\n%s", hidden, resp.Status, resp.Header.Get("Content-Type"), body)
		}
	}
	if r := reads(tg, "carla"); len(r) != 0 {
		t.Errorf("refused zips opened files: %v", r)
	}
	// A file the user sees but may not read: not allowed, and still no byte.
	j, jtok := loggedIn(t, tg, "juan")
	resp, body := j.Post("/zip", zipForm(jtok, "/ACME/2026/pedimento.pdf"))
	if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "%PDF") {
		t.Errorf("a correspondent's zip of a dossier file answered %s:\n%s", resp.Status, body)
	}
	_, page := j.Get("/f/ACME/2026/")
	if strings.Contains(page, `form="zip"`) || strings.Contains(page, `id="zip"`) {
		t.Errorf("a correspondent, who may not download, sees the zip's checkboxes:\n%s", page)
	}
}

func TestZipRefusals(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "carla")
	many := make([]string, web.MaxZipFiles+1)
	for i := range many {
		many[i] = "/ACME/2026/factura.pdf"
	}
	resp, body := c.Post("/zip", zipForm(tok, many...))
	if resp.StatusCode != http.StatusRequestEntityTooLarge || !strings.Contains(body, "hasta 1000 archivos") {
		t.Errorf("a zip of %d files answered %s:\n%s", len(many), resp.Status, body)
	}
	resp, body = c.Post("/zip", zipForm(tok))
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Marque los archivos") {
		t.Errorf("a zip of nothing answered %s:\n%s", resp.Status, body)
	}
	resp, _ = c.Post("/zip", url.Values{"file": {"/ACME/2026/factura.pdf"}})
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("a zip without the CSRF token answered %s, want 403", resp.Status)
	}
	resp, _ = c.Get("/zip?file=/ACME/2026/factura.pdf")
	if resp.StatusCode == http.StatusOK {
		t.Errorf("GET /zip answered %s", resp.Status)
	}
	if r := reads(tg, "carla"); len(r) != 0 {
		t.Errorf("refused zips opened files: %v", r)
	}
}

// A zip whose browser goes away mid-stream: the file being sent is
// audited as failed, not as downloaded.
func TestZipCutShortAuditsFailed(t *testing.T) {
	t.Parallel()
	tg := start(t)
	tg.Put("clients/ACME/big.pdf", "%PDF-1.4 "+strings.Repeat("x", 64<<20))
	c, tok := loggedIn(t, tg, "carla")
	req, err := http.NewRequest(http.MethodPost, c.URL+"/zip",
		strings.NewReader(zipForm(tok, "/ACME/2026/factura.pdf", "/ACME/big.pdf").Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", c.URL)
	resp, err := c.HTTP.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the zip answered %s", resp.Status)
	}
	if _, err := io.ReadFull(resp.Body, make([]byte, 1<<20)); err != nil {
		t.Fatalf("reading the first MB of the zip: %v", err)
	}
	resp.Body.Close() // HTTP/1.1: the connection closes mid-body
	var row store.AuditEntry
	testkit.WaitFor(t, 30*time.Second, "the cut download of big.pdf has an audit row", func() bool {
		var ok bool
		row, ok = reads(tg, "carla")["/ACME/big.pdf"]
		return ok
	})
	if row.Result != store.ResultFailed || row.Bytes >= 64<<20 {
		t.Errorf("the zip cut short audits big.pdf as %s with %d bytes, want failed:\n%s", row.Result, row.Bytes, tg.AuditLog("carla", 10))
	}
	if first := reads(tg, "carla")["/ACME/2026/factura.pdf"]; first.Result != store.ResultOK {
		t.Errorf("the file sent whole before the cut is audited %s, want ok", first.Result)
	}
}

// A search finds files of one name in several folders: the zip names them
// apart (in the order selected; names that differ only in case too, as
// Windows would unpack them over each other).
func TestZipOfSearchResultsNamesApart(t *testing.T) {
	t.Parallel()
	tg := start(t)
	tg.Put("clients/ACME/2025/factura.pdf", "%PDF-1.4 2025")
	tg.Put("clients/ACME/2024/Factura.pdf", "%PDF-1.4 2024")
	c, tok := loggedIn(t, tg, "carla")
	_, page := c.Get("/f/ACME/?q=factura")
	files := []string{"/ACME/2026/factura.pdf", "/ACME/2025/factura.pdf", "/ACME/2024/Factura.pdf"}
	for _, f := range files {
		if !strings.Contains(page, `value="`+f+`" form="zip"`) {
			t.Errorf("the search results have no checkbox for %s:\n%s", f, page)
		}
	}
	resp, body := c.Post("/zip", zipForm(tok, files...))
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the zip of the search results answered %s", resp.Status)
	}
	got := unzip(t, []byte(body))
	for name, want := range map[string]string{"factura.pdf": "%PDF-1.4 factura", "factura (2).pdf": "%PDF-1.4 2025", "Factura (3).pdf": "%PDF-1.4 2024"} {
		if string(got[name]) != want {
			t.Errorf("the zip's %s holds %q, want %q (all: %d files)", name, got[name], want, len(got))
		}
	}
}

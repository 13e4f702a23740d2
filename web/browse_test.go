package web_test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// link matches an anchor: its href and its text.
var link = regexp.MustCompile(`<a [^>]*href="([^"]+)"[^>]*>([^<]*)</a>`)

// links are a page's anchors, text → href.
func links(page string) map[string]string {
	out := map[string]string{}
	for _, m := range link.FindAllStringSubmatch(page, -1) {
		out[m[2]] = m[1]
	}
	return out
}

func TestListingLinksDownloadEachFile(t *testing.T) {
	t.Parallel()
	tg := start(t)
	tg.Put("clients/ACME/2026/03/pedimento 26-1234.pdf", "%PDF-1.4 march")
	c, _ := loggedIn(t, tg, "carla")
	resp, page := c.Get("/f/ACME/2026/")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("carla's folder /ACME/2026: %s", resp.Status)
	}
	l := links(page)
	href, ok := l["factura.pdf"]
	if !ok {
		t.Fatalf("the listing has no link whose text is factura.pdf:\n%s", page)
	}
	if _, ok := l["notas.txt"]; ok || strings.Contains(page, "notas.txt") {
		t.Errorf("a client's listing shows a file that is not a PDF:\n%s", page)
	}
	if dir, file := strings.Index(page, `href="/f/ACME/2026/03/"`), strings.Index(page, href); dir < 0 || dir > file {
		t.Errorf("the month folder 03 is not listed before the files:\n%s", page)
	}
	if !strings.Contains(page, `href="/f/ACME/"`) || !strings.Contains(page, `href="/f/"`) {
		t.Errorf("the breadcrumbs do not lead back to /ACME and the top:\n%s", page)
	}
	resp, body := c.Get(href)
	if resp.StatusCode != http.StatusOK || body != "%PDF-1.4 factura" {
		t.Errorf("the link of factura.pdf (%s) answered %s, %q", href, resp.Status, body)
	}
	_, page = c.Get("/f/ACME/2026/03/")
	href = links(page)["pedimento 26-1234.pdf"]
	resp, body = c.Get(href)
	if href == "" || resp.StatusCode != http.StatusOK || body != "%PDF-1.4 march" {
		t.Errorf("the link of a name with a space (%q) answered %s, %q", href, resp.Status, body)
	}
	if cd := resp.Header.Get("Content-Disposition"); !strings.Contains(cd, "filename*=UTF-8''pedimento%2026-1234.pdf") {
		t.Errorf("Content-Disposition of a name with a space: %q", cd)
	}
	// The download closes (and is audited) once its last bytes left the
	// server, which may be just after the client has them.
	read := func() bool {
		for _, e := range tg.Audit("carla", 20) {
			if e.Action == "read" && e.Protocol == "web" && e.VPath == "/ACME/2026/03/pedimento 26-1234.pdf" &&
				e.Bytes == int64(len("%PDF-1.4 march")) && e.Result == "ok" {
				return true
			}
		}
		return false
	}
	if !testkit.Poll(5*time.Second, read) {
		t.Errorf("the download was not audited with protocol web and its bytes:\n%s", tg.AuditLog("carla", 20))
	}
}

func TestCannotProbeExistence(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, _ := loggedIn(t, tg, "carla")
	missingResp, missing := c.Get("/d/ACME/2026/missing.pdf")
	if missingResp.StatusCode != http.StatusNotFound {
		t.Fatalf("a missing file answered %s, want 404", missingResp.Status)
	}
	// Another client's file and folder, a file hidden from clients, and
	// paths that try to climb out.
	for _, path := range []string{"/d/BETA/b.pdf", "/d/ACME/2026/notas.txt", "/f/BETA/", "/d/ACME/../BETA/b.pdf",
		"/d/ACME/%2e%2e/BETA/b.pdf", "/d/dossiers/ACME/2026/pedimento.pdf", "/f/ACME/nothing/"} {
		resp, body := c.Get(path)
		if resp.StatusCode/100 == 3 { // net/http cleans ".." with a redirect
			resp, body = c.Get(resp.Header.Get("Location"))
		}
		if resp.StatusCode != missingResp.StatusCode || body != missing {
			t.Errorf("carla editing the URL to %s got %s, not the answer of a missing file:\n%s", path, resp.Status, body)
		}
	}
}

func TestLargeFolderIsPaginated(t *testing.T) {
	t.Parallel()
	tg := start(t)
	dir := filepath.Join(tg.DataDir, "files/clients/ACME/big")
	os.MkdirAll(dir, 0o750)
	for i := range 250 {
		os.WriteFile(filepath.Join(dir, fmt.Sprintf("p%04d.pdf", i)), []byte("%PDF"), 0o640)
	}
	c, _ := loggedIn(t, tg, "carla")
	for _, p := range []struct {
		query       string
		first, last string
		prev, next  bool
	}{
		{"", "p0000.pdf", "p0099.pdf", false, true},
		{"?page=2", "p0100.pdf", "p0199.pdf", true, true},
		{"?page=3", "p0200.pdf", "p0249.pdf", true, false},
		{"?page=99", "p0000.pdf", "p0099.pdf", false, true},
	} {
		_, page := c.Get("/f/ACME/big/" + p.query)
		l := links(page)
		n := 0
		for text := range l {
			if strings.HasSuffix(text, ".pdf") {
				n++
			}
		}
		want := 100
		if p.query == "?page=3" {
			want = 50
		}
		if n != want || l[p.first] == "" || l[p.last] == "" {
			t.Errorf("page %q shows %d files (want %d, from %s to %s)", p.query, n, want, p.first, p.last)
		}
		if got := strings.Contains(page, `rel="prev"`); got != p.prev {
			t.Errorf("page %q has a link to the previous page: %v", p.query, got)
		}
		if got := strings.Contains(page, `rel="next"`); got != p.next {
			t.Errorf("page %q has a link to the next page: %v", p.query, got)
		}
	}
}

func TestSearchByNameAndDate(t *testing.T) {
	t.Parallel()
	tg := start(t)
	tg.Put("clients/ACME/2025/11/pedimento 25-3001234.pdf", "%PDF old")
	tg.Put("clients/ACME/2026/01/pedimento 26-3001234.pdf", "%PDF new")
	tg.Put("clients/ACME/2026/01/otro.pdf", "%PDF other")
	tg.Put("clients/BETA/pedimento 26-3001234.pdf", "%PDF beta")
	old := time.Date(2025, 11, 15, 12, 0, 0, 0, time.Local)
	os.Chtimes(filepath.Join(tg.DataDir, "files/clients/ACME/2025/11/pedimento 25-3001234.pdf"), old, old)
	c, _ := loggedIn(t, tg, "carla")

	_, page := c.Get("/f/ACME/?q=3001234")
	l := links(page)
	if l["pedimento 25-3001234.pdf"] != "/d/ACME/2025/11/pedimento%2025-3001234.pdf" || l["pedimento 26-3001234.pdf"] == "" {
		t.Errorf("a search for 3001234 does not find both pedimentos:\n%s", page)
	}
	if _, ok := l["otro.pdf"]; ok || strings.Contains(page, "/BETA") {
		t.Errorf("a search for 3001234 shows another file or another client's:\n%s", page)
	}
	_, page = c.Get("/f/ACME/?q=3001234&from=2026-01-01")
	l = links(page)
	if _, ok := l["pedimento 25-3001234.pdf"]; ok || l["pedimento 26-3001234.pdf"] == "" {
		t.Errorf("a search from 2026-01-01 is wrong:\n%s", page)
	}
	_, page = c.Get("/f/ACME/?from=2025-11-01&to=2025-11-30")
	l = links(page)
	if _, ok := l["pedimento 26-3001234.pdf"]; ok || l["pedimento 25-3001234.pdf"] == "" {
		t.Errorf("a search for November 2025 is wrong:\n%s", page)
	}
	if _, page := c.Get("/f/ACME/?from=yesterday"); !strings.Contains(page, "AAAA-MM-DD") {
		t.Errorf("a malformed date is not explained:\n%s", page)
	}
	if _, page := c.Get("/f/ACME/?q=zzz-none"); !strings.Contains(page, "Ningún archivo coincide") {
		t.Errorf("a search that finds nothing does not say so:\n%s", page)
	}
}

func TestCorrespondentDeniedDownloadIsRefused(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, _ := loggedIn(t, tg, "juan")
	_, page := c.Get("/f/ACME/2026/")
	if links(page)["pedimento.pdf"] == "" {
		t.Fatalf("juan does not see the dossier's pedimento.pdf:\n%s", page)
	}
	resp, body := c.Get("/d/ACME/2026/pedimento.pdf")
	if resp.StatusCode != http.StatusForbidden || strings.Contains(body, "PDF-1.4") {
		t.Errorf("a correspondent's download (no policy grants it) answered %s:\n%s", resp.Status, body)
	}
}

package webdav_test

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/studio-b12/gowebdav"

	"github.com/oaq/custodia/internal/testkit"
)

// applyDav performs one row of the role matrix over WebDAV. Reads go
// through gowebdav, as a Go client would send them; writes go through
// net/http because gowebdav hides their statuses: Remove takes a 404 for
// success, Mkdir a 405, and Write and Rename answer a 404 or 409 by
// creating parent collections and trying again.
func applyDav(g *gowebdav.Client, d *testkit.DAVClient, r testkit.MatrixRow) string {
	switch r.Op {
	case "ls":
		_, err := g.ReadDir(r.VPath)
		return testkit.DAVOutcome(err)
	case "stat":
		_, err := g.Stat(r.VPath)
		return testkit.DAVOutcome(err)
	case "get":
		_, err := g.Read(r.VPath)
		return testkit.DAVOutcome(err)
	case "put":
		return testkit.StatusOutcome(d.Do("PUT", r.VPath, "%PDF-1.4 uploaded by "+r.User).Code)
	case "mkdir":
		return testkit.StatusOutcome(d.Do("MKCOL", r.VPath, "").Code)
	case "rm", "rmdir":
		return testkit.StatusOutcome(d.Do("DELETE", r.VPath, "").Code)
	case "rename":
		return testkit.StatusOutcome(d.Do("MOVE", r.VPath, "", "Destination", d.URL(r.Target), "Overwrite", "F").Code)
	}
	return "unknown op " + r.Op
}

func TestRoleMatrixOverWebDAV(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	gc := map[string]*gowebdav.Client{}
	hc := map[string]*testkit.DAVClient{}
	for _, r := range testkit.RoleMatrix() {
		if gc[r.User] == nil {
			gc[r.User], hc[r.User] = tg.GoWebDAV(r.User), tg.DAV(r.User)
		}
		if got := applyDav(gc[r.User], hc[r.User], r); got != r.Want {
			t.Errorf("%s %s %s %s over WebDAV: got %s, want %s", r.User, r.Op, r.VPath, r.Target, got, r.Want)
		}
	}
	rows := tg.AuditRows("juan")
	if _, ok := testkit.FindAudit(rows, func(a testkit.AuditRow) bool {
		return a.Protocol == "webdav" && a.Action == "overwrite" && a.Path == "/ACME/2026/pedimento.pdf" &&
			a.Result == "denied" && a.Reason == "no rule allows it"
	}); !ok {
		t.Errorf("juan's denied overwrite over WebDAV is not in the audit trail:\n%s",
			tg.AuditLog("juan", 1000))
	}
}

// A client sees only its PDFs in listings, as over SFTP; the hidden file's
// name is nowhere in the multistatus, not even in an href.
func TestWebDAVListingShowsOnlyWhatTheRoleMaySee(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	g := tg.GoWebDAV("carla")
	names := func(dir string) string {
		t.Helper()
		fis, err := g.ReadDir(dir)
		if err != nil {
			t.Fatalf("carla's PROPFIND Depth 1 of %s: %v", dir, err)
		}
		var n []string
		for _, fi := range fis {
			n = append(n, fi.Name())
		}
		sort.Strings(n)
		return strings.Join(n, ",")
	}
	if got := names("/ACME/2026"); got != "factura.pdf" {
		t.Errorf("carla's listing of /ACME/2026 is %q, want only factura.pdf", got)
	}
	if got := names("/"); got != "ACME" {
		t.Errorf("carla's listing of / is %q, want ACME", got)
	}
	if r := tg.DAV("carla").Propfind("/ACME/2026", "1"); r.Code != 207 || strings.Contains(r.Body, "notas") {
		t.Errorf("carla's PROPFIND of /ACME/2026: %d, and it names notas.txt or is no multistatus:\n%s", r.Code, r.Body)
	}
	b, err := g.Read("/ACME/2026/factura.pdf")
	if err != nil || string(b) != "%PDF-1.4 factura" {
		t.Errorf("carla downloaded %q (%v)", b, err)
	}
}

// The statuses of the contract for what a staff member does in her
// department: desktop clients decide what to do next from them.
func TestWebDAVMethodStatuses(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	d := tg.DAV("ana")
	disk := func(p string) string { return filepath.Join(tg.DataDir, "files/departments/operaciones", p) }
	expect := func(what string, got testkit.DAVResp, want ...int) {
		t.Helper()
		for _, w := range want {
			if got.Code == w {
				return
			}
		}
		t.Errorf("%s: got %d, want %v\n%s", what, got.Code, want, got.Body)
	}
	expect("PUT of a new file", d.Do("PUT", "/operaciones/nuevo.txt", "uno"), 201)
	expect("PUT over that file", d.Do("PUT", "/operaciones/nuevo.txt", "dos"), 201, 204)
	if r := d.Do("GET", "/operaciones/nuevo.txt", ""); r.Code != 200 || r.Body != "dos" {
		t.Errorf("GET after the overwrite: %d %q, want 200 \"dos\"", r.Code, r.Body)
	}
	if r := d.Do("HEAD", "/operaciones/nuevo.txt", ""); r.Code != 200 || r.Header.Get("Content-Length") != "3" {
		t.Errorf("HEAD: %d with Content-Length %q, want 200 and 3", r.Code, r.Header.Get("Content-Length"))
	}
	expect("PROPFIND Depth 0 of a file", d.Propfind("/operaciones/nuevo.txt", "0"), 207)
	expect("PROPFIND Depth 1 of a folder", d.Propfind("/operaciones", "1"), 207)
	expect("MKCOL", d.Do("MKCOL", "/operaciones/carpeta", ""), 201)
	if fi, err := os.Stat(disk("carpeta")); err != nil || !fi.IsDir() {
		t.Errorf("MKCOL made no folder on disk: %v", err)
	}
	expect("MKCOL under a missing parent", d.Do("MKCOL", "/operaciones/no/existe", ""), 409)
	if _, err := os.Stat(disk("no")); err == nil {
		t.Error("MKCOL under a missing parent created the parent")
	}
	expect("PUT into the new folder", d.Do("PUT", "/operaciones/carpeta/dentro.txt", "dentro"), 201)
	expect("DELETE of a folder with a file", d.Do("DELETE", "/operaciones/carpeta", ""), 200, 204)
	if _, err := os.Stat(disk("carpeta")); !os.IsNotExist(err) {
		t.Errorf("the deleted folder is still on disk (stat: %v)", err)
	}
	expect("GET inside the deleted folder", d.Do("GET", "/operaciones/carpeta/dentro.txt", ""), 404)
	expect("MOVE", d.Do("MOVE", "/operaciones/nuevo.txt", "", "Destination", d.URL("/operaciones/movido.txt")), 201, 204)
	expect("GET of the moved file's old name", d.Do("GET", "/operaciones/nuevo.txt", ""), 404)
	if b, err := os.ReadFile(disk("movido.txt")); err != nil || string(b) != "dos" {
		t.Errorf("the moved file on disk: %q (%v)", b, err)
	}
	expect("COPY from the dossiers", d.Do("COPY", "/dossiers/ACME/2026/pedimento.pdf", "",
		"Destination", d.URL("/operaciones/copia.pdf")), 201, 204)
	if b, err := os.ReadFile(disk("copia.pdf")); err != nil || string(b) != "%PDF-1.4 pedimento" {
		t.Errorf("the copy on disk: %q (%v)", b, err)
	}
}

// COPY is a read of the source and a write of the destination: either
// refused refuses the copy, and nothing appears.
func TestWebDAVCopyNeedsReadAndWrite(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	cases := []struct {
		user, from, to, want, disk string
	}{
		// a correspondent may write into the dossier but not read it
		{"juan", "/ACME/2026/pedimento.pdf", "/ACME/2026/copia.pdf", "denied", "dossiers/ACME/2026/copia.pdf"},
		// operaciones reads the dossiers but may not write there
		{"ana", "/operaciones/reporte.xlsx", "/dossiers/ACME/2026/r.xlsx", "denied", "dossiers/ACME/2026/r.xlsx"},
		// a client cannot see its non-PDF files at all
		{"carla", "/ACME/2026/notas.txt", "/ACME/2026/notas.pdf", "notfound", "clients/ACME/2026/notas.pdf"},
	}
	for _, c := range cases {
		d := tg.DAV(c.user)
		r := d.Do("COPY", c.from, "", "Destination", d.URL(c.to), "Overwrite", "F")
		if got := testkit.StatusOutcome(r.Code); got != c.want {
			t.Errorf("%s COPY %s to %s: got %s, want %s", c.user, c.from, c.to, got, c.want)
		}
		if _, err := os.Stat(filepath.Join(tg.DataDir, "files", c.disk)); !os.IsNotExist(err) {
			t.Errorf("%s COPY %s to %s left %s on disk (stat: %v)", c.user, c.from, c.to, c.disk, err)
		}
	}
}

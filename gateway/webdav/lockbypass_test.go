package webdav_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// Ways around a colleague's lock through the If header all fail: negated
// tokens (x/net/webdav's table counts (Not <t>) as holding t, and its
// tokens are a guessable counter), and a tagged list that names another
// resource, where the intruder holds a lock of their own.
func TestWebDAVLockCannotBeBypassedWithIfHeaders(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "luis", Role: store.RoleStaff, Department: "operaciones"})
	tg.Put("departments/operaciones/acta.docx", "acta v1")
	const p = "/operaciones/acta.docx"
	ana, luis := tg.DAV("ana"), tg.DAV("luis")
	tok := lock(ana, p, "Second-600")

	// Guess tokens around ana's: the counter's neighbours, and hers.
	i := strings.LastIndexAny(tok, ":/")
	n, _ := strconv.ParseUint(tok[i+1:], 10, 64)
	var nots []string
	for d := -20; d <= 20; d++ {
		nots = append(nots, fmt.Sprintf("Not <%s%d>", tok[:i+1], int64(n)+int64(d)))
	}
	nots = append(nots, "Not <"+tok+">")
	if r := luis.Do("PUT", p, "luis con Not", "If", "("+strings.Join(nots, " ")+")"); r.Code/100 == 2 {
		t.Errorf("luis overwrote ana's locked file with negated tokens in If: %d", r.Code)
	}
	if r := luis.Do("DELETE", p, "", "If", "("+strings.Join(nots, " ")+")"); r.Code/100 == 2 {
		t.Errorf("luis deleted ana's locked file with negated tokens in If: %d", r.Code)
	}

	// luis locks another file and tags his token with that file's URL.
	tg.Put("departments/operaciones/otro.docx", "otro")
	own := lock(luis, "/operaciones/otro.docx", "Second-600")
	if r := luis.Do("PUT", p, "luis con etiqueta", "If", "<"+luis.URL("/operaciones/otro.docx")+"> (<"+own+">)"); r.Code/100 == 2 {
		t.Errorf("luis overwrote ana's locked file with a tagged list naming his own lock: %d", r.Code)
	}
	b, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/acta.docx"))
	if string(b) != "acta v1" {
		t.Errorf("ana's locked file changed: %q", b)
	}
}

// Locks hold on files, not on names: an admin's lock on
// /departments/operaciones/x holds for the staff member's /operaciones/x,
// and a correspondent's /ACME (the dossier) does not lock the publisher's
// /ACME (the client's PDFs).
func TestWebDAVLocksFollowTheFileNotTheName(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	sys, ana := tg.DAV("sys"), tg.DAV("ana")
	lock(sys, "/departments/operaciones/reporte.xlsx", "Second-600")
	if r := ana.Do("PUT", "/operaciones/reporte.xlsx", "ana"); r.Code != 423 {
		t.Errorf("ana PUT on a file the admin locked under another name: %d, want 423", r.Code)
	}
	juan, pub := tg.DAV("juan"), tg.DAV("pub")
	r := juan.Do("LOCK", "/ACME", lockinfo, "Timeout", "Second-600", "Depth", "infinity",
		"Content-Type", "application/xml; charset=utf-8")
	if r.Code != 200 {
		t.Fatalf("juan LOCK /ACME (his dossier folder): %d\n%s", r.Code, r.Body)
	}
	if r := pub.Do("PUT", "/ACME/2026/nueva.pdf", "%PDF-1.4 nueva"); r.Code/100 != 2 {
		t.Errorf("the publisher's /ACME is the client's folder, not juan's dossier: PUT got %d", r.Code)
	}
}

// A user who may not write a name may not lock it either, desktop files
// included.
func TestWebDAVLockNeedsWrite(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	carla := tg.DAV("carla")
	for _, p := range []string{"/ACME/2026/factura.pdf", "/ACME/2026/desktop.ini", "/ACME/._x"} {
		r := carla.Do("LOCK", p, lockinfo, "Timeout", "Second-600", "Depth", "0", "Content-Type", "application/xml; charset=utf-8")
		if r.Code != 403 {
			t.Errorf("carla (read-only) LOCK %s: %d, want 403", p, r.Code)
		}
	}
}

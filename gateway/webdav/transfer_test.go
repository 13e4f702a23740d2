package webdav_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// MOVE onto a folder inside the source would have deleted the target (and
// with it part of the source) before the rename failed; COPY into itself
// would recurse. Both are refused and nothing changes.
func TestWebDAVMoveOrCopyIntoItselfRefused(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.Put("departments/operaciones/a/b/keep.txt", "keep")
	ana := tg.DAV("ana")
	for _, c := range []struct{ method, src, dst string }{
		{"MOVE", "/operaciones/a", "/operaciones/a/b"},
		{"COPY", "/operaciones/a", "/operaciones/a/b/c"},
		{"MOVE", "/operaciones/a/b", "/operaciones/a"},
	} {
		if r := ana.Do(c.method, c.src, "", "Destination", ana.URL(c.dst), "Overwrite", "T"); r.Code != 403 {
			t.Errorf("%s %s to %s: %d, want 403", c.method, c.src, c.dst, r.Code)
		}
	}
	if b, err := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/a/b/keep.txt")); err != nil || string(b) != "keep" {
		t.Errorf("a refused MOVE or COPY changed the tree: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files/departments/operaciones/a/b/c")); err == nil {
		t.Error("a refused COPY into itself left a copy")
	}
}

// COPY and MOVE onto an existing file replace it in one step, and need
// overwrite, not delete: a correspondent, who may not overwrite, cannot.
func TestWebDAVCopyOntoAFileReplacesIt(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.Put("departments/operaciones/nuevo.docx", "nuevo")
	ana := tg.DAV("ana")
	if r := ana.Do("COPY", "/operaciones/nuevo.docx", "", "Destination", ana.URL("/operaciones/reporte.xlsx")); r.Code != 204 {
		t.Errorf("COPY onto an existing file: %d, want 204", r.Code)
	}
	if b, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/reporte.xlsx")); string(b) != "nuevo" {
		t.Errorf("after COPY the target holds %q, want nuevo", b)
	}
	tg.Put("departments/operaciones/otro.docx", "otro")
	if r := ana.Do("MOVE", "/operaciones/otro.docx", "", "Destination", ana.URL("/operaciones/reporte.xlsx")); r.Code != 204 {
		t.Errorf("MOVE onto an existing file: %d, want 204", r.Code)
	}
	if b, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/reporte.xlsx")); string(b) != "otro" {
		t.Errorf("after MOVE the target holds %q, want otro", b)
	}
	tg.Put("dossiers/ACME/2026/copia.pdf", "%PDF-1.4 copia")
	juan := tg.DAV("juan")
	if r := juan.Do("COPY", "/ACME/2026/copia.pdf", "", "Destination", juan.URL("/ACME/2026/pedimento.pdf")); r.Code != 403 {
		t.Errorf("a correspondent's COPY onto an existing dossier file: %d, want 403", r.Code)
	}
	if b, _ := os.ReadFile(filepath.Join(tg.DataDir, "files/dossiers/ACME/2026/pedimento.pdf")); string(b) != "%PDF-1.4 pedimento" {
		t.Errorf("the dossier file changed: %q", b)
	}
	// A COPY whose write is refused loses nothing: staff may delete an
	// executable planted in their folder, but not write one, and the
	// refusal comes before the target is touched.
	tg.Put("departments/operaciones/tool.exe", "herramienta")
	if r := ana.Do("COPY", "/operaciones/reporte.xlsx", "", "Destination", ana.URL("/operaciones/tool.exe")); r.Code != 403 {
		t.Errorf("COPY onto an executable: %d, want 403", r.Code)
	}
	if b, err := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/tool.exe")); string(b) != "herramienta" {
		t.Errorf("a refused COPY changed or removed its target: %q %v", b, err)
	}
}

// The ETag a PUT answers is the file's: a HEAD right after gives the same.
func TestWebDAVPutETagMatchesTheFile(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	ana := tg.DAV("ana")
	put := ana.Do("PUT", "/operaciones/etag.txt", "contenido")
	head := ana.Do("HEAD", "/operaciones/etag.txt", "")
	if put.Header.Get("ETag") == "" || put.Header.Get("ETag") != head.Header.Get("ETag") {
		t.Errorf("PUT answered ETag %q, HEAD %q", put.Header.Get("ETag"), head.Header.Get("ETag"))
	}
}

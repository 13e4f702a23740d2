package main

import (
	"os"
	"path/filepath"
	"testing"
)

// MOVE onto a folder inside the source would have deleted the target (and
// with it part of the source) before the rename failed; COPY into itself
// would recurse. Both are refused and nothing changes.
func TestWebDAVMoveOrCopyIntoItselfRefused(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	tg.put("departments/operaciones/a/b/keep.txt", "keep")
	ana := tg.dav("ana")
	for _, c := range []struct{ method, src, dst string }{
		{"MOVE", "/operaciones/a", "/operaciones/a/b"},
		{"COPY", "/operaciones/a", "/operaciones/a/b/c"},
		{"MOVE", "/operaciones/a/b", "/operaciones/a"},
	} {
		if r := ana.do(c.method, c.src, "", "Destination", ana.url(c.dst), "Overwrite", "T"); r.code != 403 {
			t.Errorf("%s %s to %s: %d, want 403", c.method, c.src, c.dst, r.code)
		}
	}
	if b, err := os.ReadFile(filepath.Join(tg.dataDir, "files/departments/operaciones/a/b/keep.txt")); err != nil || string(b) != "keep" {
		t.Errorf("a refused MOVE or COPY changed the tree: %q, %v", b, err)
	}
	if _, err := os.Stat(filepath.Join(tg.dataDir, "files/departments/operaciones/a/b/c")); err == nil {
		t.Error("a refused COPY into itself left a copy")
	}
}

// COPY and MOVE onto an existing file replace it in one step, and need
// overwrite, not delete: a correspondent, who may not overwrite, cannot.
func TestWebDAVCopyOntoAFileReplacesIt(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	tg.put("departments/operaciones/nuevo.docx", "nuevo")
	ana := tg.dav("ana")
	if r := ana.do("COPY", "/operaciones/nuevo.docx", "", "Destination", ana.url("/operaciones/reporte.xlsx")); r.code != 204 {
		t.Errorf("COPY onto an existing file: %d, want 204", r.code)
	}
	if b, _ := os.ReadFile(filepath.Join(tg.dataDir, "files/departments/operaciones/reporte.xlsx")); string(b) != "nuevo" {
		t.Errorf("after COPY the target holds %q, want nuevo", b)
	}
	tg.put("departments/operaciones/otro.docx", "otro")
	if r := ana.do("MOVE", "/operaciones/otro.docx", "", "Destination", ana.url("/operaciones/reporte.xlsx")); r.code != 204 {
		t.Errorf("MOVE onto an existing file: %d, want 204", r.code)
	}
	if b, _ := os.ReadFile(filepath.Join(tg.dataDir, "files/departments/operaciones/reporte.xlsx")); string(b) != "otro" {
		t.Errorf("after MOVE the target holds %q, want otro", b)
	}
	tg.put("dossiers/ACME/2026/copia.pdf", "%PDF-1.4 copia")
	juan := tg.dav("juan")
	if r := juan.do("COPY", "/ACME/2026/copia.pdf", "", "Destination", juan.url("/ACME/2026/pedimento.pdf")); r.code != 403 {
		t.Errorf("a correspondent's COPY onto an existing dossier file: %d, want 403", r.code)
	}
	if b, _ := os.ReadFile(filepath.Join(tg.dataDir, "files/dossiers/ACME/2026/pedimento.pdf")); string(b) != "%PDF-1.4 pedimento" {
		t.Errorf("the dossier file changed: %q", b)
	}
}

// The ETag a PUT answers is the file's: a HEAD right after gives the same.
func TestWebDAVPutETagMatchesTheFile(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	ana := tg.dav("ana")
	put := ana.do("PUT", "/operaciones/etag.txt", "contenido")
	head := ana.do("HEAD", "/operaciones/etag.txt", "")
	if put.header.Get("ETag") == "" || put.header.Get("ETag") != head.header.Get("ETag") {
		t.Errorf("PUT answered ETag %q, HEAD %q", put.header.Get("ETag"), head.header.Get("ETag"))
	}
}

package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Symlinks planted on disk in a department folder (by someone with shell
// access, or restored from a backup) lead nowhere over WebDAV: not out of
// the data dir, not into another department, and nothing is written
// through them.
func TestWebDAVSymlinksPlantedOnDiskLeadNowhere(t *testing.T) {
	tg := startGateway(t)
	tg.fixture()
	ops := filepath.Join(tg.dataDir, "files/departments/operaciones")
	secret := filepath.Join(t.TempDir(), "secreto.txt")
	os.WriteFile(secret, []byte("fuera del data dir"), 0o644)
	for name, target := range map[string]string{
		"etc":          "/etc",
		"passwd.txt":   "/etc/passwd",
		"secreto.txt":  secret,
		"trafico":      "../trafico",
		"guia.docx":    "../trafico/guia.docx",
		"dossiers-dir": filepath.Join(tg.dataDir, "files/dossiers"),
	} {
		if err := os.Symlink(target, filepath.Join(ops, name)); err != nil {
			t.Fatal(err)
		}
	}
	d := tg.dav("ana")
	for _, p := range []string{
		"/operaciones/passwd.txt", "/operaciones/secreto.txt", "/operaciones/guia.docx",
		"/operaciones/etc/hostname", "/operaciones/trafico/guia.docx", "/operaciones/dossiers-dir/ACME/2026/pedimento.pdf",
	} {
		r := d.do("GET", p, "")
		if r.code < 400 || strings.Contains(r.body, "root:") || strings.Contains(r.body, "fuera") ||
			strings.Contains(r.body, "guia") || strings.Contains(r.body, "PDF") {
			t.Errorf("GET %s through a planted symlink: %d %q", p, r.code, r.body)
		}
	}
	for _, p := range []string{"/operaciones/etc/", "/operaciones/trafico/", "/operaciones/dossiers-dir/"} {
		if r := d.propfind(p, "1"); r.code < 400 {
			t.Errorf("PROPFIND %s through a planted symlink: %d\n%s", p, r.code, r.body)
		}
	}
	if r := d.propfind("/operaciones/", "1"); r.code != 207 || strings.Contains(r.body, "passwd") || strings.Contains(r.body, "trafico") {
		t.Errorf("the listing of /operaciones shows planted symlinks: %d\n%s", r.code, r.body)
	}
	// A PUT may replace the link itself with a file in operaciones; it must
	// never write where the link points.
	for _, p := range []string{"/operaciones/trafico/nuevo.docx", "/operaciones/secreto.txt", "/operaciones/guia.docx"} {
		d.do("PUT", p, "escrito por un enlace")
	}
	// Whatever the PUTs answered, nothing was written outside operaciones.
	if b, _ := os.ReadFile(secret); string(b) != "fuera del data dir" {
		t.Errorf("the file outside the data dir was changed through a symlink: %q", b)
	}
	trafico := filepath.Join(tg.dataDir, "files/departments/trafico")
	if b, _ := os.ReadFile(filepath.Join(trafico, "guia.docx")); string(b) != "guia" {
		t.Errorf("trafico's guia.docx was changed through a symlink: %q", b)
	}
	if _, err := os.Stat(filepath.Join(trafico, "nuevo.docx")); err == nil {
		t.Error("a PUT through a symlink created a file in trafico")
	}
	d.do("DELETE", "/operaciones/trafico", "")
	d.do("DELETE", "/operaciones/dossiers-dir", "")
	if _, err := os.Stat(filepath.Join(tg.dataDir, "files/dossiers/ACME/2026/pedimento.pdf")); err != nil {
		t.Error("DELETE through a symlink removed a dossier")
	}
	if _, err := os.Stat(filepath.Join(trafico, "guia.docx")); err != nil {
		t.Error("DELETE through a symlink removed trafico's file")
	}
}

package webdav_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// Symlinks planted on disk in a department folder (by someone with shell
// access, or restored from a backup) lead nowhere over WebDAV: not out of
// the data dir, not into another department, and nothing is written
// through them.
func TestWebDAVSymlinksPlantedOnDiskLeadNowhere(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	ops := filepath.Join(tg.DataDir, "files/departments/operaciones")
	secret := filepath.Join(t.TempDir(), "secreto.txt")
	os.WriteFile(secret, []byte("fuera del data dir"), 0o644)
	for name, target := range map[string]string{
		"etc":          "/etc",
		"passwd.txt":   "/etc/passwd",
		"secreto.txt":  secret,
		"trafico":      "../trafico",
		"guia.docx":    "../trafico/guia.docx",
		"dossiers-dir": filepath.Join(tg.DataDir, "files/dossiers"),
	} {
		if err := os.Symlink(target, filepath.Join(ops, name)); err != nil {
			t.Fatal(err)
		}
	}
	d := tg.DAV("ana")
	for _, p := range []string{
		"/operaciones/passwd.txt", "/operaciones/secreto.txt", "/operaciones/guia.docx",
		"/operaciones/etc/hostname", "/operaciones/trafico/guia.docx", "/operaciones/dossiers-dir/ACME/2026/pedimento.pdf",
	} {
		r := d.Do("GET", p, "")
		if r.Code < 400 || strings.Contains(r.Body, "root:") || strings.Contains(r.Body, "fuera") ||
			strings.Contains(r.Body, "guia") || strings.Contains(r.Body, "PDF") {
			t.Errorf("GET %s through a planted symlink: %d %q", p, r.Code, r.Body)
		}
	}
	for _, p := range []string{"/operaciones/etc/", "/operaciones/trafico/", "/operaciones/dossiers-dir/"} {
		if r := d.Propfind(p, "1"); r.Code < 400 {
			t.Errorf("PROPFIND %s through a planted symlink: %d\n%s", p, r.Code, r.Body)
		}
	}
	if r := d.Propfind("/operaciones/", "1"); r.Code != 207 || strings.Contains(r.Body, "passwd") || strings.Contains(r.Body, "trafico") {
		t.Errorf("the listing of /operaciones shows planted symlinks: %d\n%s", r.Code, r.Body)
	}
	// A PUT may replace the link itself with a file in operaciones; it must
	// never write where the link points.
	for _, p := range []string{"/operaciones/trafico/nuevo.docx", "/operaciones/secreto.txt", "/operaciones/guia.docx"} {
		d.Do("PUT", p, "escrito por un enlace")
	}
	// Whatever the PUTs answered, nothing was written outside operaciones.
	if b, _ := os.ReadFile(secret); string(b) != "fuera del data dir" {
		t.Errorf("the file outside the data dir was changed through a symlink: %q", b)
	}
	trafico := filepath.Join(tg.DataDir, "files/departments/trafico")
	if b, _ := os.ReadFile(filepath.Join(trafico, "guia.docx")); string(b) != "guia" {
		t.Errorf("trafico's guia.docx was changed through a symlink: %q", b)
	}
	if _, err := os.Stat(filepath.Join(trafico, "nuevo.docx")); err == nil {
		t.Error("a PUT through a symlink created a file in trafico")
	}
	d.Do("DELETE", "/operaciones/trafico", "")
	d.Do("DELETE", "/operaciones/dossiers-dir", "")
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files/dossiers/ACME/2026/pedimento.pdf")); err != nil {
		t.Error("DELETE through a symlink removed a dossier")
	}
	if _, err := os.Stat(filepath.Join(trafico, "guia.docx")); err != nil {
		t.Error("DELETE through a symlink removed trafico's file")
	}
}

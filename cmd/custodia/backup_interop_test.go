package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// An archive opens with the standard tools and the identity alone, as
// the README says a database backup is put back: age -d | zstd -d | tar x.
func TestInteropAgeZstdTarDecrypt(t *testing.T) {
	t.Parallel()
	for _, tool := range []string{"age", "zstd", "tar", "bash"} {
		testkit.NeedTool(t, tool)
	}
	idFile, pub := backupKeys(t)
	tg := startGateway(t, "CUSTODIA_SFTP_LISTEN=off", "CUSTODIA_BACKUP_RECIPIENTS="+pub)
	tg.Fixture()
	env := append(append([]string(nil), tg.Environ...), "CUSTODIA_BACKUP_RECIPIENTS="+pub)
	for _, job := range []string{"database", "clients"} {
		out, err := runWith(env, "backup", "run", job)
		if err != nil {
			t.Fatalf("backup run %s: %v\n%s", job, err, out)
		}
		id := firstField(out)
		dir := t.TempDir()
		archive := filepath.Join(tg.DataDir, "backups", job, id+".age")
		cmd := exec.Command("bash", "-o", "pipefail", "-c", `age -d -i "$1" "$2" | zstd -d | tar -x -C "$3"`, "-",
			idFile, archive, dir)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: age | zstd | tar: %v\n%s", job, err, out)
		}
		check := exec.Command("sha256sum", "-c", id+".age.sha256")
		check.Dir = filepath.Dir(archive)
		if out, err := check.CombinedOutput(); err != nil || !strings.Contains(string(out), ": OK") {
			t.Errorf("%s: sha256sum -c: %v\n%s", job, err, out)
		}
		manifest, err := os.ReadFile(filepath.Join(dir, "MANIFEST.json"))
		if err != nil || !bytes.Contains(manifest, []byte(`"id": "`+id+`"`)) {
			t.Errorf("%s: no manifest naming %s: %v\n%s", job, id, err, manifest)
		}
		switch job {
		case "database":
			if fi, err := os.Stat(filepath.Join(dir, tg.Store().SnapshotName())); err != nil || fi.Size() == 0 {
				t.Errorf("the database snapshot is missing: %v", err)
			}
		case "clients":
			got, err := os.ReadFile(filepath.Join(dir, "clients", "ACME", "2026", "factura.pdf"))
			if err != nil || string(got) != "%PDF-1.4 factura" {
				t.Errorf("clients/ACME/2026/factura.pdf: %q %v", got, err)
			}
		}
	}
}

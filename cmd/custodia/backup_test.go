package main

import (
	"bytes"
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// backupKeys makes an age identity file and returns it with its public key.
func backupKeys(t *testing.T) (idFile, recipient string) {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	idFile = filepath.Join(t.TempDir(), "identity.txt")
	if err := os.WriteFile(idFile, []byte(id.String()+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return idFile, id.Recipient().String()
}

// firstField is the first tab-separated field of the last line of out.
func firstField(out string) string {
	lines := strings.Split(strings.TrimSpace(out), "\n")
	return strings.Split(lines[len(lines)-1], "\t")[0]
}

const marker = "MARCADOR-CONFIDENCIAL-4711"

func TestBackupVerifyRestoreAfterApproval(t *testing.T) {
	t.Parallel()
	idFile, pub := backupKeys(t)
	tg := startGateway(t, "CUSTODIA_BACKUP_RECIPIENTS="+pub, anyApproverAge)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "olga", Role: store.RoleManager, Department: "operaciones"})
	ana := tg.SFTP("ana")
	random := make([]byte, 300<<10)
	rand.Read(random)
	originals := map[string][]byte{
		"/operaciones/2026/pedimentos.txt": bytes.Repeat([]byte(marker+" pedimento 3921\n"), 2000),
		"/operaciones/2026/escaneo.pdf":    random,
		"/operaciones/vacio.txt":           {},
	}
	if err := ana.MkdirAll("/operaciones/2026"); err != nil {
		t.Fatal(err)
	}
	for name, body := range originals {
		writeSFTP(t, ana, name, body)
	}

	full := firstField(must(tg, "", "backup", "run", "departments"))
	if out := must(tg, "", "backup", "verify", full, "--identity", idFile); !strings.Contains(out, full+"\tok") {
		t.Fatalf("verify printed %q", out)
	}
	// After the full run: a new file, a renamed one and a deleted one,
	// which the incremental takes from the event journal.
	writeSFTP(t, ana, "/operaciones/2026/nuevo.txt", []byte("nuevo "+marker))
	originals["/operaciones/2026/nuevo.txt"] = []byte("nuevo " + marker)
	if err := ana.Rename("/operaciones/2026/escaneo.pdf", "/operaciones/2026/escaneo-final.pdf"); err != nil {
		t.Fatal(err)
	}
	originals["/operaciones/2026/escaneo-final.pdf"] = originals["/operaciones/2026/escaneo.pdf"]
	delete(originals, "/operaciones/2026/escaneo.pdf")
	if err := ana.Remove("/operaciones/vacio.txt"); err != nil {
		t.Fatal(err)
	}
	delete(originals, "/operaciones/vacio.txt")
	incr := firstField(must(tg, "", "backup", "run", "departments", "--incremental"))
	list := must(tg, "", "backup", "list", "departments")
	if !strings.Contains(list, incr+"\tdepartments\tincremental\tok") || !strings.Contains(list, "\t"+full+"\t") {
		t.Fatalf("backup list does not show the incremental built on %s:\n%s", full, list)
	}
	must(tg, "", "backup", "verify", incr, "--identity", idFile)

	// The archives hold none of the plaintext.
	archives, _ := filepath.Glob(filepath.Join(tg.DataDir, "backups", "departments", "*.age"))
	if len(archives) != 2 {
		t.Fatalf("want 2 archives on disk, found %v", archives)
	}
	for _, a := range archives {
		body, _ := os.ReadFile(a)
		if bytes.Contains(body, []byte(marker)) || bytes.Contains(body, []byte("pedimento 3921")) {
			t.Errorf("%s holds plaintext", a)
		}
	}

	req := strings.TrimSpace(must(tg, "", "backup", "restore", "request", incr, "--path", "/departments/operaciones",
		"--reason", "se borró un pedimento", "--as", "ana"))
	if out, err := cli(tg, "", "backup", "restore", "run", req, "--identity", idFile); err == nil {
		t.Fatalf("a restore ran without approval: %s", out)
	}
	for _, c := range []struct{ who, pw, why string }{
		{"ana", testkit.Password, "the requester"},
		{"mario", testkit.Password, "the manager of another department"},
		{"olga", "not-her-password-1", "a wrong password"},
		{"sys", testkit.Password, "an admin"},
	} {
		if out, err := cli(tg, c.pw+"\n", "backup", "restore", "approve", req, "--as", c.who, "--password-stdin"); err == nil {
			t.Errorf("approved by %s: %s", c.why, out)
		}
	}
	if out, err := cli(tg, "", "backup", "restore", "run", req, "--identity", idFile); err == nil {
		t.Fatalf("a restore ran after refused approvals: %s", out)
	}
	must(tg, testkit.Password+"\n", "backup", "restore", "approve", req, "--as", "olga", "--password-stdin")
	must(tg, "", "backup", "restore", "run", req, "--identity", idFile)
	if out, err := cli(tg, "", "backup", "restore", "run", req, "--identity", idFile); err == nil {
		t.Fatalf("a restore ran twice: %s", out)
	}

	// The requester reads the restored files over SFTP: byte-identical.
	// The server sees the CLI's new rules within its 2 s policy poll, and
	// mounts /restores at the next login.
	var ana2 *gosftp.Client
	for i := 0; i < 50; i++ {
		ana2 = tg.SFTP("ana")
		if _, err := ana2.Stat("/restores/" + req); err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	base := "/restores/" + req + "/departments"
	for name, want := range originals {
		got := readSFTP(t, ana2, base+name)
		if !bytes.Equal(got, want) {
			t.Errorf("%s restored as %d bytes, want the original %d bytes", name, len(got), len(want))
		}
	}
	for _, gone := range []string{"/operaciones/vacio.txt", "/operaciones/2026/escaneo.pdf"} {
		if _, err := ana2.Stat(base + gone); err == nil {
			t.Errorf("%s was deleted before the incremental but is restored", gone)
		}
	}
	if fi, err := ana2.Stat("/operaciones/reporte.xlsx"); err != nil || fi.Size() != int64(len("reporte")) {
		t.Errorf("the live files changed: %v %v", fi, err)
	}
	if _, err := tg.SFTP("tomas").Stat(base + "/operaciones/2026/nuevo.txt"); err == nil {
		t.Error("another staff member sees the restored files")
	}
	audit := tg.AuditLog("", 40)
	for _, step := range []string{"backup.run", "backup.verify", "backup.restore.request", "backup.restore.approve", "backup.restore.run"} {
		if !strings.Contains(audit, "\t"+step+"\t") {
			t.Errorf("no audit row for %s", step)
		}
	}
}

// writeSFTP uploads body as name.
func writeSFTP(t *testing.T, c *gosftp.Client, name string, body []byte) {
	t.Helper()
	f, err := c.OpenFile(name, os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	if _, err := f.Write(body); err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
}

// readSFTP downloads name; nil when it cannot be read.
func readSFTP(t *testing.T, c *gosftp.Client, name string) []byte {
	t.Helper()
	f, err := c.Open(name)
	if err != nil {
		t.Errorf("open %s: %v", name, err)
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Errorf("read %s: %v", name, err)
	}
	return b
}

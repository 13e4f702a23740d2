package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
)

// hostKeyOf returns the SFTP host key a gateway presents, as a
// known_hosts key ("ssh-ed25519 AAAA…").
func hostKeyOf(t *testing.T, tg *testkit.Gateway) string {
	t.Helper()
	var got ssh.PublicKey
	conn, err := ssh.Dial("tcp", tg.SFTPAddr, &ssh.ClientConfig{
		User: "nobody", Auth: []ssh.AuthMethod{ssh.Password("x")},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { got = k; return nil },
	})
	if err == nil {
		conn.Close()
	}
	if got == nil {
		t.Fatalf("no host key from %s: %v", tg.SFTPAddr, err)
	}
	return strings.TrimSpace(string(ssh.MarshalAuthorizedKey(got)))
}

// TestBackupOffsiteSFTP backs up to a second custodia on loopback, whose
// host key is pinned and whose user logs in with a key: the archive is
// there whole, a verify reads it from there when the local copy is gone,
// and a transfer to a server with another host key never counts.
func TestBackupOffsiteSFTP(t *testing.T) {
	t.Parallel()
	idFile, pub := backupKeys(t)
	offsite := startGateway(t)
	_, userKey, _ := ed25519.GenerateKey(rand.Reader)
	keyDir := t.TempDir()
	testkit.WriteKey(t, filepath.Join(keyDir, "id_ed25519"), userKey)
	sshPub, _ := ssh.NewPublicKey(userKey.Public())
	os.WriteFile(filepath.Join(keyDir, "id_ed25519.pub"), ssh.MarshalAuthorizedKey(sshPub), 0o600)
	must(offsite, "", "user", "add", "respaldo", "--role", "staff", "--department", "administracion",
		"--key", filepath.Join(keyDir, "id_ed25519.pub"))

	settings := []string{
		"CUSTODIA_BACKUP_RECIPIENTS=" + pub, "CUSTODIA_BACKUP_SFTP_ADDRESS=" + offsite.SFTPAddr,
		"CUSTODIA_BACKUP_SFTP_USER=respaldo", "CUSTODIA_BACKUP_SFTP_KEY=" + filepath.Join(keyDir, "id_ed25519"),
		"CUSTODIA_BACKUP_SFTP_HOST_KEY=" + hostKeyOf(t, offsite), "CUSTODIA_BACKUP_SFTP_DIR=/administracion/respaldos",
	}
	tg, stop := testkit.RestartableWith(t, manager(), testkit.Env(t.TempDir(), settings...), true)
	tg.Fixture()
	id := firstField(must(tg, "", "backup", "run", "departments"))
	if list := must(tg, "", "backup", "list"); !strings.Contains(list, "\tlocal,sftp\t") {
		t.Fatalf("the backup is not on both targets:\n%s", list)
	}
	local := filepath.Join(tg.DataDir, "backups", "departments", id+".age")
	remote := filepath.Join(offsite.DataDir, "files", "departments", "administracion", "respaldos", "departments", id+".age")
	lb, _ := os.ReadFile(local)
	rb, err := os.ReadFile(remote)
	if err != nil || len(lb) == 0 || !bytes.Equal(lb, rb) {
		t.Fatalf("the off-site archive (%d bytes, %v) differs from the local one (%d bytes)", len(rb), err, len(lb))
	}
	if sum, err := os.ReadFile(remote + ".sha256"); err != nil || !strings.HasPrefix(string(sum), testkit.SHA256Hex(lb)+"  "+id+".age") {
		t.Errorf("the off-site checksum file is %q (%v)", sum, err)
	}
	parts, _ := filepath.Glob(filepath.Join(filepath.Dir(remote), ".*.part"))
	if len(parts) > 0 {
		t.Errorf("temporary uploads left on the server: %v", parts)
	}
	os.Remove(local)
	must(tg, "", "backup", "verify", id, "--identity", idFile) // read from the off-site copy

	// A server presenting another host key gets nothing, and the run
	// does not count (run here, with no server, by the command line).
	stop()
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	otherKey, _ := ssh.NewPublicKey(other)
	env := append(append([]string(nil), tg.Environ...),
		"CUSTODIA_BACKUP_SFTP_HOST_KEY="+strings.TrimSpace(string(ssh.MarshalAuthorizedKey(otherKey))))
	var out bytes.Buffer
	root := newRoot(strings.NewReader(""), &out, &out, env)
	root.SetArgs([]string{"backup", "run", "departments"})
	if err := root.ExecuteContext(context.Background()); err == nil || !strings.Contains(err.Error(), "host key") {
		t.Fatalf("a backup to a server with an unpinned host key: %v\n%s", err, out.String())
	}
	all := must(tg, "", "backup", "list", "--all")
	if strings.Count(all, "\tfailed\t") != 1 {
		t.Errorf("want one failed run in:\n%s", all)
	}
	if okRuns := must(tg, "", "backup", "list", "departments"); strings.Count(okRuns, "\n") != 1 {
		t.Errorf("the failed run counts as a backup:\n%s", okRuns)
	}
	archives, _ := filepath.Glob(filepath.Join(tg.DataDir, "backups", "departments", "*.age"))
	if len(archives) != 0 {
		t.Errorf("the failed run left archives: %v", archives)
	}
}

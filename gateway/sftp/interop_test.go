package sftp_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

func TestInteropOpenSSHWithKey(t *testing.T) {
	t.Parallel()
	sftpBin := testkit.NeedTool(t, "sftp")
	keygen := testkit.NeedTool(t, "ssh-keygen")
	tg := testkit.Start(t)
	tg.Fixture()
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, err := os.ReadFile(key + ".pub")
	if err != nil {
		t.Fatal(err)
	}
	k, err := gateway.ParseKeyFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	tg.AddUser(store.NewUser{Name: "corr2", Role: store.RoleCorrespondent, Clients: []string{"ACME"},
		Keys: []store.NewKey{k}})
	local := filepath.Join(dir, "pedimento-2026.pdf")
	os.WriteFile(local, []byte("%PDF-1.4 from openssh"), 0o600)
	batch := filepath.Join(dir, "batch")
	old := time.Date(2024, 3, 1, 12, 0, 0, 0, time.UTC)
	os.Chtimes(local, old, old)
	os.WriteFile(batch, []byte("cd /ACME\nmkdir openssh\nput "+local+" openssh/p.pdf\nput -p "+local+" openssh/kept.pdf\nls -l openssh\n"), 0o600)
	_, port, _ := net.SplitHostPort(tg.SFTPAddr)
	cmd := exec.Command(sftpBin, "-b", batch, "-i", key, "-P", port,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes", "corr2@127.0.0.1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("OpenSSH sftp failed: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "p.pdf") {
		t.Errorf("OpenSSH sftp's listing lacks the upload:\n%s", out)
	}
	got, err := os.ReadFile(filepath.Join(tg.DataDir, "files/dossiers/ACME/openssh/p.pdf"))
	if err != nil || string(got) != "%PDF-1.4 from openssh" {
		t.Errorf("the file uploaded with OpenSSH sftp is not on disk intact (err %v)", err)
	}
	if fi, err := os.Stat(filepath.Join(tg.DataDir, "files/dossiers/ACME/openssh/kept.pdf")); err != nil || !fi.ModTime().Equal(old) {
		t.Errorf("put -p did not keep the file's time: %v", err)
	}
	// A denied command makes the batch fail.
	os.WriteFile(batch, []byte("rm /ACME/openssh/p.pdf\n"), 0o600)
	if out, err := exec.Command(sftpBin, "-b", batch, "-i", key, "-P", port, "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes",
		"corr2@127.0.0.1").CombinedOutput(); err == nil || !strings.Contains(string(out), "Permission denied") {
		t.Errorf("a correspondent's rm over OpenSSH sftp did not fail with Permission denied:\n%s", out)
	}
}

// curl on Debian 12 uses libssh2 1.10, which has neither AES-GCM nor
// chacha20-poly1305: it connects only with sftp.legacy_clients on.
func TestInteropCurlWithPassword(t *testing.T) {
	t.Parallel()
	curl := testkit.NeedTool(t, "curl")
	tg := testkit.Start(t, "CUSTODIA_SFTP_LEGACY_CLIENTS=true")
	tg.Fixture()
	base := "sftp://127.0.0.1:" + strings.Split(tg.SFTPAddr, ":")[1]
	dir := t.TempDir()
	local := filepath.Join(dir, "subida.pdf")
	os.WriteFile(local, []byte("%PDF-1.4 from curl"), 0o600)
	up := exec.Command(curl, "-sS", "--insecure", "-u", "juan:"+testkit.Password, "-T", local, base+"/ACME/2026/subida.pdf")
	if out, err := up.CombinedOutput(); err != nil {
		t.Fatalf("curl upload failed: %v\n%s", err, out)
	}
	down := exec.Command(curl, "-sS", "--insecure", "-u", "carla:"+testkit.Password, base+"/ACME/2026/factura.pdf")
	out, err := down.CombinedOutput()
	if err != nil || string(out) != "%PDF-1.4 factura" {
		t.Fatalf("curl download as the client: %v\n%s", err, out)
	}
	hidden := exec.Command(curl, "-sS", "--insecure", "-u", "carla:"+testkit.Password, base+"/ACME/2026/notas.txt")
	if out, err := hidden.CombinedOutput(); err == nil {
		t.Errorf("curl downloaded a non-PDF as a client:\n%s", out)
	}
}

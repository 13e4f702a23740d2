package sftp_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"
	"golang.org/x/sys/cpu"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestOpenSSHDefaultClientGetsAESGCM: OpenSSH's sftp with its default
// cipher list (ChaCha20-Poly1305 first) gets aes128-gcm on a CPU with
// AES-NI, where x/crypto's ChaCha20 is plain Go and cost a third of the
// server's CPU per byte; with legacy_clients on, a client that has only
// ChaCha20-Poly1305 still connects.
func TestOpenSSHDefaultClientGetsAESGCM(t *testing.T) {
	t.Parallel()
	if runtime.GOARCH != "amd64" || !cpu.X86.HasAES || !cpu.X86.HasPCLMULQDQ {
		t.Skip("skipping: AES-GCM is preferred only on amd64 with AES-NI")
	}
	sftpBin := testkit.NeedTool(t, "sftp")
	keygen := testkit.NeedTool(t, "ssh-keygen")
	tg := testkit.Start(t)
	dir := t.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command(keygen, "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		t.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	k, err := gateway.ParseKeyFile(pub)
	if err != nil {
		t.Fatal(err)
	}
	tg.AddUser(store.NewUser{Name: "ana", Role: store.RoleStaff, Department: "operaciones", Keys: []store.NewKey{k}})
	batch := filepath.Join(dir, "batch")
	os.WriteFile(batch, []byte("pwd\n"), 0o600)
	_, port, _ := net.SplitHostPort(tg.SFTPAddr)
	out, err := exec.Command(sftpBin, "-v", "-b", batch, "-i", key, "-P", port,
		"-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes",
		"-o", "IdentitiesOnly=yes", "ana@127.0.0.1").CombinedOutput()
	if err != nil {
		t.Fatalf("OpenSSH sftp failed: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`kex: client->server cipher: (\S+)`).FindSubmatch(out)
	if m == nil || string(m[1]) != "aes128-gcm@openssh.com" {
		t.Errorf("OpenSSH's sftp with its default ciphers negotiated %q, want aes128-gcm@openssh.com:\n%s", m, out)
	}

	chachaOnly := func(addr string) error {
		c, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{User: "ana", Auth: []ssh.AuthMethod{ssh.Password("x")},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
			Config: ssh.Config{Ciphers: []string{"chacha20-poly1305@openssh.com"}}})
		if err == nil {
			c.Close()
		}
		return err
	}
	// The wrong password fails the login; only a cipher mismatch fails
	// the key exchange before it.
	legacy := testkit.Start(t, "CUSTODIA_SFTP_LEGACY_CLIENTS=true")
	if err := chachaOnly(legacy.SFTPAddr); err == nil || regexp.MustCompile(`no common algorithm`).MatchString(err.Error()) {
		t.Errorf("with legacy_clients on, a ChaCha20-only client got %v, want a refused password", err)
	}
	if err := chachaOnly(tg.SFTPAddr); err == nil || !regexp.MustCompile(`no common algorithm`).MatchString(err.Error()) {
		t.Errorf("by default, a ChaCha20-only client got %v, want no common cipher", err)
	}
}

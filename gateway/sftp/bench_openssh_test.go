package sftp_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
)

// startSSHD runs OpenSSH's sshd with its sftp server on 127.0.0.1, as the
// yardstick the project measures itself against. It skips unless sshd is
// installed and the benchmark runs as root.
func startSSHD(b *testing.B) (*gosftp.Client, string) {
	sshd, err := exec.LookPath("sshd")
	if err != nil {
		sshd = "/usr/sbin/sshd"
	}
	if _, err := os.Stat(sshd); err != nil || os.Geteuid() != 0 {
		b.Skip("skipping: needs OpenSSH's sshd (apt-get install openssh-server) and root")
	}
	dir := b.TempDir()
	_, hostPriv, _ := ed25519.GenerateKey(rand.Reader)
	testkit.WriteKey(b, filepath.Join(dir, "host"), hostPriv)
	pub, userPriv, _ := ed25519.GenerateKey(rand.Reader)
	sshPub, _ := ssh.NewPublicKey(pub)
	os.WriteFile(filepath.Join(dir, "authorized_keys"), ssh.MarshalAuthorizedKey(sshPub), 0o600)
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := fmt.Sprintf("ListenAddress 127.0.0.1:%d\nHostKey %s\nAuthorizedKeysFile %s\nPermitRootLogin prohibit-password\n"+
		"StrictModes no\nPasswordAuthentication no\nSubsystem sftp internal-sftp\nPidFile %s\nUsePAM no\n",
		port, filepath.Join(dir, "host"), filepath.Join(dir, "authorized_keys"), filepath.Join(dir, "pid"))
	os.WriteFile(filepath.Join(dir, "sshd_config"), []byte(cfg), 0o600)
	os.MkdirAll("/run/sshd", 0o755)
	cmd := exec.Command(sshd, "-D", "-e", "-f", filepath.Join(dir, "sshd_config"))
	if err := cmd.Start(); err != nil {
		b.Skipf("skipping: sshd did not start: %v", err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	signer, _ := ssh.NewSignerFromKey(userPriv)
	var conn *ssh.Client
	for range 50 {
		conn, err = ssh.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port), &ssh.ClientConfig{
			User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(),
			Config: ssh.Config{Ciphers: []string{"aes128-gcm@openssh.com"}},
		})
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.Skipf("skipping: cannot log in to sshd: %v", err)
	}
	return pipelinedClient(b, conn), dir
}

// BenchmarkOpenSSHUpload is BenchmarkSFTPUpload against OpenSSH.
func BenchmarkOpenSSHUpload(b *testing.B) {
	c, dir := startSSHD(b)
	uploadLoop(b, c, testkit.BenchFile(b), filepath.Join(dir, "bench.bin"))
}

// BenchmarkOpenSSHDownload is BenchmarkSFTPDownload against OpenSSH.
func BenchmarkOpenSSHDownload(b *testing.B) {
	c, dir := startSSHD(b)
	testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(dir, "bench.bin"))
	downloadLoop(b, c, filepath.Join(dir, "bench.bin"))
}

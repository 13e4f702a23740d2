package sftp_test

import (
	"errors"
	"path/filepath"
	"testing"

	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/internal/yardstick"
)

// startSSHD runs OpenSSH's sshd with its sftp server on 127.0.0.1
// (internal/yardstick), as the yardstick the project measures itself
// against, and logs in with pkg/sftp's client. It skips unless sshd is
// installed and the benchmark runs as root.
func startSSHD(b *testing.B) (*gosftp.Client, string) {
	d, err := yardstick.StartSSHD(b.TempDir())
	if errors.Is(err, yardstick.ErrMissing) {
		b.Skipf("skipping: %v", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.Stop)
	conn, err := ssh.Dial("tcp", d.Addr, &ssh.ClientConfig{
		User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(d.Key.Signer)}, HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Config: ssh.Config{Ciphers: []string{"aes128-gcm@openssh.com"}},
	})
	if err != nil {
		b.Fatalf("cannot log in to sshd: %v", err)
	}
	return pipelinedClient(b, conn), d.Files
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

package ftp_test

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
)

// startVsftpd runs vsftpd on 127.0.0.1 with explicit FTPS required for the
// login and the data connections, as the yardstick for the FTPS benchmarks.
// It serves an anonymous user (vsftpd's local users need PAM and a system
// account) mapped to the system user daemon, whose home exists, with a
// writable "upload" folder; the TLS work is the same. It skips unless vsftpd
// is installed and the benchmark runs as root.
func startVsftpd(b *testing.B) (*ftp.ServerConn, string) {
	vsftpd, err := exec.LookPath("vsftpd")
	if err != nil {
		vsftpd = "/usr/sbin/vsftpd"
	}
	daemon, uerr := user.Lookup("daemon")
	if _, err := os.Stat(vsftpd); err != nil || uerr != nil || os.Geteuid() != 0 {
		b.Skip("skipping: needs vsftpd (apt-get install vsftpd), a daemon user and root")
	}
	uid, _ := strconv.Atoi(daemon.Uid)
	gid, _ := strconv.Atoi(daemon.Gid)
	dir := b.TempDir()
	root := filepath.Join(dir, "root")
	upload := filepath.Join(root, "upload")
	empty := filepath.Join(dir, "empty")
	for _, d := range []string{root, upload, empty} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			b.Fatal(err)
		}
	}
	// vsftpd refuses a writable anonymous root; the upload folder belongs
	// to the anonymous user.
	os.Chmod(dir, 0o755)
	os.Chown(upload, uid, gid)
	cert, err := gateway.LoadCertificate("", "", dir)
	if err != nil {
		b.Fatal(err)
	}
	ln, _ := net.Listen("tcp", "127.0.0.1:0")
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	cfg := fmt.Sprintf(`listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
listen_port=%d
background=NO
anonymous_enable=YES
local_enable=NO
no_anon_password=YES
ftp_username=daemon
anon_root=%s
write_enable=YES
anon_upload_enable=YES
anon_mkdir_write_enable=YES
anon_other_write_enable=YES
anon_umask=022
secure_chroot_dir=%s
seccomp_sandbox=NO
isolate=NO
isolate_network=NO
xferlog_enable=NO
pasv_enable=YES
pasv_address=127.0.0.1
ssl_enable=YES
allow_anon_ssl=YES
force_anon_logins_ssl=YES
force_anon_data_ssl=YES
ssl_tlsv1=YES
ssl_sslv2=NO
ssl_sslv3=NO
ssl_ciphers=HIGH
rsa_cert_file=%s
rsa_private_key_file=%s
`, port, root, empty, filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key"))
	conf := filepath.Join(dir, "vsftpd.conf")
	os.WriteFile(conf, []byte(cfg), 0o600)
	cmd := exec.Command(vsftpd, conf)
	if err := cmd.Start(); err != nil {
		b.Skipf("skipping: vsftpd did not start: %v", err)
	}
	b.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })

	// TLS 1.2: vsftpd 3.0.3 (Debian 12) fails uploads over TLS 1.3 with
	// "426 Failure reading network stream".
	pool := x509.NewCertPool()
	pool.AddCert(cert.Leaf)
	tlsConf := &tls.Config{RootCAs: pool, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(8),
		MaxVersion: tls.VersionTLS12}
	var c *ftp.ServerConn
	for range 50 {
		c, err = ftp.Dial(fmt.Sprintf("127.0.0.1:%d", port), ftp.DialWithExplicitTLS(tlsConf), ftp.DialWithTimeout(10*time.Second))
		if err == nil {
			err = c.Login("anonymous", "bench@")
		}
		if err == nil {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		b.Fatalf("cannot log in to vsftpd: %v", err)
	}
	b.Cleanup(func() { c.Quit() })
	return c, root
}

// BenchmarkVsftpdUpload is BenchmarkFTPSUpload against vsftpd.
func BenchmarkVsftpdUpload(b *testing.B) {
	c, _ := startVsftpd(b)
	ftpUploadLoop(b, c, testkit.BenchFile(b), "/upload/bench.bin")
}

// BenchmarkVsftpdDownload is BenchmarkFTPSDownload against vsftpd.
func BenchmarkVsftpdDownload(b *testing.B) {
	c, root := startVsftpd(b)
	testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(root, "bench.bin"))
	os.Chmod(filepath.Join(root, "bench.bin"), 0o644)
	ftpDownloadLoop(b, c, "/bench.bin")
}

// BenchmarkVsftpdSmallFiles is BenchmarkFTPSSmallFiles against vsftpd.
func BenchmarkVsftpdSmallFiles(b *testing.B) {
	c, _ := startVsftpd(b)
	ftpSmallFilesLoop(b, c, "/upload")
}

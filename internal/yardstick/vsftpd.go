package yardstick

import (
	"crypto/tls"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
)

// Vsftpd is vsftpd on a loopback port with explicit FTPS required for the
// login and every data connection. It serves an anonymous user (vsftpd's
// local users need PAM and a system account) mapped to the system user
// daemon, with a writable folder /upload (Root/upload on disk); the TLS
// work is the same as for a local user.
type Vsftpd struct {
	*Process
	Root string // the anonymous user's root on disk
	Cert *Cert
}

// StartVsftpd starts vsftpd with its configuration, certificate and
// files under dir (which the caller removes). It needs vsftpd, the system
// user daemon and root.
func StartVsftpd(dir string) (*Vsftpd, error) {
	if err := Need("vsftpd"); err != nil {
		return nil, err
	}
	if err := NeedRoot("vsftpd switches to the user daemon"); err != nil {
		return nil, err
	}
	daemon, err := user.Lookup("daemon")
	if err != nil {
		return nil, fmt.Errorf("%w: the system user daemon: %v", ErrMissing, err)
	}
	vsftpd, _ := Look("vsftpd")
	uid, _ := strconv.Atoi(daemon.Uid)
	gid, _ := strconv.Atoi(daemon.Gid)
	root := filepath.Join(dir, "root")
	upload := filepath.Join(root, "upload")
	empty := filepath.Join(dir, "empty")
	for _, d := range []string{root, upload, empty} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return nil, err
		}
	}
	// vsftpd refuses a writable anonymous root; the upload folder belongs
	// to the anonymous user.
	if err := os.Chmod(dir, 0o755); err != nil {
		return nil, err
	}
	if err := os.Chown(upload, uid, gid); err != nil {
		return nil, err
	}
	cert, err := NewCert(dir)
	if err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
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
max_clients=0
max_per_ip=0
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
`, port, root, empty, cert.CertFile, cert.KeyFile)
	conf := filepath.Join(dir, "vsftpd.conf")
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	p, err := Run(exec.Command(vsftpd, conf), fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("vsftpd: %w", err)
	}
	return &Vsftpd{Process: p, Root: root, Cert: cert}, nil
}

// ClientTLS is a client configuration for it: TLS 1.2 at most, since
// vsftpd 3.0.3 (Debian 12) fails uploads over TLS 1.3 with "426 Failure
// reading network stream".
func (v *Vsftpd) ClientTLS() *tls.Config {
	c := v.Cert.ClientTLS()
	c.MaxVersion = tls.VersionTLS12
	return c
}

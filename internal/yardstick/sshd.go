package yardstick

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// SSHD is OpenSSH's sshd on a loopback port with a configuration of its
// own (no PAM, key logins only, internal-sftp), serving root: Key logs
// in as root. Files is a scratch folder for the transfers.
type SSHD struct {
	*Process
	Port  int
	Key   *SSHKey
	Files string
}

// StartSSHD starts sshd with its configuration, keys and files under dir
// (which the caller removes). It needs openssh-server and root.
func StartSSHD(dir string) (*SSHD, error) {
	if err := Need("sshd"); err != nil {
		return nil, err
	}
	if err := NeedRoot("sshd logs in as root"); err != nil {
		return nil, err
	}
	sshd, _ := Look("sshd")
	host := filepath.Join(dir, "host_ed25519")
	if _, err := NewSSHKey(host); err != nil {
		return nil, err
	}
	key, err := NewSSHKey(filepath.Join(dir, "id_ed25519"))
	if err != nil {
		return nil, err
	}
	auth := filepath.Join(dir, "authorized_keys")
	if err := os.WriteFile(auth, key.AuthorizedKey, 0o600); err != nil {
		return nil, err
	}
	files := filepath.Join(dir, "files")
	if err := os.MkdirAll(files, 0o755); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	cfg := fmt.Sprintf("ListenAddress 127.0.0.1:%d\nHostKey %s\nAuthorizedKeysFile %s\nPermitRootLogin prohibit-password\n"+
		"StrictModes no\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nSubsystem sftp internal-sftp\n"+
		"PidFile %s\nUsePAM no\nMaxStartups 1000\nMaxSessions 1000\n",
		port, host, auth, filepath.Join(dir, "sshd.pid"))
	conf := filepath.Join(dir, "sshd_config")
	if err := os.WriteFile(conf, []byte(cfg), 0o600); err != nil {
		return nil, err
	}
	os.MkdirAll("/run/sshd", 0o755) // its privilege separation directory
	p, err := Run(exec.Command(sshd, "-D", "-e", "-f", conf), fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, fmt.Errorf("sshd: %w", err)
	}
	return &SSHD{Process: p, Port: port, Key: key, Files: files}, nil
}

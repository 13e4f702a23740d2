package main

import (
	"crypto/rand"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/oaq/custodia/internal/yardstick"
)

// startSFTPGo runs an SFTPGo binary (built by the user from its source,
// outside this repository: bench/README.md) on loopback with SFTP, FTPS
// (explicit TLS required) and WebDAV over HTTPS, its web admin off, and
// one user loaded from a dump into its memory data provider. It reads
// its page and e-mail templates even so: src is a folder holding its
// source's templates/, static/ and openapi/ (its source tree).
func startSFTPGo(bin, src, dir string) (*server, error) {
	for _, d := range []string{"templates", "static", "openapi"} {
		if st, err := os.Stat(filepath.Join(src, d)); err != nil || !st.IsDir() {
			return nil, fmt.Errorf("sftpgo needs its source's %s/ folder, not in %s: give its source tree with -sftpgo-source", d, src)
		}
	}
	cert, err := yardstick.NewCert(dir)
	if err != nil {
		return nil, err
	}
	key, err := yardstick.NewSSHKey(filepath.Join(dir, "id_ed25519"))
	if err != nil {
		return nil, err
	}
	home := filepath.Join(dir, "home")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	const user = "bench"
	pass := rand.Text()
	dump, err := json.Marshal(map[string]any{
		"version": 16,
		"users": []map[string]any{{
			"id": 1, "status": 1, "username": user, "password": pass,
			"public_keys": []string{strings.TrimSpace(string(key.AuthorizedKey))},
			"home_dir":    home, "uid": os.Geteuid(), "gid": os.Getegid(),
			"permissions": map[string][]string{"/": {"*"}},
			"filesystem":  map[string]any{"provider": 0},
		}},
	})
	if err != nil {
		return nil, err
	}
	users := filepath.Join(dir, "users.json")
	if err := os.WriteFile(users, dump, 0o600); err != nil {
		return nil, err
	}
	var ports [3]int
	for i := range ports {
		if ports[i], err = yardstick.FreePort(); err != nil {
			return nil, err
		}
	}
	env := []string{
		"SFTPGO_SFTPD__BINDINGS__0__ADDRESS=127.0.0.1", fmt.Sprintf("SFTPGO_SFTPD__BINDINGS__0__PORT=%d", ports[0]),
		"SFTPGO_FTPD__BINDINGS__0__ADDRESS=127.0.0.1", fmt.Sprintf("SFTPGO_FTPD__BINDINGS__0__PORT=%d", ports[1]),
		"SFTPGO_FTPD__BINDINGS__0__TLS_MODE=1", "SFTPGO_FTPD__BINDINGS__0__FORCE_PASSIVE_IP=127.0.0.1",
		"SFTPGO_FTPD__CERTIFICATE_FILE=" + cert.CertFile, "SFTPGO_FTPD__CERTIFICATE_KEY_FILE=" + cert.KeyFile,
		// 1000 small files over one session, each on a passive data
		// connection: more ports than its default 101.
		"SFTPGO_FTPD__PASSIVE_PORT_RANGE__START=50000", "SFTPGO_FTPD__PASSIVE_PORT_RANGE__END=52000",
		"SFTPGO_WEBDAVD__BINDINGS__0__ADDRESS=127.0.0.1", fmt.Sprintf("SFTPGO_WEBDAVD__BINDINGS__0__PORT=%d", ports[2]),
		"SFTPGO_WEBDAVD__BINDINGS__0__ENABLE_HTTPS=true",
		"SFTPGO_WEBDAVD__CERTIFICATE_FILE=" + cert.CertFile, "SFTPGO_WEBDAVD__CERTIFICATE_KEY_FILE=" + cert.KeyFile,
		"SFTPGO_HTTPD__BINDINGS__0__PORT=0", "SFTPGO_TELEMETRY__BIND_PORT=0",
		"SFTPGO_HTTPD__TEMPLATES_PATH=" + filepath.Join(src, "templates"),
		"SFTPGO_HTTPD__STATIC_FILES_PATH=" + filepath.Join(src, "static"),
		"SFTPGO_HTTPD__OPENAPI_PATH=" + filepath.Join(src, "openapi"),
		"SFTPGO_SMTP__TEMPLATES_PATH=" + filepath.Join(src, "templates"),
		"SFTPGO_COMMON__MAX_PER_HOST_CONNECTIONS=0",
		"SFTPGO_DATA_PROVIDER__DRIVER=memory", "SFTPGO_DATA_PROVIDER__NAME=" + users,
	}
	cmd := exec.Command(bin, "serve", "--config-dir", dir, "--log-file-path", filepath.Join(dir, "sftpgo.log"))
	for _, kv := range os.Environ() { // the user's own SFTPGO_* settings stay out
		if !strings.HasPrefix(kv, "SFTPGO_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	addr := func(p int) string { return fmt.Sprintf("127.0.0.1:%d", p) }
	p, err := yardstick.Run(cmd, addr(ports[0]), addr(ports[1]), addr(ports[2]))
	if err != nil {
		return nil, fmt.Errorf("sftpgo: %w (its log: %s)", err, filepath.Join(dir, "sftpgo.log"))
	}
	curl, err := yardstick.NewCurl(dir, "sftpgo", user, pass, cert.CertFile)
	if err != nil {
		p.Stop()
		return nil, err
	}
	tc := cert.ClientTLS()
	cols := []*column{
		{key: "sftpgo-sftp", title: "SFTPGo SFTP", proto: "sftp",
			sftp:  &yardstick.SFTPClient{Port: ports[0], User: user, Key: key.File, Dir: dir},
			login: login{proto: "sftp", addr: addr(ports[0]), user: user, pass: pass}},
		{key: "sftpgo-ftps", title: "SFTPGo FTPS", proto: "ftps", curl: curl,
			curlArgs: []string{"--ssl-reqd", "--connect-to", "localhost::" + addr(ports[1])}, url: "ftp://localhost",
			login: login{proto: "ftps", addr: addr(ports[1]), user: user, pass: pass, tls: tc}},
		{key: "sftpgo-webdav", title: "SFTPGo WebDAV", proto: "webdav", curl: curl,
			curlArgs: []string{"--connect-to", "localhost::" + addr(ports[2])}, url: "https://localhost",
			login: login{proto: "webdav", addr: addr(ports[2]), user: user, pass: pass, tls: tc}},
	}
	for _, c := range cols {
		c.pid = p.Pid()
	}
	return &server{columns: cols, stop: p.Stop}, nil
}

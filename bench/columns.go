package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"

	"github.com/oaq/custodia/internal/perf"
	"github.com/oaq/custodia/internal/yardstick"
)

// column is one server and protocol of the table, and how to reach it
// with each client.
type column struct {
	key, title string
	proto      string // sftp, ftps, webdav
	pid        int    // the server's process: the root of the tree measured
	folder     string // the folder uploads go to, as the clients name it ("/upload")
	sftp       *yardstick.SFTPClient
	curl       *yardstick.Curl
	curlArgs   []string // before the URL: --connect-to, --ssl-reqd…
	url        string   // curl's base URL ("ftp://localhost"), the folder appended
	login      login    // the Go clients'
}

// server is a started server and the columns it serves.
type server struct {
	columns []*column
	stop    func()
}

// startOpenSSH starts sshd with internal-sftp under dir.
func startOpenSSH(dir string) (*server, error) {
	d, err := yardstick.StartSSHD(dir)
	if err != nil {
		return nil, err
	}
	c := &column{key: "openssh", title: "OpenSSH", proto: "sftp", pid: d.Pid(), folder: d.Files,
		sftp:  &yardstick.SFTPClient{Port: d.Port, User: "root", Key: d.Key.File, Dir: dir},
		login: login{proto: "sftp", addr: d.Addr, user: "root", key: d.Key.Signer}}
	return &server{columns: []*column{c}, stop: d.Stop}, nil
}

// startVsftpd starts vsftpd with FTPS required under dir.
func startVsftpd(dir string) (*server, error) {
	v, err := yardstick.StartVsftpd(dir)
	if err != nil {
		return nil, err
	}
	curl, err := yardstick.NewCurl(dir, "vsftpd", "anonymous", "", v.Cert.CertFile)
	if err != nil {
		v.Stop()
		return nil, err
	}
	c := &column{key: "vsftpd", title: "vsftpd FTPS", proto: "ftps", pid: v.Pid(), folder: "/upload", curl: curl,
		// vsftpd 3.0.3 fails uploads over TLS 1.3 (see yardstick).
		curlArgs: []string{"--ssl-reqd", "--tls-max", "1.2", "--connect-to", "localhost::" + v.Addr}, url: "ftp://localhost",
		login: login{proto: "ftps", addr: v.Addr, user: "anonymous", pass: "bench@", tls: v.ClientTLS()}}
	return &server{columns: []*column{c}, stop: v.Stop}, nil
}

// startCustodia runs the custodia binary bin (its own process, as
// `custodia serve` runs) on a fresh data dir under dir, with users bench
// accounts of the staff of operaciones; the first also logs in with a key.
func startCustodia(ctx context.Context, bin, dir string, users int) (*server, error) {
	s, err := perf.Start(ctx, bin, dir, users)
	if err != nil {
		return nil, err
	}
	stop := func() { s.Stop() }
	key, err := yardstick.NewSSHKey(filepath.Join(dir, "id_ed25519"))
	if err != nil {
		stop()
		return nil, err
	}
	user, pass := s.Users[0], perf.Password(0)
	if _, err := s.CLI(ctx, "", "user", "key", "add", user, "--key", key.File+".pub"); err != nil {
		stop()
		return nil, err
	}
	_, sftpPort, _ := net.SplitHostPort(s.SFTP)
	port, _ := strconv.Atoi(sftpPort)
	cacert := filepath.Join(s.DataDir, "keys", "tls.crt")
	curl, err := yardstick.NewCurl(dir, "custodia", user, pass, cacert)
	if err != nil {
		stop()
		return nil, err
	}
	folder := "/" + perf.Dept
	cols := []*column{
		{key: "custodia-sftp", title: "custodia SFTP", proto: "sftp", folder: folder,
			sftp:  &yardstick.SFTPClient{Port: port, User: user, Key: key.File, Dir: dir},
			login: login{proto: "sftp", addr: s.SFTP, user: user, pass: pass}},
		{key: "custodia-ftps", title: "custodia FTPS", proto: "ftps", folder: folder, curl: curl,
			curlArgs: []string{"--ssl-reqd", "--connect-to", "localhost::" + s.FTP}, url: "ftp://localhost",
			login: login{proto: "ftps", addr: s.FTP, user: user, pass: pass, tls: s.TLS}},
		{key: "custodia-webdav", title: "custodia WebDAV", proto: "webdav", folder: folder, curl: curl,
			curlArgs: []string{"--connect-to", "localhost::" + s.DAV}, url: "https://localhost",
			login: login{proto: "webdav", addr: s.DAV, user: user, pass: pass, tls: s.TLS}},
	}
	for _, c := range cols {
		c.pid = s.Pid()
	}
	return &server{columns: cols, stop: stop}, nil
}

// columnKeys are every column's key, in the table's order.
var columnKeys = []string{"openssh", "vsftpd", "custodia-sftp", "custodia-ftps", "custodia-webdav",
	"sftpgo-sftp", "sftpgo-ftps", "sftpgo-webdav"}

// mkdir makes a scratch folder under the run's.
func mkdir(parent, name string) (string, error) {
	d := filepath.Join(parent, name)
	if err := os.MkdirAll(d, 0o755); err != nil {
		return "", fmt.Errorf("scratch folder: %w", err)
	}
	return d, nil
}

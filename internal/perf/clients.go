package perf

import (
	"context"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jlaffaye/ftp"
	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// Protocols are the front ends the benchmarks drive.
var Protocols = []string{"sftp", "ftps", "webdav"}

// Session is one client logged in over one protocol.
type Session interface {
	// Upload streams size bytes into vpath and returns once the server
	// acknowledged it (so once it is durable and audited).
	Upload(vpath string, size int64) error
	// Ping is a cheap request that shows the session is still there.
	Ping() error
	Close()
}

// Dial logs in user over proto.
func (s *Server) Dial(proto, user, pass string) (Session, error) {
	switch proto {
	case "sftp":
		return dialSFTP(s.SFTP, user, pass)
	case "ftps":
		return dialFTPS(s.FTP, s.TLS, user, pass)
	case "webdav":
		return dialDAV(s.DAV, s.TLS, user, pass)
	}
	return nil, fmt.Errorf("no protocol %q", proto)
}

var dialer = net.Dialer{Timeout: 10 * time.Second}

// SFTP, through pkg/sftp with concurrent writes (64 requests in flight,
// as OpenSSH's sftp keeps).

type sftpSession struct {
	ssh *ssh.Client
	c   *gosftp.Client
}

func dialSFTP(addr, user, pass string) (Session, error) {
	cc, err := ssh.Dial("tcp", addr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(pass)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second,
	})
	if err != nil {
		return nil, err
	}
	c, err := gosftp.NewClient(cc, gosftp.UseConcurrentWrites(true))
	if err != nil {
		cc.Close()
		return nil, err
	}
	return &sftpSession{ssh: cc, c: c}, nil
}

func (s *sftpSession) Upload(vpath string, size int64) error {
	f, err := s.c.Create(vpath)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(NewBody(size)); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (s *sftpSession) Ping() error { _, err := s.c.Stat("/" + Dept); return err }

func (s *sftpSession) Close() { s.c.Close(); s.ssh.Close() }

// FTPS: explicit TLS, passive data connections, through jlaffaye/ftp.

type ftpsSession struct{ c *ftp.ServerConn }

func dialFTPS(addr string, tc *tls.Config, user, pass string) (Session, error) {
	c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(tc), ftp.DialWithTimeout(30*time.Second))
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, pass); err != nil {
		c.Quit()
		return nil, err
	}
	return &ftpsSession{c: c}, nil
}

func (s *ftpsSession) Upload(vpath string, size int64) error { return s.c.Stor(vpath, NewBody(size)) }

func (s *ftpsSession) Ping() error { return s.c.NoOp() }

func (s *ftpsSession) Close() { s.c.Quit() }

// WebDAV over HTTPS (HTTP/1.1), Basic, one keep-alive connection.

type davSession struct {
	base, user, pass string
	tr               *http.Transport
	hc               *http.Client
}

func dialDAV(addr string, tc *tls.Config, user, pass string) (Session, error) {
	tr := &http.Transport{DialContext: dialer.DialContext, TLSClientConfig: tc, MaxIdleConnsPerHost: 1,
		MaxConnsPerHost: 1, IdleConnTimeout: time.Hour}
	s := &davSession{base: "https://" + addr, user: user, pass: pass, tr: tr, hc: &http.Client{Transport: tr}}
	if err := s.Ping(); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

func (s *davSession) do(method, vpath string, body io.Reader, size int64, want ...int) error {
	req, err := http.NewRequestWithContext(context.Background(), method, s.base+vpath, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.SetBasicAuth(s.user, s.pass)
	if method == "PROPFIND" {
		req.Header.Set("Depth", "0")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	for _, w := range want {
		if resp.StatusCode == w {
			return err
		}
	}
	return fmt.Errorf("%s %s: %s: %s", method, vpath, resp.Status, strings.TrimSpace(string(b[:min(len(b), 200)])))
}

func (s *davSession) Upload(vpath string, size int64) error {
	return s.do(http.MethodPut, vpath, NewBody(size), size, http.StatusCreated, http.StatusNoContent)
}

func (s *davSession) Ping() error {
	return s.do("PROPFIND", "/"+Dept+"/", nil, 0, http.StatusMultiStatus)
}

func (s *davSession) Close() { s.tr.CloseIdleConnections() }

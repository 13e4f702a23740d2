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

// Dial logs in user over proto as the n-th client: its connections come
// from a loopback address of its own (Client), so that each is a session
// of its own to the server too (WebDAV keeps one session per user,
// password and address).
func (s *Server) Dial(proto, user, pass string, n int) (Session, error) {
	d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: Client(n)}}
	switch proto {
	case "sftp":
		return dialSFTP(d, s.SFTP, user, pass)
	case "ftps":
		return dialFTPS(d, s.FTP, s.TLS, user, pass)
	case "webdav":
		return dialDAV(d, s.DAV, s.TLS, user, pass)
	}
	return nil, fmt.Errorf("no protocol %q", proto)
}

// Client is the n-th client's loopback address: 127.10.0.1 on (62,500 of
// them).
func Client(n int) net.IP { return net.IPv4(127, 10, byte(n/250), byte(n%250+1)) }

// The deadlines of the clients' operations: a hung server fails the
// benchmark instead of stalling it.
const (
	loginTimeout  = 30 * time.Second
	pingTimeout   = 30 * time.Second
	uploadTimeout = 10 * time.Minute
)

// bounded runs op and closes the session (which ends op) when it takes
// longer than d.
func bounded(d time.Duration, abort func(), op func() error) error {
	timer := time.AfterFunc(d, abort)
	err := op()
	if !timer.Stop() {
		return fmt.Errorf("no answer within %s (%v)", d, err)
	}
	return err
}

// SFTP, through pkg/sftp with concurrent writes (64 requests in flight,
// as OpenSSH's sftp keeps).

type sftpSession struct {
	ssh *ssh.Client
	c   *gosftp.Client
}

func dialSFTP(d *net.Dialer, addr, user, pass string) (Session, error) {
	nc, err := d.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	var s *sftpSession
	err = bounded(loginTimeout, func() { nc.Close() }, func() error {
		conn, chans, reqs, err := ssh.NewClientConn(nc, addr, &ssh.ClientConfig{
			User: user, Auth: []ssh.AuthMethod{ssh.Password(pass)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		})
		if err != nil {
			return err
		}
		cc := ssh.NewClient(conn, chans, reqs)
		c, err := gosftp.NewClient(cc, gosftp.UseConcurrentWrites(true))
		if err != nil {
			cc.Close()
			return err
		}
		s = &sftpSession{ssh: cc, c: c}
		return nil
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

func (s *sftpSession) Upload(vpath string, size int64) error {
	return bounded(uploadTimeout, s.Close, func() error {
		f, err := s.c.Create(vpath)
		if err != nil {
			return err
		}
		if _, err := f.ReadFrom(NewBody(size)); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

func (s *sftpSession) Ping() error {
	return bounded(pingTimeout, s.Close, func() error { _, err := s.c.Stat("/" + Dept); return err })
}

func (s *sftpSession) Close() { s.c.Close(); s.ssh.Close() }

// FTPS: explicit TLS, passive data connections, through jlaffaye/ftp.

// ftpsSession keeps its control connection, to close it when an
// operation overruns its deadline.
type ftpsSession struct {
	c   *ftp.ServerConn
	ctl net.Conn
}

func dialFTPS(d *net.Dialer, addr string, tc *tls.Config, user, pass string) (Session, error) {
	s := &ftpsSession{}
	// The first connection is the control one (the library upgrades it
	// after AUTH TLS); every later one is a data connection, TLS from its
	// first byte (the library leaves that to a dial function of ours).
	dial := func(network, addr string) (net.Conn, error) {
		c, err := d.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		if s.ctl == nil {
			s.ctl = c
			return c, nil
		}
		return tls.Client(c, tc), nil
	}
	c, err := ftp.Dial(addr, ftp.DialWithExplicitTLS(tc), ftp.DialWithDialFunc(dial), ftp.DialWithShutTimeout(10*time.Second))
	if err != nil {
		return nil, err
	}
	s.c = c
	if err := bounded(loginTimeout, s.abort, func() error { return c.Login(user, pass) }); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

func (s *ftpsSession) abort() { s.ctl.Close() }

func (s *ftpsSession) Upload(vpath string, size int64) error {
	return bounded(uploadTimeout, s.abort, func() error { return s.c.Stor(vpath, NewBody(size)) })
}

func (s *ftpsSession) Ping() error { return bounded(pingTimeout, s.abort, s.c.NoOp) }

func (s *ftpsSession) Close() {
	if bounded(pingTimeout, s.abort, s.c.Quit) != nil {
		s.abort()
	}
}

// WebDAV over HTTPS (HTTP/1.1), Basic, one keep-alive connection.

type davSession struct {
	base, user, pass string
	tr               *http.Transport
	hc               *http.Client
}

func dialDAV(d *net.Dialer, addr string, tc *tls.Config, user, pass string) (Session, error) {
	tr := &http.Transport{DialContext: d.DialContext, TLSClientConfig: tc, MaxIdleConnsPerHost: 1,
		MaxConnsPerHost: 1, IdleConnTimeout: time.Hour}
	s := &davSession{base: "https://" + addr, user: user, pass: pass, tr: tr, hc: &http.Client{Transport: tr}}
	if err := s.Ping(); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

func (s *davSession) do(method, vpath string, body io.Reader, size int64, want ...int) error {
	timeout := pingTimeout
	if body != nil {
		timeout = uploadTimeout
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, s.base+vpath, body)
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

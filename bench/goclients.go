package main

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

	"github.com/oaq/custodia/internal/perf"
)

// goClient is one logged-in session of a Go client: pkg/sftp, jlaffaye/ftp
// or net/http. Each dials from a loopback address of its own (the n-th
// client's, perf.Client), so that per-address limits and a server's
// session-per-address bookkeeping see distinct clients.
type goClient interface {
	Upload(path string, r io.Reader, size int64) error
	Download(path string) (int64, error)
	Close()
}

// login says how to log in to a server with a Go client.
type login struct {
	proto string // sftp, ftps, webdav
	addr  string // host:port on loopback
	user  string
	pass  string      // password ("" with a key)
	key   ssh.Signer  // SFTP key login
	tls   *tls.Config // FTPS and WebDAV
}

// dial logs in as the n-th client; the session closes when ctx ends (so
// that a hung server cannot stall the run past its deadline).
func (l login) dial(ctx context.Context, n int) (goClient, error) {
	d := &net.Dialer{Timeout: 30 * time.Second, LocalAddr: &net.TCPAddr{IP: perf.Client(n)}}
	var (
		c   goClient
		err error
	)
	switch l.proto {
	case "sftp":
		c, err = l.dialSFTP(ctx, d)
	case "ftps":
		c, err = l.dialFTPS(d)
	case "webdav":
		c, err = l.dialDAV(d)
	default:
		return nil, fmt.Errorf("no protocol %q", l.proto)
	}
	if err != nil {
		return nil, fmt.Errorf("%s login to %s: %w", l.proto, l.addr, err)
	}
	context.AfterFunc(ctx, c.Close)
	return c, nil
}

type sftpClient struct {
	ssh *ssh.Client
	c   *gosftp.Client
}

func (l login) dialSFTP(ctx context.Context, d *net.Dialer) (goClient, error) {
	nc, err := d.DialContext(ctx, "tcp", l.addr)
	if err != nil {
		return nil, err
	}
	auth := ssh.Password(l.pass)
	if l.key != nil {
		auth = ssh.PublicKeys(l.key)
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second)) // the login's
	conn, chans, reqs, err := ssh.NewClientConn(nc, l.addr, &ssh.ClientConfig{
		User: l.user, Auth: []ssh.AuthMethod{auth}, HostKeyCallback: ssh.InsecureIgnoreHostKey()})
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	cc := ssh.NewClient(conn, chans, reqs)
	// 64 requests in flight per file, as OpenSSH's sftp keeps.
	c, err := gosftp.NewClient(cc, gosftp.UseConcurrentWrites(true), gosftp.UseConcurrentReads(true),
		gosftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		cc.Close()
		return nil, err
	}
	return &sftpClient{ssh: cc, c: c}, nil
}

func (s *sftpClient) Upload(path string, r io.Reader, size int64) error {
	f, err := s.c.Create(path)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(r); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func (s *sftpClient) Download(path string) (int64, error) {
	f, err := s.c.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return f.WriteTo(io.Discard)
}

func (s *sftpClient) Close() { s.c.Close(); s.ssh.Close() }

// ftpsClient: explicit TLS, passive data connections (PROT P).
type ftpsClient struct {
	c   *ftp.ServerConn
	ctl net.Conn
}

func (l login) dialFTPS(d *net.Dialer) (goClient, error) {
	s := &ftpsClient{}
	// The first connection is the control one (the library upgrades it
	// after AUTH TLS); every later one is a data connection, TLS from its
	// first byte (with a dial function, the library leaves that to us).
	dial := func(network, addr string) (net.Conn, error) {
		c, err := d.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		if s.ctl == nil {
			s.ctl = c
			return c, nil
		}
		return tls.Client(c, l.tls), nil
	}
	c, err := ftp.Dial(l.addr, ftp.DialWithExplicitTLS(l.tls), ftp.DialWithDialFunc(dial),
		ftp.DialWithShutTimeout(30*time.Second))
	if err != nil {
		return nil, err
	}
	s.c = c
	s.ctl.SetDeadline(time.Now().Add(30 * time.Second))
	if err := c.Login(l.user, l.pass); err != nil {
		s.ctl.Close()
		return nil, err
	}
	s.ctl.SetDeadline(time.Time{})
	return s, nil
}

func (s *ftpsClient) Upload(path string, r io.Reader, _ int64) error { return s.c.Stor(path, r) }

func (s *ftpsClient) Download(path string) (int64, error) {
	r, err := s.c.Retr(path)
	if err != nil {
		return 0, err
	}
	n, err := io.Copy(io.Discard, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	return n, err
}

func (s *ftpsClient) Close() { s.ctl.Close() }

// davClient: WebDAV over HTTPS (HTTP/1.1), Basic, one keep-alive
// connection.
type davClient struct {
	l  login
	tr *http.Transport
	hc *http.Client
}

func (l login) dialDAV(d *net.Dialer) (goClient, error) {
	tr := &http.Transport{DialContext: d.DialContext, TLSClientConfig: l.tls, MaxIdleConnsPerHost: 1,
		MaxConnsPerHost: 1, IdleConnTimeout: time.Hour}
	c := &davClient{l: l, tr: tr, hc: &http.Client{Transport: tr}}
	// A PROPFIND of the root logs in (and leaves the connection open).
	if err := c.do("PROPFIND", "/", nil, 0, http.StatusMultiStatus); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return c, nil
}

func (c *davClient) do(method, path string, body io.Reader, size int64, want ...int) error {
	req, err := http.NewRequest(method, "https://"+c.l.addr+path, body)
	if err != nil {
		return err
	}
	req.ContentLength = size
	req.SetBasicAuth(c.l.user, c.l.pass)
	if method == "PROPFIND" {
		req.Header.Set("Depth", "0")
	}
	resp, err := c.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	for _, w := range want {
		if resp.StatusCode == w {
			return err
		}
	}
	return fmt.Errorf("%s %s: %s: %s", method, path, resp.Status, strings.TrimSpace(string(b[:min(len(b), 200)])))
}

func (c *davClient) Upload(path string, r io.Reader, size int64) error {
	return c.do(http.MethodPut, path, r, size, http.StatusCreated, http.StatusNoContent, http.StatusOK)
}

func (c *davClient) Download(path string) (int64, error) {
	req, err := http.NewRequest(http.MethodGet, "https://"+c.l.addr+path, nil)
	if err != nil {
		return 0, err
	}
	req.SetBasicAuth(c.l.user, c.l.pass)
	resp, err := c.hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET %s: %s", path, resp.Status)
	}
	return io.Copy(io.Discard, resp.Body)
}

func (c *davClient) Close() { c.tr.CloseIdleConnections() }

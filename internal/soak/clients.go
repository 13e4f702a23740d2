package soak

import (
	"bytes"
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

// session is one honest client logged in over one protocol.
type session interface {
	keepalive() error
	put(vpath string, body []byte) error
	get(vpath string) ([]byte, error)
	remove(vpath string) error
	close()
}

// target is where and as whom a client connects.
type target struct {
	srv   *Server
	tls   *tls.Config // trusts the server's certificate
	local net.IP      // the client's own loopback address
	user  string
	pass  string
}

func (t target) dialer() net.Dialer {
	return net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: t.local}}
}

// opTimeout bounds every operation: a hung one is an error, not a stall.
const opTimeout = 60 * time.Second

// bounded runs op and closes the session when it takes longer than opTimeout.
func bounded(abort func(), op func() error) error {
	timer := time.AfterFunc(opTimeout, abort)
	err := op()
	if !timer.Stop() {
		return fmt.Errorf("no answer within %s (%v)", opTimeout, err)
	}
	return err
}

// SFTP

type sftpSession struct {
	nc  net.Conn
	ssh *ssh.Client
	c   *gosftp.Client
}

func dialSFTP(t target) (session, error) {
	d := t.dialer()
	nc, err := d.Dial("tcp", t.srv.SFTP)
	if err != nil {
		return nil, err
	}
	s := &sftpSession{nc: nc}
	err = bounded(func() { nc.Close() }, func() error {
		cc, chans, reqs, err := ssh.NewClientConn(nc, t.srv.SFTP, &ssh.ClientConfig{
			User: t.user, Auth: []ssh.AuthMethod{ssh.Password(t.pass)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 10 * time.Second,
		})
		if err != nil {
			return err
		}
		s.ssh = ssh.NewClient(cc, chans, reqs)
		s.c, err = gosftp.NewClient(s.ssh)
		return err
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	return s, nil
}

func (s *sftpSession) abort() { s.nc.Close() }

func (s *sftpSession) keepalive() error {
	return bounded(s.abort, func() error { _, err := s.c.Stat("/operaciones"); return err })
}

func (s *sftpSession) put(vpath string, body []byte) error {
	return bounded(s.abort, func() error {
		f, err := s.c.Create(vpath)
		if err != nil {
			return err
		}
		if _, err := f.ReadFrom(bytes.NewReader(body)); err != nil {
			f.Close()
			return err
		}
		return f.Close()
	})
}

func (s *sftpSession) get(vpath string) ([]byte, error) {
	var b []byte
	err := bounded(s.abort, func() error {
		f, err := s.c.Open(vpath)
		if err != nil {
			return err
		}
		defer f.Close()
		var buf bytes.Buffer
		_, err = f.WriteTo(&buf)
		b = buf.Bytes()
		return err
	})
	return b, err
}

func (s *sftpSession) remove(vpath string) error {
	return bounded(s.abort, func() error { return s.c.Remove(vpath) })
}

func (s *sftpSession) close() {
	if s.c != nil {
		s.c.Close()
	}
	if s.ssh != nil {
		s.ssh.Close()
	}
	s.nc.Close()
}

// FTPS (explicit TLS, passive data connections from the same address)

type ftpSession struct {
	c   *ftp.ServerConn
	ctl net.Conn // the control connection's TCP, for deadlines
}

func dialFTP(t target) (session, error) {
	s := &ftpSession{}
	d := t.dialer()
	// The first connection is the control one (the library upgrades it
	// after AUTH TLS); every later one is a data connection, TLS from its
	// first byte, with its whole transfer bounded.
	dial := func(network, addr string) (net.Conn, error) {
		c, err := d.Dial(network, addr)
		if err != nil {
			return nil, err
		}
		c.SetDeadline(time.Now().Add(opTimeout))
		if s.ctl == nil {
			s.ctl = c
			return c, nil
		}
		return tls.Client(c, t.tls), nil
	}
	c, err := ftp.Dial(t.srv.FTP, ftp.DialWithExplicitTLS(t.tls), ftp.DialWithDialFunc(dial))
	if err != nil {
		return nil, err
	}
	s.c = c
	if err := s.bound(func() error { return c.Login(t.user, t.pass) }); err != nil {
		c.Quit()
		return nil, err
	}
	return s, nil
}

// bound gives one command (and its transfer) opTimeout to finish.
func (s *ftpSession) bound(op func() error) error {
	s.ctl.SetDeadline(time.Now().Add(opTimeout))
	return op()
}

func (s *ftpSession) keepalive() error { return s.bound(s.c.NoOp) }

func (s *ftpSession) put(vpath string, body []byte) error {
	return s.bound(func() error { return s.c.Stor(vpath, bytes.NewReader(body)) })
}

func (s *ftpSession) get(vpath string) ([]byte, error) {
	var b []byte
	err := s.bound(func() error {
		r, err := s.c.Retr(vpath)
		if err != nil {
			return err
		}
		b, err = io.ReadAll(r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return b, err
}

func (s *ftpSession) remove(vpath string) error {
	return s.bound(func() error { return s.c.Delete(vpath) })
}

func (s *ftpSession) close() {
	s.ctl.SetDeadline(time.Now().Add(5 * time.Second))
	s.c.Quit()
}

// WebDAV (HTTPS, Basic, one keep-alive connection per session)

type davSession struct {
	base string
	t    target
	hc   *http.Client
	tr   *http.Transport
}

func dialDAV(t target) (session, error) {
	d := t.dialer()
	tr := &http.Transport{
		DialContext: d.DialContext, TLSClientConfig: t.tls, MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1,
		IdleConnTimeout: 10 * time.Minute, ForceAttemptHTTP2: false,
	}
	s := &davSession{base: "https://" + t.srv.DAV, t: t, tr: tr, hc: &http.Client{Transport: tr, Timeout: opTimeout}}
	// The first request is the login.
	if err := s.keepalive(); err != nil {
		tr.CloseIdleConnections()
		return nil, err
	}
	return s, nil
}

func (s *davSession) do(method, vpath string, body []byte, want ...int) ([]byte, error) {
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, s.base+vpath, rd)
	if err != nil {
		return nil, err
	}
	req.SetBasicAuth(s.t.user, s.t.pass)
	if method == "PROPFIND" {
		req.Header.Set("Depth", "0")
	}
	resp, err := s.hc.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	for _, w := range want {
		if resp.StatusCode == w {
			return b, err
		}
	}
	return nil, fmt.Errorf("%s %s: %s: %s", method, vpath, resp.Status, strings.TrimSpace(string(b[:min(len(b), 200)])))
}

func (s *davSession) keepalive() error {
	_, err := s.do("PROPFIND", "/operaciones/", nil, http.StatusMultiStatus)
	return err
}

func (s *davSession) put(vpath string, body []byte) error {
	_, err := s.do(http.MethodPut, vpath, body, http.StatusCreated, http.StatusNoContent, http.StatusOK)
	return err
}

func (s *davSession) get(vpath string) ([]byte, error) {
	return s.do(http.MethodGet, vpath, nil, http.StatusOK)
}

func (s *davSession) remove(vpath string) error {
	_, err := s.do(http.MethodDelete, vpath, nil, http.StatusNoContent, http.StatusOK)
	return err
}

func (s *davSession) close() { s.tr.CloseIdleConnections() }

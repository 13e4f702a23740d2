package soak

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/jlaffaye/ftp"
	"golang.org/x/crypto/ssh"
)

// Strangers come from their own loopback addresses (127.2.x.x failing
// logins, 127.3.x.x anonymous), so the defender's bans and the per-address
// limits they earn never touch the honest clients on 127.1.x.x.

// loopback returns 127.a.b.c for a host number n ≥ 0 within 127.a.0.0/16.
func loopback(a byte, n int) net.IP {
	return net.IPv4(127, a, byte(n/250), byte(n%250+1))
}

// sleep waits d or until ctx ends; it reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// runAnonymous holds a connection that never logs in, pokes it now and
// then the way a slow attacker would (FTP NOOP, WebDAV OPTIONS, an SSH
// banner and silence), and reconnects when the server closes it.
func runAnonymous(ctx context.Context, st *Stats, t target, proto string) {
	who := "anonymous " + proto
	for sleep(ctx, 0) {
		var err error
		switch proto {
		case "webdav":
			err = anonymousDAV(ctx, st, t)
		default:
			err = anonymousRaw(ctx, st, t, proto)
		}
		if ctx.Err() != nil {
			st.expect(who, "still connected at the end")
			return
		}
		st.expect(who, what(err))
		if !sleep(ctx, time.Second) {
			return
		}
	}
}

// what names how a stranger's connection ended, for the report.
func what(err error) string {
	var ne net.Error
	switch {
	case err == nil:
		return "closed by the server"
	case errors.As(err, &ne) && ne.Timeout():
		return "timed out"
	case strings.Contains(err.Error(), "421"):
		return "refused (421)"
	case strings.Contains(err.Error(), "refused"):
		return "connection refused"
	case strings.Contains(err.Error(), "reset"):
		return "reset by the server"
	}
	return "closed by the server"
}

// anonymousRaw holds an FTP or SSH connection without logging in until the
// server ends it (nil) or dialing fails.
func anonymousRaw(ctx context.Context, st *Stats, t target, proto string) error {
	d := t.dialer()
	addr := t.srv.FTP
	if proto == "sftp" {
		addr = t.srv.SFTP
	}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	defer c.Close()
	r := bufio.NewReader(c)
	if proto == "sftp" {
		fmt.Fprintf(c, "SSH-2.0-soak_anonymous\r\n")
	} else {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		line, err := r.ReadString('\n')
		if err != nil {
			return err
		}
		if strings.HasPrefix(line, "421") {
			return errors.New("421 at the greeting")
		}
	}
	for {
		c.SetReadDeadline(time.Now().Add(10 * time.Second))
		_, err := r.ReadString('\n')
		var ne net.Error
		switch {
		case errors.As(err, &ne) && ne.Timeout():
			if proto == "ftp" {
				if _, err := fmt.Fprintf(c, "NOOP\r\n"); err != nil {
					return nil
				}
			}
		case err != nil:
			return nil // the server closed it (EOF or reset)
		}
	}
}

// anonymousDAV sends OPTIONS without credentials on one keep-alive
// connection every 10 s.
func anonymousDAV(ctx context.Context, st *Stats, t target) error {
	d := t.dialer()
	tr := &http.Transport{DialContext: d.DialContext, TLSClientConfig: t.tls, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1}
	defer tr.CloseIdleConnections()
	hc := &http.Client{Transport: tr, Timeout: opTimeout}
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodOptions, "https://"+t.srv.DAV+"/", nil)
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		resp.Body.Close()
		st.expect("anonymous webdav", fmt.Sprintf("OPTIONS answered %d", resp.StatusCode))
		if !sleep(ctx, 10*time.Second) {
			return nil
		}
	}
}

// runFailing tries a wrong password (or an unknown user) every 5 to 10 s,
// moving to the next address of its own range every six attempts, since
// the defender bans an address after a few failures.
func runFailing(ctx context.Context, st *Stats, t target, proto string, id int) {
	rng := rand.New(rand.NewPCG(uint64(id), 2))
	who := "failing login " + proto
	for n := 0; sleep(ctx, time.Duration(5000+rng.IntN(5000))*time.Millisecond); n++ {
		ft := t
		ft.local = loopback(2, id*1000+n/6)
		ft.pass = "Wrong-password-2026"
		if rng.IntN(2) == 0 {
			ft.user = fmt.Sprintf("nobody%d", rng.IntN(100))
		}
		err := failLogin(ctx, ft, proto)
		if ctx.Err() != nil {
			return
		}
		if err == nil {
			st.fail(proto, "failing login", errors.New("a wrong password was accepted"))
			continue
		}
		st.expect(who, refusal(err))
	}
}

// refusal names how a failed login was refused.
func refusal(err error) string {
	s := err.Error()
	switch {
	case strings.Contains(s, "421"):
		return "refused at connect (421)"
	case strings.Contains(s, "530"), strings.Contains(s, "unable to authenticate"), s == "answered 401":
		return "login refused"
	case strings.HasPrefix(s, "answered "):
		return s
	}
	return what(err)
}

func failLogin(ctx context.Context, t target, proto string) error {
	switch proto {
	case "sftp":
		d := t.dialer()
		nc, err := d.DialContext(ctx, "tcp", t.srv.SFTP)
		if err != nil {
			return err
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(opTimeout))
		cc, _, _, err := ssh.NewClientConn(nc, t.srv.SFTP, &ssh.ClientConfig{
			User: t.user, Auth: []ssh.AuthMethod{ssh.Password(t.pass)},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		})
		if err == nil {
			cc.Close()
		}
		return err
	case "ftps":
		d := t.dialer()
		dial := func(network, addr string) (net.Conn, error) { // the control connection only
			c, err := d.DialContext(ctx, network, addr)
			if err == nil {
				c.SetDeadline(time.Now().Add(opTimeout))
			}
			return c, err
		}
		c, err := ftp.Dial(t.srv.FTP, ftp.DialWithExplicitTLS(t.tls), ftp.DialWithDialFunc(dial))
		if err != nil {
			return err
		}
		defer c.Quit()
		return c.Login(t.user, t.pass)
	}
	d := t.dialer()
	tr := &http.Transport{DialContext: d.DialContext, TLSClientConfig: t.tls}
	defer tr.CloseIdleConnections()
	req, _ := http.NewRequestWithContext(ctx, "PROPFIND", "https://"+t.srv.DAV+"/", nil)
	req.SetBasicAuth(t.user, t.pass)
	req.Header.Set("Depth", "0")
	resp, err := (&http.Client{Transport: tr, Timeout: opTimeout}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusMultiStatus {
		return nil
	}
	return fmt.Errorf("answered %d", resp.StatusCode)
}

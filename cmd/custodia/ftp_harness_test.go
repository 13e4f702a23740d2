package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// clientTLS trusts only the gateway's generated certificate, as a client
// that pinned it on first connection would.
func (tg *testGateway) clientTLS() *tls.Config {
	tg.t.Helper()
	pem, err := os.ReadFile(filepath.Join(tg.dataDir, "keys", "tls.crt"))
	if err != nil {
		tg.t.Fatalf("the generated TLS certificate is not in the data dir: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		tg.t.Fatal("the generated TLS certificate does not parse")
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(8)}
}

// dialFTP logs in over explicit FTPS (AUTH TLS, PROT P) with a password.
func (tg *testGateway) dialFTP(user, password string, opts ...ftp.DialOption) (*ftp.ServerConn, error) {
	opts = append([]ftp.DialOption{ftp.DialWithExplicitTLS(tg.clientTLS()), ftp.DialWithTimeout(10 * time.Second)}, opts...)
	c, err := ftp.Dial(tg.ftpAddr, opts...)
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, password); err != nil {
		c.Quit()
		return nil, err
	}
	return c, nil
}

// ftp logs in with testPassword over explicit FTPS.
func (tg *testGateway) ftp(user string) *ftp.ServerConn {
	tg.t.Helper()
	c, err := tg.dialFTP(user, testPassword)
	if err != nil {
		tg.t.Fatalf("%s cannot log in over FTPS: %v", user, err)
	}
	tg.t.Cleanup(func() { c.Quit() })
	return c
}

// ftpOutcome classifies an FTP error the way outcome does for SFTP:
// both denied and not found are 550, told apart by the neutral text.
func ftpOutcome(err error) string {
	var te *textproto.Error
	switch {
	case err == nil:
		return "ok"
	case errors.As(err, &te) && te.Code == 550 && strings.Contains(te.Msg, "No such file or folder"):
		return "notfound"
	case errors.As(err, &te) && te.Code == 550 && strings.Contains(te.Msg, "Permission denied"):
		return "denied"
	}
	return "error: " + err.Error()
}

// rawFTP is a hand-driven FTPS control connection, for what client
// libraries hide: clear-text commands, ABOR, HASH, dropped connections.
type rawFTP struct {
	t    testing.TB
	conn net.Conn
	tp   *textproto.Conn
	tls  *tls.Config
}

// rawFTPConn dials addr and reads the greeting; implicit starts with TLS.
func (tg *testGateway) rawFTPConn(addr string, implicit bool) *rawFTP {
	tg.t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		tg.t.Fatal(err)
	}
	r := &rawFTP{t: tg.t, conn: conn, tls: tg.clientTLS()}
	if implicit {
		r.conn = tls.Client(conn, r.tls)
	}
	r.tp = textproto.NewConn(r.conn)
	tg.t.Cleanup(func() { r.conn.Close() })
	r.conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, _, err := r.tp.ReadResponse(220); err != nil {
		tg.t.Fatalf("no FTP greeting: %v", err)
	}
	return r
}

// cmd sends a command and returns the reply's code and text.
func (r *rawFTP) cmd(format string, args ...any) (int, string) {
	r.t.Helper()
	if err := r.tp.PrintfLine(format, args...); err != nil {
		return 0, err.Error()
	}
	code, msg, err := r.tp.ReadResponse(0)
	if err != nil && code == 0 {
		return 0, err.Error()
	}
	return code, msg
}

// expect sends a command that must get the given code.
func (r *rawFTP) expect(code int, format string, args ...any) string {
	r.t.Helper()
	got, msg := r.cmd(format, args...)
	if got != code {
		r.t.Fatalf("%s: got %d %s, want %d", fmt.Sprintf(format, args...), got, msg, code)
	}
	return msg
}

// login upgrades to TLS, logs in and protects data connections.
func (r *rawFTP) login(user string) {
	r.t.Helper()
	if _, ok := r.conn.(*tls.Conn); !ok {
		r.expect(234, "AUTH TLS")
		r.conn = tls.Client(r.conn, r.tls)
		r.tp = textproto.NewConn(r.conn)
		r.conn.SetDeadline(time.Now().Add(20 * time.Second))
	}
	r.expect(331, "USER %s", user)
	r.expect(230, "PASS %s", testPassword)
	r.expect(200, "PBSZ 0")
	r.expect(200, "PROT P")
	r.expect(200, "TYPE I")
}

// passive asks for a passive data connection and opens it over TLS.
func (r *rawFTP) passive() (net.Conn, int) {
	r.t.Helper()
	msg := r.expect(229, "EPSV")
	open, end := strings.Index(msg, "|||"), strings.LastIndex(msg, "|")
	port, err := strconv.Atoi(msg[open+3 : end])
	if err != nil {
		r.t.Fatalf("bad EPSV reply %q", msg)
	}
	host, _, _ := net.SplitHostPort(r.conn.RemoteAddr().String())
	dc, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		r.t.Fatalf("data connection to port %d: %v", port, err)
	}
	dc.SetDeadline(time.Now().Add(20 * time.Second))
	return tls.Client(dc, r.tls), port
}

// reply reads one more reply, e.g. the 226 after a transfer.
func (r *rawFTP) reply() (int, string) {
	code, msg, err := r.tp.ReadResponse(0)
	if err != nil && code == 0 {
		return 0, err.Error()
	}
	return code, msg
}

package testkit

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

// ClientTLS trusts only the gateway's generated certificate, as a client
// that pinned it on first connection would.
func (tg *Gateway) ClientTLS() *tls.Config {
	tg.T.Helper()
	pem, err := os.ReadFile(filepath.Join(tg.DataDir, "keys", "tls.crt"))
	if err != nil {
		tg.T.Fatalf("the generated TLS certificate is not in the data dir: %v", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		tg.T.Fatal("the generated TLS certificate does not parse")
	}
	return &tls.Config{RootCAs: pool, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(8)}
}

// DialFTP logs in over explicit FTPS (AUTH TLS, PROT P) with a password.
func (tg *Gateway) DialFTP(user, password string, opts ...ftp.DialOption) (*ftp.ServerConn, error) {
	opts = append([]ftp.DialOption{ftp.DialWithExplicitTLS(tg.ClientTLS()), ftp.DialWithTimeout(10 * time.Second)}, opts...)
	c, err := ftp.Dial(tg.FTPAddr, opts...)
	if err != nil {
		return nil, err
	}
	if err := c.Login(user, password); err != nil {
		c.Quit()
		return nil, err
	}
	return c, nil
}

// FTP logs in with Password over explicit FTPS.
func (tg *Gateway) FTP(user string) *ftp.ServerConn {
	tg.T.Helper()
	c, err := tg.DialFTP(user, Password)
	if err != nil {
		tg.T.Fatalf("%s cannot log in over FTPS: %v", user, err)
	}
	tg.T.Cleanup(func() { c.Quit() })
	return c
}

// FTPOutcome classifies an FTP error the way outcome does for SFTP:
// both denied and not found are 550, told apart by the neutral text.
func FTPOutcome(err error) string {
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

// RawFTP is a hand-driven FTPS control connection, for what client
// libraries hide: clear-text commands, ABOR, HASH, dropped connections.
type RawFTP struct {
	t    testing.TB
	Conn net.Conn
	TP   *textproto.Conn // the control connection, for what the helpers do not cover
	tls  *tls.Config
}

// RawFTPConn dials addr and reads the greeting; implicit starts with TLS.
func (tg *Gateway) RawFTPConn(addr string, implicit bool) *RawFTP {
	tg.T.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		tg.T.Fatal(err)
	}
	r := &RawFTP{t: tg.T, Conn: conn, tls: tg.ClientTLS()}
	if implicit {
		r.Conn = tls.Client(conn, r.tls)
	}
	r.TP = textproto.NewConn(r.Conn)
	tg.T.Cleanup(func() { r.Conn.Close() })
	r.Conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, _, err := r.TP.ReadResponse(220); err != nil {
		tg.T.Fatalf("no FTP greeting: %v", err)
	}
	return r
}

// Cmd sends a command and returns the reply's code and text.
func (r *RawFTP) Cmd(format string, args ...any) (int, string) {
	r.t.Helper()
	if err := r.TP.PrintfLine(format, args...); err != nil {
		return 0, err.Error()
	}
	code, msg, err := r.TP.ReadResponse(0)
	if err != nil && code == 0 {
		return 0, err.Error()
	}
	return code, msg
}

// Expect sends a command that must get the given code.
func (r *RawFTP) Expect(code int, format string, args ...any) string {
	r.t.Helper()
	got, msg := r.Cmd(format, args...)
	if got != code {
		r.t.Fatalf("%s: got %d %s, want %d", fmt.Sprintf(format, args...), got, msg, code)
	}
	return msg
}

// Login upgrades to TLS, logs in and protects data connections.
func (r *RawFTP) Login(user string) {
	r.t.Helper()
	if _, ok := r.Conn.(*tls.Conn); !ok {
		r.Expect(234, "AUTH TLS")
		r.Conn = tls.Client(r.Conn, r.tls)
		r.TP = textproto.NewConn(r.Conn)
		r.Conn.SetDeadline(time.Now().Add(20 * time.Second))
	}
	r.Expect(331, "USER %s", user)
	r.Expect(230, "PASS %s", Password)
	r.Expect(200, "PBSZ 0")
	r.Expect(200, "PROT P")
	r.Expect(200, "TYPE I")
}

// Passive asks for a Passive data connection and opens it over TLS.
func (r *RawFTP) Passive() (net.Conn, int) {
	r.t.Helper()
	msg := r.Expect(229, "EPSV")
	open, end := strings.Index(msg, "|||"), strings.LastIndex(msg, "|")
	port, err := strconv.Atoi(msg[open+3 : end])
	if err != nil {
		r.t.Fatalf("bad EPSV reply %q", msg)
	}
	host, _, _ := net.SplitHostPort(r.Conn.RemoteAddr().String())
	dc, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port)), 5*time.Second)
	if err != nil {
		r.t.Fatalf("data connection to port %d: %v", port, err)
	}
	dc.SetDeadline(time.Now().Add(20 * time.Second))
	return tls.Client(dc, r.tls), port
}

// Reply reads one more Reply, e.g. the 226 after a transfer.
func (r *RawFTP) Reply() (int, string) {
	code, msg, err := r.TP.ReadResponse(0)
	if err != nil && code == 0 {
		return 0, err.Error()
	}
	return code, msg
}

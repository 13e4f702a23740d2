package ftp_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/textproto"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/gateway/ftp"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

const password = "contrasena-de-prueba-9"

// startFTP runs an explicit-FTPS front end with TLS required on
// 127.0.0.1:0, over a real store, the shipped rules and a real files
// tree, with one staff user ana. It returns the address and the store.
func startFTP(t *testing.T) (string, *store.Store) {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rules, err := authz.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	files, err := storage.OpenFiles(filepath.Join(dir, "files"), []string{"operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	hash, err := gateway.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateUser(ctx, store.NewUser{Name: "ana", Role: store.RoleStaff, Department: "operaciones", PasswordHash: hash}); err != nil {
		t.Fatal(err)
	}
	cert, err := gateway.LoadCertificate("", "", filepath.Join(dir, "keys"))
	if err != nil {
		t.Fatal(err)
	}
	core, err := gateway.New(gateway.Options{Store: st, Files: files, Decider: rules})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := ftp.New(ftp.Options{Core: core, TLS: gateway.TLSConfig(cert.Certificate), TLSRequired: true})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() { srv.Serve(ctx, ln); close(done) }()
	t.Cleanup(func() {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		srv.Shutdown(sctx)
		<-done
	})
	return ln.Addr().String(), st
}

// ftpConn is a control connection spoken by hand.
type ftpConn struct {
	conn net.Conn
	tp   *textproto.Conn
}

func dialFTP(t *testing.T, addr string) *ftpConn {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(20 * time.Second))
	f := &ftpConn{conn: c, tp: textproto.NewConn(c)}
	if code, msg := f.read(); code != 220 {
		t.Fatalf("the greeting is %d %s, want 220", code, msg)
	}
	return f
}

// read returns the next reply; code 0 when the server closed the
// connection instead of answering.
func (f *ftpConn) read() (int, string) {
	code, msg, err := f.tp.ReadResponse(0)
	if err != nil && code == 0 {
		return 0, err.Error()
	}
	return code, msg
}

func (f *ftpConn) cmd(format string, args ...any) (int, string) {
	if err := f.tp.PrintfLine(format, args...); err != nil {
		return 0, err.Error()
	}
	return f.read()
}

// TestFTPLoginBeforeAuthTLSRefused: with TLS required, USER and PASS sent
// in clear text before AUTH TLS do not log in (the password crossed the
// wire in clear, but it must not open a session), while the same login
// after AUTH TLS does.
func TestFTPLoginBeforeAuthTLSRefused(t *testing.T) {
	t.Parallel()
	addr, st := startFTP(t)

	clear := dialFTP(t, addr)
	code, msg := clear.cmd("USER ana")
	if code == 331 {
		code, msg = clear.cmd("PASS %s", password)
	}
	if code == 230 {
		t.Errorf("with TLS required, a clear-text USER/PASS logged in: %d %s.", code, msg)
	}
	if code, msg := clear.cmd("PWD"); code == 257 {
		t.Errorf("after a clear-text login attempt, PWD answered %d %s: a session is open without TLS.", code, msg)
	}
	rows, err := st.QueryAudit(context.Background(), store.AuditQuery{User: "ana", Action: "login", Result: store.ResultOK})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 0 {
		t.Errorf("a clear-text login is audited as a successful login: %+v.", rows[0])
	}

	// The same credentials after AUTH TLS log in: the refusal above was TLS's.
	f := dialFTP(t, addr)
	if code, msg := f.cmd("AUTH TLS"); code != 234 {
		t.Fatalf("AUTH TLS answered %d %s, want 234", code, msg)
	}
	tc := tls.Client(f.conn, &tls.Config{InsecureSkipVerify: true}) // the test's own self-signed certificate
	if err := tc.Handshake(); err != nil {
		t.Fatal(err)
	}
	f.tp = textproto.NewConn(tc)
	if code, msg := f.cmd("USER ana"); code != 331 {
		t.Fatalf("USER after AUTH TLS answered %d %s, want 331", code, msg)
	}
	if code, msg := f.cmd("PASS %s", password); code != 230 {
		t.Errorf("PASS after AUTH TLS answered %d %s, want 230.", code, msg)
	} else if !strings.Contains(msg, "Logged in") {
		t.Errorf("the login reply is %q.", msg)
	}
}

package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/server"
)

// Password is strong enough for CheckPasswordStrength.
const Password = "Correct-Horse-9-Battery"

// Gateway is a real gateway on 127.0.0.1:0 over a real SQLite store
// in a temporary data dir, started the way `custodia serve` starts.
type Gateway struct {
	T        testing.TB
	DataDir  string
	Environ  []string
	Server   *server.Server
	SFTPAddr string // SFTP
	FTPAddr  string // explicit FTPS
	DAVAddr  string // WebDAV over HTTPS (plain HTTP with CUSTODIA_WEBDAV_TLS=off)
	APIAddr  string // the admin API, plain HTTP on loopback
	logs     *syncBuffer
}

// syncBuffer is the server's log output, written by its goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// Log returns what the gateway has logged so far.
func (tg *Gateway) Log() string { return tg.logs.String() }

// Start starts a gateway; extra are CUSTODIA_* settings.
func Start(t testing.TB, extra ...string) *Gateway {
	t.Helper()
	dir := t.TempDir()
	env := append([]string{
		"CUSTODIA_DATA_DIR=" + dir, "CUSTODIA_SFTP_LISTEN=127.0.0.1:0", "CUSTODIA_FTP_LISTEN=127.0.0.1:0",
		"CUSTODIA_WEBDAV_LISTEN=127.0.0.1:0", "CUSTODIA_ADMIN_LISTEN=127.0.0.1:0", "CUSTODIA_LOG_LEVEL=error",
	}, extra...)
	errb := &syncBuffer{}
	g, err := StartServer(env, errb)
	if err != nil {
		t.Fatalf("gateway did not start: %v\n%s", err, errb.String())
	}
	if g.FirstAdminPassword() == "" {
		t.Fatal("a start on an empty data dir did not create the first admin")
	}
	tg := &Gateway{T: t, DataDir: dir, Environ: env, Server: g, SFTPAddr: g.Addr("sftp"), FTPAddr: g.Addr("ftp"),
		DAVAddr: g.Addr("webdav"), APIAddr: g.Addr("admin"), logs: errb}
	t.Cleanup(func() {
		if err := g.Shutdown(); err != nil {
			t.Errorf("gateway did not stop cleanly: %v", err)
		}
	})
	return tg
}

// StartServer starts a gateway configured by environ (CUSTODIA_CONFIG
// names a file), logging to logs.
func StartServer(environ []string, logs io.Writer) (*server.Server, error) {
	var file string
	for _, kv := range environ {
		if v, ok := strings.CutPrefix(kv, "CUSTODIA_CONFIG="); ok {
			file = v
		}
	}
	cfg, err := config.Load(file, environ)
	if err != nil {
		return nil, err
	}
	return server.Start(context.Background(), cfg, server.Logger(cfg, logs))
}

// cli runs a custodia command in-process against the gateway's data dir.
func (tg *Gateway) cli(stdin string, args ...string) (string, error) {
	tg.T.Helper()
	var out, errb bytes.Buffer
	root := newRoot(strings.NewReader(stdin), &out, &errb, tg.Environ)
	root.SetArgs(args)
	err := root.ExecuteContext(context.Background())
	return out.String() + errb.String(), err
}

// must runs a command that has to succeed.
func (tg *Gateway) must(stdin string, args ...string) string {
	tg.T.Helper()
	out, err := tg.cli(stdin, args...)
	if err != nil {
		tg.T.Fatalf("custodia %s failed: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// addUser adds a user whose password is testPassword.
func (tg *Gateway) addUser(name string, args ...string) {
	tg.T.Helper()
	tg.must(Password+"\n", append([]string{"user", "add", name, "--password-stdin"}, args...)...)
}

// Put writes a file straight into the files tree, as fixture.
func (tg *Gateway) Put(storagePath, content string) {
	tg.T.Helper()
	p := filepath.Join(tg.DataDir, "files", filepath.FromSlash(storagePath))
	if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
		tg.T.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
		tg.T.Fatal(err)
	}
}

// Dial opens an SSH connection with a password.
func (tg *Gateway) Dial(user, password string) (*ssh.Client, error) {
	return ssh.Dial("tcp", tg.SFTPAddr, &ssh.ClientConfig{
		User:            user,
		Auth:            []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
		Timeout:         10 * time.Second,
	})
}

// SFTP logs in with testPassword and returns a pkg/SFTP client.
func (tg *Gateway) SFTP(user string) *gosftp.Client {
	tg.T.Helper()
	conn, err := tg.Dial(user, Password)
	if err != nil {
		tg.T.Fatalf("%s cannot log in: %v", user, err)
	}
	c, err := gosftp.NewClient(conn)
	if err != nil {
		conn.Close()
		tg.T.Fatalf("%s gets no sftp session: %v", user, err)
	}
	tg.T.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// rawConn dials TCP so that a test can drop the connection abruptly.
func (tg *Gateway) RawSFTP(user string) (*gosftp.Client, net.Conn) {
	tg.T.Helper()
	nc, err := net.Dial("tcp", tg.SFTPAddr)
	if err != nil {
		tg.T.Fatal(err)
	}
	cc, chans, reqs, err := ssh.NewClientConn(nc, tg.SFTPAddr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(Password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		tg.T.Fatalf("%s cannot log in: %v", user, err)
	}
	c, err := gosftp.NewClient(ssh.NewClient(cc, chans, reqs))
	if err != nil {
		tg.T.Fatal(err)
	}
	return c, nc
}

// Fixture adds two clients, one user per role, and a few files.
func (tg *Gateway) Fixture() {
	tg.T.Helper()
	tg.must("", "client", "add", "ACME", "--name", "Acme SA de CV")
	tg.must("", "client", "add", "beta", "--name", "Beta Logistica")
	tg.addUser("carla", "--role", "client", "--client", "ACME")
	tg.addUser("juan", "--role", "correspondent", "--client", "ACME")
	tg.addUser("ana", "--role", "staff", "--department", "operaciones")
	tg.addUser("tomas", "--role", "staff", "--department", "trafico")
	tg.addUser("mario", "--role", "manager", "--department", "trafico")
	tg.addUser("pub", "--role", "publisher")
	tg.addUser("sys", "--role", "admin")
	tg.Put("clients/ACME/2026/factura.pdf", "%PDF-1.4 factura")
	tg.Put("clients/ACME/2026/notas.txt", "internal notes")
	tg.Put("clients/BETA/b.pdf", "%PDF-1.4 beta")
	tg.Put("dossiers/ACME/2026/pedimento.pdf", "%PDF-1.4 pedimento")
	tg.Put("dossiers/BETA/x.pdf", "%PDF-1.4 x")
	tg.Put("departments/operaciones/reporte.xlsx", "reporte")
	tg.Put("departments/trafico/guia.docx", "guia")
}

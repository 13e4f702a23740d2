// Package testkit starts a real custodia gateway for tests: a real SQLite
// store and files tree in t.TempDir(), every listener on 127.0.0.1:0, the
// shipped policies, and clients for each protocol (pkg/sftp over
// x/crypto/ssh, an FTP client with explicit TLS, net/http for WebDAV and
// the admin API). Gateways are independent, so tests that use one may run
// in parallel.
package testkit

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/server"
	"github.com/oaq/custodia/store"
)

// Password is strong enough for CheckPasswordStrength; AddUser gives it
// to every user it adds.
const Password = "Correct-Horse-9-Battery"

// Gateway is a real gateway on 127.0.0.1:0 over a real SQLite store
// in a temporary data dir, started the way `custodia serve` starts.
type Gateway struct {
	T        testing.TB
	DataDir  string
	Environ  []string // the CUSTODIA_* settings it was started with
	Config   config.Config
	Server   *server.Server
	SFTPAddr string // SFTP
	FTPAddr  string // explicit FTPS
	DAVAddr  string // WebDAV over HTTPS (plain HTTP with CUSTODIA_WEBDAV_TLS=off)
	WebAddr  string // the web portal, HTTPS
	APIAddr  string // the admin API, plain HTTP on loopback
	logs     *syncBuffer
	hashOnce sync.Once
	hash     string // of Password, computed once per gateway
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

// Start starts a gateway on a fresh data dir; extra are CUSTODIA_*
// settings. It stops when the test ends.
func Start(t testing.TB, extra ...string) *Gateway {
	t.Helper()
	return StartWith(t, nil, extra...)
}

// StartWith is Start with a server that runs management commands sent
// over its socket with manage (the command line's tests pass its own).
// With CUSTODIA_TEST_DATABASE=postgres its store is on PostgreSQL.
func StartWith(t testing.TB, manage server.Manager, extra ...string) *Gateway {
	t.Helper()
	tg, _ := RestartableWith(t, manage, Env(t.TempDir(), withTestDatabase(t, extra)...), true)
	return tg
}

// Env is the environment of a gateway on dataDir with every listener on
// 127.0.0.1:0 and quiet logs; extra settings come last and win.
func Env(dataDir string, extra ...string) []string {
	return append([]string{
		"CUSTODIA_DATA_DIR=" + dataDir, "CUSTODIA_SFTP_LISTEN=127.0.0.1:0", "CUSTODIA_FTP_LISTEN=127.0.0.1:0",
		"CUSTODIA_WEBDAV_LISTEN=127.0.0.1:0", "CUSTODIA_WEB_LISTEN=127.0.0.1:0", "CUSTODIA_ADMIN_LISTEN=127.0.0.1:0", "CUSTODIA_LOG_LEVEL=error",
	}, extra...)
}

// Config resolves environ (CUSTODIA_CONFIG names a file) as custodia does.
func Config(environ []string) (config.Config, error) {
	r, err := config.Resolve(config.Where{Environ: environ})
	return r.Config, err
}

// StartServer starts a gateway configured by environ, logging to logs.
func StartServer(environ []string, logs io.Writer) (*server.Server, error) {
	cfg, err := Config(environ)
	if err != nil {
		return nil, err
	}
	return server.Start(context.Background(), cfg, server.Options{Logger: server.Logger(cfg, logs)})
}

// Restartable starts a gateway configured by environ (a data dir of its
// own, or one a stopped gateway left), with a stop that may be called
// before the test's cleanup. wantFirstAdmin says whether the start must
// create the first admin (an empty data dir) or not.
func Restartable(t testing.TB, environ []string, wantFirstAdmin bool) (*Gateway, func()) {
	t.Helper()
	return RestartableWith(t, nil, environ, wantFirstAdmin)
}

// RestartableWith is Restartable with a server that runs management
// commands with manage.
func RestartableWith(t testing.TB, manage server.Manager, environ []string, wantFirstAdmin bool) (*Gateway, func()) {
	t.Helper()
	cfg, err := Config(environ)
	if err != nil {
		t.Fatalf("configuration: %v", err)
	}
	logs := &syncBuffer{}
	g, err := server.Start(context.Background(), cfg, server.Options{Logger: server.Logger(cfg, logs), Manage: manage})
	if err != nil {
		t.Fatalf("gateway did not start: %v\n%s", err, logs.String())
	}
	if got := g.FirstAdminPassword() != ""; got != wantFirstAdmin {
		t.Errorf("first admin created: %v, want %v", got, wantFirstAdmin)
	}
	tg := &Gateway{T: t, DataDir: cfg.DataDir, Environ: environ, Config: cfg, Server: g, SFTPAddr: g.Addr("sftp"),
		FTPAddr: g.Addr("ftp"), DAVAddr: g.Addr("webdav"), WebAddr: g.Addr("web"), APIAddr: g.Addr("admin"), logs: logs}
	var once sync.Once
	stop := func() {
		once.Do(func() {
			ctx, cancel := context.WithTimeout(context.Background(), server.ShutdownGrace)
			defer cancel()
			if err := g.Shutdown(ctx); err != nil {
				t.Errorf("gateway did not stop cleanly: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return tg, stop
}

// Store is the gateway's store.
func (tg *Gateway) Store() *store.Store { return tg.Server.Store() }

// AddClient adds a client account and creates its folders.
func (tg *Gateway) AddClient(id, name string) {
	tg.T.Helper()
	ctx := context.Background()
	nid, err := store.NormalizeClientID(id)
	if err != nil {
		tg.T.Fatal(err)
	}
	if _, err := tg.Store().CreateClient(ctx, nid, name); err != nil {
		tg.T.Fatalf("client %s: %v", id, err)
	}
	if err := tg.Server.State().Files.AddClient(nid); err != nil {
		tg.T.Fatalf("client %s's folders: %v", id, err)
	}
}

// AddUser adds a user; without a password hash or keys it gets Password.
// Its department and clients are checked against its role.
func (tg *Gateway) AddUser(nu store.NewUser) {
	tg.T.Helper()
	ctx := context.Background()
	ids, err := tg.Store().CheckAssignments(ctx, nu.Role, nu.Department, nu.Clients, tg.Config.Departments)
	if err != nil {
		tg.T.Fatalf("user %s: %v", nu.Name, err)
	}
	nu.Clients = ids
	if nu.PasswordHash == "" && len(nu.Keys) == 0 {
		nu.PasswordHash = tg.passwordHash()
	}
	if _, err := tg.Store().CreateUser(ctx, nu); err != nil {
		tg.T.Fatalf("user %s: %v", nu.Name, err)
	}
}

// passwordHash is an argon2id hash of Password, computed once, at a
// cost far below custodia's own (gateway.DefaultPasswordCost): logins
// verify it as they verify any hash, and the suite logs in hundreds of
// times under the race detector.
func (tg *Gateway) passwordHash() string {
	tg.hashOnce.Do(func() {
		h, err := gateway.HashPasswordCost(Password, gateway.PasswordCost{MemoryKiB: 256, Time: 1, Threads: 1})
		if err != nil {
			tg.T.Fatal(err)
		}
		tg.hash = h
	})
	return tg.hash
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

// Fixture adds two clients, one user per role, and a few files.
func (tg *Gateway) Fixture() {
	tg.T.Helper()
	tg.AddClient("ACME", "Acme SA de CV")
	tg.AddClient("beta", "Beta Logistica")
	for _, u := range []store.NewUser{
		{Name: "carla", Role: store.RoleClient, Clients: []string{"ACME"}},
		{Name: "juan", Role: store.RoleCorrespondent, Clients: []string{"ACME"}},
		{Name: "ana", Role: store.RoleStaff, Department: "operaciones"},
		{Name: "tomas", Role: store.RoleStaff, Department: "trafico"},
		{Name: "mario", Role: store.RoleManager, Department: "trafico"},
		{Name: "pub", Role: store.RolePublisher},
		{Name: "sys", Role: store.RoleAdmin},
	} {
		tg.AddUser(u)
	}
	tg.Put("clients/ACME/2026/factura.pdf", "%PDF-1.4 factura")
	tg.Put("clients/ACME/2026/notas.txt", "internal notes")
	tg.Put("clients/BETA/b.pdf", "%PDF-1.4 beta")
	tg.Put("dossiers/ACME/2026/pedimento.pdf", "%PDF-1.4 pedimento")
	tg.Put("dossiers/BETA/x.pdf", "%PDF-1.4 x")
	tg.Put("departments/operaciones/reporte.xlsx", "reporte")
	tg.Put("departments/trafico/guia.docx", "guia")
}

// Audit returns the newest limit rows of a user's audit trail ("" for
// everyone's), oldest first.
func (tg *Gateway) Audit(user string, limit int) []store.AuditEntry {
	tg.T.Helper()
	rows, err := tg.Store().QueryAudit(context.Background(), store.AuditQuery{User: user, Limit: limit})
	if err != nil {
		tg.T.Fatal(err)
	}
	return rows
}

// AuditLog is Audit as `custodia audit` prints it, one row per line.
func (tg *Gateway) AuditLog(user string, limit int) string {
	tg.T.Helper()
	var b strings.Builder
	for _, r := range tg.Audit(user, limit) {
		b.WriteString(r.Text())
		b.WriteString("\n")
	}
	return b.String()
}

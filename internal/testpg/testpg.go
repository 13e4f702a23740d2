// Package testpg gives tests a real PostgreSQL: one server per test
// binary, a fresh database per test. It imports nothing of custodia's, so
// that the store's own tests can use it (testkit re-exports it).
package testpg

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // registers the "pgx" driver
)

// pgServer is the one PostgreSQL server of a test binary, started by the
// first test that asks for a database (or the server CUSTODIA_TEST_POSTGRES
// names). It dies with the test binary (Pdeathsig): there is no TestMain
// to stop it, and none is needed.
type pgServer struct {
	url   string  // of the maintenance database, with the password
	admin *sql.DB // on url: creates and drops the tests' databases
	err   error
}

var (
	pgOnce   sync.Once
	pgShared pgServer
)

// URL gives the test a fresh, empty PostgreSQL database with the
// C collation (as custodia requires), and drops it when the test ends. The
// server is CUSTODIA_TEST_POSTGRES's if set, else one this binary starts
// from Debian's postgresql package (as the postgres user when running as
// root). Without PostgreSQL the test is skipped, or fails when CI is set.
func URL(t testing.TB) string {
	t.Helper()
	return URLWithLocale(t, "C")
}

// URLWithLocale is URL with the database's LC_COLLATE and LC_CTYPE set to
// locale (e.g. C.UTF-8): for tests of what custodia does on a database
// that does not have the C collation.
func URLWithLocale(t testing.TB, locale string) string {
	t.Helper()
	if strings.ContainsAny(locale, "'\\") {
		t.Fatalf("postgres: bad locale %q", locale)
	}
	if os.Getenv("CUSTODIA_TEST_POSTGRES") == "" {
		pgBinDir(t) // skip (or fail on CI) before starting anything
	}
	pgOnce.Do(func() { pgShared = startPostgres() })
	if pgShared.err != nil {
		t.Fatalf("postgres: %v", pgShared.err)
	}
	name := "custodia_t_" + pgRandomHex(6)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if _, err := pgShared.admin.ExecContext(ctx, `CREATE DATABASE `+name+
		` TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE '`+locale+`' LC_CTYPE '`+locale+`'`); err != nil {
		t.Fatalf("postgres: create database: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		if _, err := pgShared.admin.ExecContext(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
			t.Errorf("postgres: drop database %s: %v", name, err)
		}
	})
	u, _ := url.Parse(pgShared.url)
	u.Path = "/" + name
	return u.String()
}

// pgBinDir finds the directory of initdb and postgres: Debian puts them in
// /usr/lib/postgresql/<version>/bin (the newest wins), or PATH.
func pgBinDir(t testing.TB) string {
	t.Helper()
	if d := findPgBinDir(); d != "" {
		return d
	}
	if os.Getenv("CI") != "" {
		t.Fatalf("PostgreSQL is not installed, and CI is set: .ci/run must install postgresql")
	}
	t.Skipf("skipping: PostgreSQL is not installed (apt-get install postgresql), nor CUSTODIA_TEST_POSTGRES set")
	return ""
}

func findPgBinDir() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool { return pgVersion(dirs[i]) > pgVersion(dirs[j]) })
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "postgres")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func pgVersion(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func startPostgres() pgServer {
	if u := os.Getenv("CUSTODIA_TEST_POSTGRES"); u != "" {
		db, err := sql.Open("pgx", u)
		if err == nil {
			err = db.Ping()
		}
		if err != nil {
			return pgServer{err: fmt.Errorf("CUSTODIA_TEST_POSTGRES: %w", err)}
		}
		return pgServer{url: u, admin: db}
	}
	removeStalePgDirs()
	var err error
	for range 3 { // a free port may be taken before postgres binds it
		var s pgServer
		if s, err = startLocalPostgres(findPgBinDir()); err == nil {
			return s
		}
	}
	return pgServer{err: err}
}

// removeStalePgDirs removes the data dirs of servers of earlier test
// binaries that have exited: each dir's postmaster.pid is gone or names
// a dead process.
func removeStalePgDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), "custodia-pg-*"))
	for _, d := range dirs {
		b, err := os.ReadFile(filepath.Join(d, "data", "postmaster.pid"))
		if err == nil {
			pid, _ := strconv.Atoi(strings.SplitN(string(b), "\n", 2)[0])
			if pid > 0 && syscall.Kill(pid, 0) == nil {
				continue
			}
		}
		if fi, err := os.Stat(d); err == nil && time.Since(fi.ModTime()) > time.Minute {
			os.RemoveAll(d)
		}
	}
}

func startLocalPostgres(bin string) (pgServer, error) {
	// A Unix socket's path must fit in 108 bytes: a short temp dir.
	dir, err := os.MkdirTemp("", "custodia-pg-")
	if err != nil {
		return pgServer{}, err
	}
	fail := func(err error) (pgServer, error) { os.RemoveAll(dir); return pgServer{}, err }
	cred, err := pgCredential(dir)
	if err != nil {
		return fail(err)
	}
	password := pgRandomHex(16)
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(password+"\n"), 0o600); err != nil {
		return fail(err)
	}
	if cred != nil {
		os.Chown(pwfile, int(cred.Uid), int(cred.Gid))
	}
	data := filepath.Join(dir, "data")
	initdb := exec.Command(filepath.Join(bin, "initdb"), "-D", data, "-U", "custodia", "--pwfile", pwfile,
		"--auth-host=scram-sha-256", "--auth-local=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	if out, err := initdb.CombinedOutput(); err != nil {
		return fail(fmt.Errorf("initdb: %v: %s", err, out))
	}
	port, err := freePort()
	if err != nil {
		return fail(err)
	}
	args := []string{"-D", data, "-k", dir, "-h", "127.0.0.1", "-p", strconv.Itoa(port),
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=32MB"}
	exited := make(chan error, 1)
	out := &syncBuffer{}
	// Pdeathsig is sent when the thread that started the child ends: this
	// goroutine keeps its thread, locked, until postgres exits.
	go func() {
		runtime.LockOSThread()
		cmd := exec.Command(filepath.Join(bin, "postgres"), args...)
		cmd.Stdout, cmd.Stderr = out, out
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Pdeathsig: syscall.SIGINT, Setpgid: true}
		if err := cmd.Start(); err != nil {
			exited <- err
			return
		}
		exited <- cmd.Wait()
	}()
	u := url.URL{Scheme: "postgres", User: url.UserPassword("custodia", password),
		Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/postgres", RawQuery: "sslmode=disable"}
	db, err := sql.Open("pgx", u.String())
	if err != nil {
		return fail(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		err = db.PingContext(ctx)
		cancel()
		if err == nil {
			return pgServer{url: u.String(), admin: db}, nil
		}
		select {
		case werr := <-exited:
			db.Close()
			return fail(fmt.Errorf("postgres exited (%v): %s", werr, out.String()))
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			db.Close()
			return fail(fmt.Errorf("postgres did not answer in 60 s: %v: %s", err, out.String()))
		}
	}
}

// pgCredential is whom initdb and postgres run as: the postgres system
// user when this process is root (both refuse root), with dir given to
// it; nil (this process's user) otherwise.
func pgCredential(dir string) (*syscall.Credential, error) {
	if os.Geteuid() != 0 {
		return nil, nil
	}
	u, err := user.Lookup("postgres")
	if err != nil {
		return nil, errors.New("running as root, and there is no postgres user to run PostgreSQL as")
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if err := os.Chown(dir, uid, gid); err != nil {
		return nil, err
	}
	return &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}, nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func pgRandomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer is postgres's output, written while it starts.
type syncBuffer struct {
	mu  sync.Mutex
	buf strings.Builder
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

// Package cluster starts the reference deployment of deploy/ on loopback:
// one to three real `custodia serve` processes (internal/soak's Server) on
// ONE PostgreSQL database and ONE versitygw bucket, each with its own data
// dir but the first one's SSH host key and TLS certificate, behind Debian's
// HAProxy started with deploy/haproxy.cfg itself. The gateways get the
// settings of deploy/custodia.env.example with only the site's addresses
// and secrets replaced, so the files in deploy/ cannot rot unnoticed.
//
// Every cluster takes a loopback /24 of its own (127.x.y.0): HAProxy
// listens and connects from .5, gateway i listens on .1i on custodia's
// default ports (as in production, where each gateway is a machine of its
// own), and clients dial from .100 up. Tests and benchmarks use it.
package cluster

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/perf"
	"github.com/oaq/custodia/internal/soak"
	"github.com/oaq/custodia/internal/testkit"
)

// Options shape a cluster.
type Options struct {
	Gateways int // 1 to 3
	// Users are staff accounts of department perf.Dept added through the
	// first gateway (names User(i), passwords perf.Password(i)).
	Users int
	// Env are more CUSTODIA_* settings for every gateway.
	Env []string
	// Together starts every gateway at once on the empty database, each
	// with keys of its own (TLS then trusts the first one's certificate
	// only); by default the first starts alone, and the others on copies
	// of its keys.
	Together bool
}

// Cluster is the running deployment.
type Cluster struct {
	Gateways []*Gateway
	LB       *testkit.HAProxy
	S3       *testkit.S3
	Bucket   string // the one bucket of every gateway's files
	DB       string // the one PostgreSQL database's URL (with its password: never logged)
	// SFTP, FTP, DAV and Web are HAProxy's frontends: what clients dial.
	SFTP, FTP, DAV, Web string
	TLS                 *tls.Config // trusts the gateways' one certificate (it names localhost)
	// AdminPassword is the first admin's, printed once by the first
	// gateway's `custodia init`.
	AdminPassword string
	net           [3]byte       // 127.a.b.0/24
	ports         atomic.Uint32 // the client ports pinned routes name
	t             testing.TB
}

// Gateway is one custodia process of the cluster.
type Gateway struct {
	*soak.Server
	N    int    // 1, 2 or 3
	Host string // the address it listens on
}

// Ports of deploy/custodia.env.example's listeners (the test checks the
// file says so) and of HAProxy's frontends in the test.
const (
	sftpPort, ftpPort, davPort, webPort, adminPort = "2022", "2121", "8443", "8444", "8080"
)

// bin is the custodia binary, built once per test binary.
var bin struct {
	once sync.Once
	dir  string
	path string
	err  error
}

// Binary builds custodia once per test binary and returns its path; with
// CUSTODIA_CLUSTER_BIN set, it is that binary (e.g. another version's).
func Binary(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CUSTODIA_CLUSTER_BIN"); p != "" {
		return p
	}
	bin.once.Do(func() {
		bin.dir, bin.err = os.MkdirTemp("", "custodia-cluster-bin-")
		if bin.err == nil {
			bin.path, bin.err = soak.Build(context.Background(), bin.dir)
		}
	})
	if bin.err != nil {
		t.Fatal(bin.err)
	}
	return bin.path
}

// RemoveBinary removes what Binary built: for TestMain, after the run.
func RemoveBinary() {
	if bin.dir != "" {
		os.RemoveAll(bin.dir)
	}
}

// Deploy is the path of the repository's deploy/ folder.
func Deploy() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "deploy")
}

// Start starts a cluster for the test and stops it when the test ends.
func Start(t testing.TB, o Options) *Cluster {
	t.Helper()
	if o.Gateways < 1 || o.Gateways > 3 {
		t.Fatalf("cluster: %d gateways: deploy/haproxy.cfg names 1 to 3", o.Gateways)
	}
	path := Binary(t)
	c := &Cluster{t: t, Bucket: "custodia-files", DB: testkit.PostgresURL(t), S3: testkit.StartS3(t)}
	var r [2]byte
	rand.Read(r[:])
	c.net = [3]byte{64 + r[0]%64, r[1], 0} // 127.64.0.0–127.127.255.0: clear of testkit's and perf's addresses
	shared, err := c.gatewayEnv(o.Env)
	if err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	ctx := context.Background()

	if o.Together {
		c.Gateways = c.startGateways(ctx, path, root, 1, o.Gateways, shared, "")
	} else {
		// The first gateway makes the schema, the policies, the first
		// admin and the keys; the others start together once it serves,
		// on copies of its keys (one name, one host key, one certificate).
		c.Gateways = c.startGateways(ctx, path, root, 1, 1, shared, "")
		first := c.Gateways[0]
		c.Gateways = append(c.Gateways, c.startGateways(ctx, path, root, 2, o.Gateways, shared, filepath.Join(first.DataDir, "keys"))...)
	}
	// Exactly one gateway's `custodia init` made the first admin.
	for _, g := range c.Gateways {
		if pw := firstAdminPassword(g.InitOutput); pw != "" {
			if c.AdminPassword != "" {
				t.Fatalf("cluster: two gateways created a first admin on the shared database")
			}
			c.AdminPassword = pw
		}
	}
	if c.AdminPassword == "" {
		t.Fatalf("cluster: no gateway's init printed the first admin's password")
	}
	first := c.Gateways[0]
	if err := waitSocket(first.Server); err != nil {
		t.Fatal(err)
	}
	for i := range o.Users {
		if _, err := first.CLI(ctx, perf.Password(i)+"\n", "user", "add", User(i),
			"--role", "staff", "--department", perf.Dept, "--password-stdin"); err != nil {
			t.Fatal(err)
		}
	}
	pem, err := os.ReadFile(filepath.Join(first.DataDir, "keys", "tls.crt"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	c.TLS = &tls.Config{RootCAs: pool, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(256)}
	c.startLB()
	return c
}

// startGateways starts gateways from to last (numbers) at once, each on
// a copy of the keys in keys ("": its own, generated), and fails the test
// when one does not start.
func (c *Cluster) startGateways(ctx context.Context, path, root string, from, last int, shared []string, keys string) []*Gateway {
	gws := make([]*Gateway, last-from+1)
	errs := make([]error, len(gws))
	var wg sync.WaitGroup
	for i := range gws {
		n := from + i
		if keys != "" {
			if err := copyDir(keys, filepath.Join(root, fmt.Sprintf("gw%d", n), "data", "keys")); err != nil {
				c.t.Fatal(err)
			}
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			gws[i], errs[i] = c.startGateway(ctx, path, root, n, shared)
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			c.t.Fatal(err)
		}
	}
	return gws
}

// startGateway runs `custodia init` and `custodia serve` for gateway n
// under root/gwN, stopped when the test ends.
func (c *Cluster) startGateway(ctx context.Context, path, root string, n int, shared []string) (*Gateway, error) {
	host := c.Addr(10 + n)
	own, err := ExampleEnv(fmt.Sprintf("gw%d.env.example", n)) // its FTPS passive ports
	if err != nil {
		return nil, err
	}
	env := append(append(slices.Clone(shared), own...),
		"CUSTODIA_SFTP_LISTEN="+net.JoinHostPort(host, sftpPort),
		"CUSTODIA_FTP_LISTEN="+net.JoinHostPort(host, ftpPort),
		"CUSTODIA_WEBDAV_LISTEN="+net.JoinHostPort(host, davPort),
		"CUSTODIA_WEB_LISTEN="+net.JoinHostPort(host, webPort),
		"CUSTODIA_ADMIN_LISTEN="+net.JoinHostPort(host, adminPort))
	dir := filepath.Join(root, fmt.Sprintf("gw%d", n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	s, err := soak.Start(ctx, path, dir, env...)
	if err != nil {
		return nil, fmt.Errorf("gateway %d: %w", n, err)
	}
	c.t.Cleanup(func() { s.Stop() })
	return &Gateway{Server: s, N: n, Host: host}, nil
}

// startLB starts HAProxy on deploy/haproxy.cfg in front of the gateways.
func (c *Cluster) startLB() {
	lb := c.Addr(5)
	c.SFTP, c.FTP = net.JoinHostPort(lb, sftpPort), net.JoinHostPort(lb, ftpPort)
	c.DAV, c.Web = net.JoinHostPort(lb, davPort), net.JoinHostPort(lb, webPort)
	env := []string{"LB_ADDR=" + lb, "LB_SOURCE=" + lb,
		"SFTP_PORT=" + sftpPort, "FTP_PORT=" + ftpPort, "DAV_PORT=" + davPort, "WEB_PORT=" + webPort}
	for n := 1; n <= 3; n++ {
		env = append(env, fmt.Sprintf("GW%d=%s", n, c.Addr(10+n)))
		if n > len(c.Gateways) {
			env = append(env, fmt.Sprintf("GW%d_STATE=disabled", n))
		}
	}
	c.LB = testkit.StartHAProxyFile(c.t, filepath.Join(Deploy(), "haproxy.cfg"), env, c.SFTP, c.FTP, c.DAV, c.Web)
}

// Addr is the cluster's loopback address 127.a.b.host.
func (c *Cluster) Addr(host int) string {
	return netip.AddrFrom4([4]byte{127, c.net[0], c.net[1], byte(host)}).String()
}

// Proxy is the address HAProxy listens and connects from: the one the
// gateways trust.
func (c *Cluster) Proxy() string { return c.Addr(5) }

// Client is the n-th client's address (n from 0 to 149).
func (c *Cluster) Client(n int) netip.Addr {
	return netip.MustParseAddr(c.Addr(100 + n%150))
}

// User is the i-th bench user's name.
func User(i int) string { return fmt.Sprintf("staff%03d", i) }

// waitSocket waits until the server's management socket opens (after its
// listeners): CLI commands find the data dir locked until then.
func waitSocket(s *soak.Server) error {
	if testkit.Poll(30*time.Second, func() bool {
		_, err := os.Stat(filepath.Join(s.DataDir, "custodia.sock"))
		return err == nil
	}) {
		return nil
	}
	return fmt.Errorf("custodia serve opened no management socket within 30 s")
}

// firstAdminPassword finds the password `custodia init` printed, or "".
func firstAdminPassword(out string) string {
	const mark = "created the first user, admin, with password: "
	if _, after, ok := strings.Cut(out, mark); ok {
		pw, _, _ := strings.Cut(after, "\n")
		return strings.TrimSpace(pw)
	}
	return ""
}

// copyDir copies the regular files of src into dst (made 0700), keeping
// their modes.
func copyDir(src, dst string) error {
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	entries, err := os.ReadDir(src)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(src, e.Name()))
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dst, e.Name()), b, fi.Mode().Perm()); err != nil {
			return err
		}
	}
	return nil
}

// Kill ends gateway n (1-based) with SIGKILL.
func (c *Cluster) Kill(n int) { c.Gateways[n-1].Kill() }

// Restart starts gateway n again on its data dir, and waits until it
// serves and its management socket is open (a new one: a killed
// gateway leaves its socket's file behind).
func (c *Cluster) Restart(n int) error {
	g := c.Gateways[n-1]
	sock := filepath.Join(g.DataDir, "custodia.sock")
	old, _ := os.Stat(sock)
	if err := g.Restart(); err != nil {
		return err
	}
	if testkit.Poll(30*time.Second, func() bool {
		fi, err := os.Stat(sock)
		return err == nil && (old == nil || !os.SameFile(old, fi) || !fi.ModTime().Equal(old.ModTime())) // the inode may be reused
	}) {
		return nil
	}
	return fmt.Errorf("gateway %d opened no new management socket within 30 s of its restart", n)
}

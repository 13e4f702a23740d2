// Package perf measures what a custodia process costs under load: its
// memory while many uploads run at once over each protocol, and what one
// idle logged-in session holds. The server is the real binary in its own
// process (started with internal/soak's Server), so what /proc says about
// it is its own; the clients stream their bodies and never hold a file.
// The benchmarks in memory_test.go report the figures; issue 17's other
// benchmarks belong beside them.
package perf

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/oaq/custodia/internal/soak"
)

// Dept is the department every bench user belongs to: its folder is
// where they upload.
const Dept = "operaciones"

// Server is a custodia process with bench users and a client TLS
// configuration that trusts its certificate.
type Server struct {
	*soak.Server
	TLS   *tls.Config
	Users []string // passwords: Password(i)
}

// socketName is the management socket in the data dir (server.SocketName).
const socketName = "custodia.sock"

// Password is the i-th bench user's password.
func Password(i int) string { return fmt.Sprintf("Perf-pass-%03d-2026", i) }

// Start runs `custodia serve` from bin on a fresh data dir under dir with
// users staff accounts, no connection limit, the admin API on loopback
// (its /metrics counts the sessions) and the given extra CUSTODIA_*
// settings.
func Start(ctx context.Context, bin, dir string, users int, settings ...string) (*Server, error) {
	settings = append([]string{"CUSTODIA_LIMITS_MAX_CONNECTIONS=0", "CUSTODIA_LIMITS_MAX_CONNECTIONS_PER_IP=0",
		"CUSTODIA_WEB_LISTEN=off", "CUSTODIA_ADMIN_LISTEN=127.0.0.1:0"}, settings...)
	srv, err := soak.Start(ctx, bin, dir, settings...)
	if err != nil {
		return nil, err
	}
	s := &Server{Server: srv}
	// The management socket opens after the listeners: the CLI finds
	// the data dir locked until then.
	for i := 0; ; i++ {
		_, err := os.Stat(filepath.Join(srv.DataDir, socketName))
		if err == nil {
			break
		}
		if i == 100 {
			srv.Stop()
			return nil, fmt.Errorf("custodia serve opened no management socket within 10 s: %w", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	for i := range users {
		name := fmt.Sprintf("perf%03d", i)
		if _, err := srv.CLI(ctx, Password(i)+"\n", "user", "add", name,
			"--role", "staff", "--department", Dept, "--password-stdin"); err != nil {
			srv.Stop()
			return nil, err
		}
		s.Users = append(s.Users, name)
	}
	pem, err := os.ReadFile(filepath.Join(srv.DataDir, "keys", "tls.crt"))
	if err != nil {
		srv.Stop()
		return nil, err
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	s.TLS = &tls.Config{RootCAs: pool, ServerName: "localhost", ClientSessionCache: tls.NewLRUClientSessionCache(64)}
	return s, nil
}

// Sessions is how many sessions the server holds now, every protocol
// (custodia_sessions_active on the admin API's /metrics, which loopback
// reads without a key).
func (s *Server) Sessions(ctx context.Context) (int, error) {
	if s.Admin == "" {
		return 0, fmt.Errorf("the admin API is off")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Admin+"/metrics", nil)
	if err != nil {
		return 0, err
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: s.TLS}}
	defer hc.CloseIdleConnections()
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return 0, fmt.Errorf("GET /metrics: %s", resp.Status)
	}
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "custodia_sessions_active "); ok {
			n, err := strconv.ParseFloat(v, 64)
			return int(n), err
		}
	}
	if err := sc.Err(); err != nil {
		return 0, err
	}
	return 0, fmt.Errorf("/metrics has no custodia_sessions_active")
}

// ResetPeak sets a process's VmHWM back to its VmRSS (proc(5),
// clear_refs: 5), so that the next peak is the one of what follows.
func ResetPeak(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// Body is an upload's content: size bytes cycling through a random
// block, so that no compression or deduplication makes it cheap, read
// without holding the file in the client.
type Body struct {
	block []byte
	left  int64
	off   int
}

// blockSize is the random block a Body repeats (shared by every body).
const blockSize = 1 << 20

var block = func() []byte {
	b := make([]byte, blockSize)
	r := rand.New(rand.NewPCG(17, 17))
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}()

// NewBody is a body of size bytes.
func NewBody(size int64) *Body { return &Body{block: block, left: size} }

func (b *Body) Read(p []byte) (int, error) {
	if b.left <= 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), b.left)]
	n := 0
	for n < len(p) {
		c := copy(p[n:], b.block[b.off:])
		n += c
		b.off = (b.off + c) % len(b.block)
	}
	b.left -= int64(n)
	return n, nil
}

// Size is what is left to read (pkg/sftp's ReadFrom sizes its
// concurrency by it).
func (b *Body) Size() int64 { return b.left }

package sftp_test

import (
	"fmt"
	"regexp"
	"runtime"
	"strings"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
)

// maxIdleGoroutines is what one idle logged-in SFTP session may hold on
// the server: the connection's session (1: the login's goroutine has
// ended), x/crypto/ssh's transport and mux (3), the sftp channel's serve
// loop (1: its requests are refused by the connection's goroutine; it
// also hands each request to pkg/sftp's workers), and pkg/sftp's command
// worker (1: responses are sent in order by the goroutine that answers,
// without a controller). Read/write workers start only when packets wait
// for one (third_party/sftp).
const maxIdleGoroutines = 6

// TestIdleSessionGoroutines holds idle logged-in SFTP sessions and
// counts the server goroutines each one keeps: every goroutine started,
// directly or not, by a connection's handler. Not parallel: it reads
// every goroutine of the process, and other tests' sessions would count.
func TestIdleSessionGoroutines(t *testing.T) {
	tg := testkit.Start(t)
	tg.Fixture()
	const n = 10
	for range n {
		c := tg.SFTP("ana")
		if _, err := c.ReadDir("/"); err != nil { // a command: the session is in use, then idle
			t.Fatal(err)
		}
	}
	got := serverGoroutines(t, n)
	t.Logf("%d server goroutines for %d idle SFTP sessions", got, n)
	if got > n*maxIdleGoroutines {
		t.Errorf("%d idle SFTP sessions hold %d server goroutines, %.1f each; want at most %d each",
			n, got, float64(got)/n, maxIdleGoroutines)
	}
	// A session that moved data ramps its workers up and still works.
	c := tg.SFTP("ana")
	put(t, c, "/operaciones/idle.bin", 1<<20)
}

func put(t *testing.T, c *gosftp.Client, name string, size int) {
	t.Helper()
	f, err := c.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.ReadFrom(strings.NewReader(strings.Repeat("x", size))); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	if st, err := c.Stat(name); err != nil || st.Size() != int64(size) {
		t.Fatalf("after the upload %s is %v, %v; want %d bytes", name, st, err, size)
	}
}

var (
	goroutineHead = regexp.MustCompile(`^goroutine (\d+) `)
	createdBy     = regexp.MustCompile(`created by .* in goroutine (\d+)`)
)

// serverGoroutines counts the goroutines that want SFTP logins started,
// directly or not, once want sessions run.
func serverGoroutines(t *testing.T, want int) int {
	t.Helper()
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	parent := map[string]string{}
	var roots []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		m := goroutineHead.FindStringSubmatch(g)
		if m == nil {
			continue
		}
		p := createdBy.FindStringSubmatch(g)
		if p == nil {
			continue
		}
		parent[m[1]] = p[1]
		// A connection's session runs in a goroutine started by its
		// login's, which has ended: that one's id is the root.
		if strings.Contains(g, "gateway/sftp.(*Server).channels(") {
			roots = append(roots, p[1])
		}
	}
	if len(roots) != want {
		t.Fatalf("%d SFTP sessions run; want %d", len(roots), want)
	}
	isRoot := map[string]bool{}
	for _, r := range roots {
		isRoot[r] = true
	}
	count := 0
	for g := range parent {
		for a, hops := g, 0; a != "" && hops < 100; a, hops = parent[a], hops+1 {
			if isRoot[a] {
				count++
				break
			}
		}
	}
	return count
}

// TestRequestsAfterSubsystemRefused sends channel requests once the sftp
// subsystem runs, on two channels of one connection (the first channel's
// requests are refused by the connection's goroutine, the second's by a
// goroutine of its own): each is refused, and both channels still serve.
func TestRequestsAfterSubsystemRefused(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	conn, err := tg.Dial("ana", testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for i := range 2 {
		s, err := conn.NewSession()
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		w, err := s.StdinPipe()
		if err != nil {
			t.Fatal(err)
		}
		r, err := s.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := s.RequestSubsystem("sftp"); err != nil {
			t.Fatal(err)
		}
		for _, req := range []string{"exec", "shell", "env", "pty-req"} {
			if ok, err := s.SendRequest(req, true, nil); ok || err != nil {
				t.Errorf("channel %d: %s after the subsystem answers %v, %v; want refused", i, req, ok, err)
			}
		}
		c, err := gosftp.NewClientPipe(r, w)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		put(t, c, fmt.Sprintf("/operaciones/after-requests-%d.bin", i), 64<<10)
	}
}

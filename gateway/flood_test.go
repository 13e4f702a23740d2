package gateway_test

import (
	"context"
	"io"
	"net"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// flood keeps up to perAddr connections open from each of addrs to each
// of targets, never logging in (FTP ones send NOOP over and over), and
// opens a new one whenever the server closes one, until the test ends. It
// counts the connections it opened.
func flood(t *testing.T, addrs []string, targets []string, perAddr int) *atomic.Int64 {
	var opened atomic.Int64
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	for _, a := range addrs {
		for _, target := range targets {
			for range perAddr {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(a)}, Timeout: time.Second}
					for ctx.Err() == nil {
						c, err := d.DialContext(ctx, "tcp", target)
						if err != nil {
							time.Sleep(10 * time.Millisecond) // refused: try again, as a flood does
							continue
						}
						opened.Add(1)
						stop := context.AfterFunc(ctx, func() { c.Close() })
						go func() { // NOOP keeps an FTP control connection busy; elsewhere it is noise
							for ctx.Err() == nil {
								if _, err := io.WriteString(c, "NOOP\r\n"); err != nil {
									return
								}
								time.Sleep(100 * time.Millisecond)
							}
						}()
						io.Copy(io.Discard, c) // until the server closes it
						stop()
						c.Close()
					}
				}()
			}
		}
	}
	return &opened
}

// gauge reads an unlabelled metric of the admin API's /metrics; -1 when absent.
func gauge(t *testing.T, tg *testkit.Gateway, name string) float64 {
	t.Helper()
	r := tg.API("GET", "/metrics", "", nil)
	for _, line := range strings.Split(string(r.Body), "\n") {
		if v, ok := strings.CutPrefix(line, name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s = %q", name, v)
			}
			return f
		}
	}
	return -1
}

// floodEnv bounds connections tightly: 24 in all, 12 per address, of
// which 6 and 3 not logged in yet.
var floodEnv = []string{
	"CUSTODIA_LIMITS_MAX_CONNECTIONS=24", "CUSTODIA_LIMITS_MAX_CONNECTIONS_PER_IP=12",
	"CUSTODIA_LIMITS_MAX_UNAUTHENTICATED=6", "CUSTODIA_LIMITS_MAX_UNAUTHENTICATED_PER_IP=3",
}

// TestAnonymousFloodCannotLockOutLogins: connections that never log in,
// from four addresses, held open and reopened as fast as the server drops
// them, do not keep a real user out of SFTP, FTPS or WebDAV: they fill
// only the unauthenticated budget, and a newcomer takes the place of the
// oldest of the busiest address.
func TestAnonymousFloodCannotLockOutLogins(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, append(floodEnv, "CUSTODIA_LIMITS_LOGIN_TIMEOUT=1m")...)
	tg.Fixture()
	opened := flood(t, []string{"127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5"},
		[]string{tg.SFTPAddr, tg.FTPAddr, tg.DAVAddr}, 4)
	testkit.WaitFor(t, 10*time.Second, "the flood opens twice as many connections as the server takes", func() bool {
		return opened.Load() >= 48
	})
	// The flood reopens what the server drops, so one reading may fall
	// between a drop and its replacement: it must reach the budget and
	// never pass it.
	testkit.WaitFor(t, 10*time.Second, "the connections not logged in fill the budget of 6", func() bool {
		n := gauge(t, tg, "custodia_connections_unauthenticated")
		if n > 6 {
			t.Fatalf("%v connections not logged in are open, over the budget of 6", n)
		}
		return n == 6
	})
	for i := range 3 {
		conn, err := tg.Dial("ana", testkit.Password)
		if err != nil {
			t.Fatalf("SFTP login %d of ana under the flood: %v", i+1, err)
		}
		defer conn.Close()
		fc, err := tg.DialFTP("ana", testkit.Password)
		if err != nil {
			t.Fatalf("FTPS login %d of ana under the flood: %v", i+1, err)
		}
		defer fc.Quit()
		if r, err := tg.DAV("ana").Try("PROPFIND", "/", "", "Depth", "0"); err != nil || r.Code != 207 {
			t.Fatalf("WebDAV PROPFIND %d of ana under the flood: %v %+v", i+1, err, r.Code)
		}
	}
	if n := testkit.Metric(t, tg, "custodia_connections_refused_total", `reason="evicted"`); n < 1 {
		t.Errorf("no flood connection was dropped for a newcomer (evicted = %v): the flood did not fill the budget", n)
	}
}

// TestLoginDeadlineDropsConnectionsThatNeverLogIn: with a one-second login
// deadline, an SFTP connection that never finishes its handshake, an FTP
// client that only sends NOOP, and a WebDAV keep-alive connection that
// only sends OPTIONS are all closed within a few seconds.
func TestLoginDeadlineDropsConnectionsThatNeverLogIn(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_LIMITS_LOGIN_TIMEOUT=1s", "CUSTODIA_SFTP_LOGIN_TIMEOUT=1m",
		"CUSTODIA_WEBDAV_TLS=off")
	tg.Fixture()
	in := tg.RawFTPConn(tg.FTPAddr, false) // logs in, so stays past the deadline
	in.Login("ana")
	// closedWithin talks to c with say every 100 ms until the server
	// closes it, and fails when that takes longer than bound.
	closedWithin := func(what string, c net.Conn, say string, bound time.Duration) {
		t.Helper()
		defer c.Close()
		start := time.Now()
		c.SetDeadline(start.Add(bound))
		go func() {
			for say != "" {
				if _, err := io.WriteString(c, say); err != nil {
					return
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		_, err := io.Copy(io.Discard, c)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Errorf("%s: still open after %v; the login deadline is 1s.", what, bound)
		}
	}
	dial := func(addr string) net.Conn {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	var wg sync.WaitGroup
	for _, c := range []struct{ what, addr, say string }{
		{"an SFTP connection that never sends its version", tg.SFTPAddr, ""},
		{"an FTP client that only sends NOOP", tg.FTPAddr, "NOOP\r\n"},
		{"a WebDAV keep-alive connection that only sends OPTIONS", tg.DAVAddr, "OPTIONS / HTTP/1.1\r\nHost: x\r\n\r\n"},
	} {
		conn := dial(c.addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			closedWithin(c.what, conn, c.say, 5*time.Second)
		}()
	}
	wg.Wait() // over a second since the logged-in client connected
	in.Expect(200, "NOOP")
	if n := testkit.Metric(t, tg, "custodia_connections_refused_total", `reason="login timeout"`); n < 3 {
		t.Errorf("login timeouts counted: %v, want at least 3", n)
	}
}

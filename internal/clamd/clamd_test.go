package clamd_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/clamd"
	"github.com/oaq/custodia/internal/testkit"
)

func client(t *testing.T, addr string, timeout time.Duration) *clamd.Client {
	t.Helper()
	c, err := clamd.New(addr, timeout)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// A real clamd, with the signature database the test kit builds with
// sigtool, finds EICAR (alone, and inside a larger file spanning several
// chunks), passes a clean file, and answers PING.
func TestScanFindsEICARAndPassesCleanFiles(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t)
	c := client(t, cd.Addr, 30*time.Second)
	ctx := context.Background()
	if err := c.Ping(ctx); err != nil {
		t.Fatalf("PING: %v", err)
	}
	big := append(bytes.Repeat([]byte("%PDF-1.4 padding "), 70000), testkit.EICAR...) // ~1.2 MB: several chunks
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"eicar":          {[]byte(testkit.EICAR), testkit.EICARSignature},
		"eicar at 1.2MB": {big, testkit.EICARSignature},
		"clean pdf":      {[]byte("%PDF-1.4 factura\n%%EOF\n"), ""},
		"empty":          {nil, ""},
	} {
		sig, err := c.Scan(ctx, bytes.NewReader(tc.data))
		if err != nil || sig != tc.want {
			t.Errorf("%s: scan = %q, %v; want %q", name, sig, err, tc.want)
		}
	}
}

// Over TCP (here a plain relay to the same clamd's socket) the verdicts
// are the same.
func TestScanOverTCP(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			in, err := ln.Accept()
			if err != nil {
				return
			}
			out, err := net.Dial("unix", cd.Socket)
			if err != nil {
				in.Close()
				continue
			}
			go func() { io.Copy(out, in); out.(*net.UnixConn).CloseWrite() }()
			go func() { io.Copy(in, out); in.Close(); out.Close() }()
		}
	}()
	c := client(t, "tcp:"+ln.Addr().String(), 30*time.Second)
	if sig, err := c.Scan(context.Background(), strings.NewReader(testkit.EICAR)); err != nil || sig != testkit.EICARSignature {
		t.Fatalf("scan over TCP = %q, %v; want %q", sig, err, testkit.EICARSignature)
	}
}

// A stream over clamd's StreamMaxLength is ErrTooLarge, not a clean
// verdict: clamd says so and closes the connection while we still send.
func TestScanOverStreamMaxLengthIsTooLarge(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t, "StreamMaxLength 1M")
	c := client(t, cd.Addr, 30*time.Second)
	sig, err := c.Scan(context.Background(), bytes.NewReader(make([]byte, 3<<20)))
	if !errors.Is(err, clamd.ErrTooLarge) || sig != "" {
		t.Fatalf("scan of 3 MiB with StreamMaxLength 1M = %q, %v; want ErrTooLarge", sig, err)
	}
}

// A stopped clamd is ErrUnavailable, and so is one that accepts and
// never answers, within the timeout.
func TestScanUnreachableOrSilentIsUnavailable(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t)
	cd.Stop()
	c := client(t, cd.Addr, 5*time.Second)
	if sig, err := c.Scan(context.Background(), strings.NewReader(testkit.EICAR)); !errors.Is(err, clamd.ErrUnavailable) || sig != "" {
		t.Errorf("scan with clamd stopped = %q, %v; want ErrUnavailable", sig, err)
	}
	if err := c.Ping(context.Background()); !errors.Is(err, clamd.ErrUnavailable) {
		t.Errorf("PING with clamd stopped = %v; want ErrUnavailable", err)
	}

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go io.Copy(io.Discard, conn) // reads everything, answers nothing
		}
	}()
	silent := client(t, "tcp:"+ln.Addr().String(), 300*time.Millisecond)
	start := time.Now()
	_, err = silent.Scan(context.Background(), strings.NewReader("x"))
	if !errors.Is(err, clamd.ErrUnavailable) {
		t.Errorf("scan by a silent server = %v; want ErrUnavailable", err)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("scan by a silent server took %v with a 300ms timeout", d)
	}
}

// Addresses are unix:/absolute/path or tcp:host:port; anything else is
// refused with a message that shows both forms.
func TestParseAddress(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, network, addr string }{
		{"unix:/run/clamav/clamd.ctl", "unix", "/run/clamav/clamd.ctl"},
		{"tcp:127.0.0.1:3310", "tcp", "127.0.0.1:3310"},
		{"tcp:[::1]:3310", "tcp", "[::1]:3310"},
		{"tcp:clamav:3310", "tcp", "clamav:3310"},
		{"unix:relative.sock", "", ""},
		{"tcp:127.0.0.1", "", ""},
		{"/run/clamav/clamd.ctl", "", ""},
		{"udp:127.0.0.1:3310", "", ""},
		{"", "", ""},
	} {
		n, a, err := clamd.ParseAddress(tc.in)
		if n != tc.network || a != tc.addr || (err == nil) != (tc.network != "") {
			t.Errorf("ParseAddress(%q) = %q, %q, %v; want %q, %q", tc.in, n, a, err, tc.network, tc.addr)
		}
		if err != nil && !strings.Contains(err.Error(), "unix:/") {
			t.Errorf("ParseAddress(%q): %v does not show the forms", tc.in, err)
		}
	}
}

package ftp_test

import (
	"bytes"
	"crypto/tls"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/oaq/custodia/internal/testkit"
)

func TestFTPClearTextLoginRefused(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()

	r := tg.RawFTPConn(tg.FTPAddr, false)
	if code, msg := r.Cmd("USER ana"); code != 421 || !strings.Contains(msg, "TLS is required") {
		t.Errorf("USER before AUTH TLS: got %d %q, want 421 TLS is required", code, msg)
	}
	if _, err := r.TP.ReadLine(); err == nil {
		t.Error("the connection stays open after a clear-text USER")
	}

	r = tg.RawFTPConn(tg.FTPAddr, false)
	if code, msg := r.Cmd("PASS %s", testkit.Password); code != 530 || !strings.Contains(msg, "AUTH TLS") {
		t.Errorf("PASS before AUTH TLS: got %d %q, want 530 asking for AUTH TLS", code, msg)
	}
	if out := tg.AuditLog("ana", 100); strings.Contains(out, "login") {
		t.Errorf("a clear-text password was checked:\n%s", out)
	}

	// After AUTH TLS, a data connection without PROT P is refused.
	r = tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("ana")
	r.Expect(200, "PROT C")
	if code, _ := r.Cmd("EPSV"); code == 229 {
		if code, msg := r.Cmd("LIST /operaciones"); code/100 == 1 || code/100 == 2 {
			t.Errorf("LIST over a clear data connection: got %d %q, want a refusal", code, msg)
		}
	}
}

func TestFTPOptionalTLSAllowsClearTextAndWarns(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_FTP_TLS=optional", "CUSTODIA_LOG_LEVEL=warn")
	tg.Fixture()
	c, err := ftp.Dial(tg.FTPAddr, ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login("ana", testkit.Password); err != nil {
		t.Fatalf("clear-text login with ftp.tls=optional: %v", err)
	}
	if _, err := c.List("/operaciones"); err != nil {
		t.Errorf("clear-text LIST with ftp.tls=optional: %v", err)
	}
	if !strings.Contains(tg.Log(), "ftp.tls is optional") {
		t.Errorf("no warning about clear-text FTP at start:\n%s", tg.Log())
	}
}

func TestFTPImplicitTLS(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_FTP_IMPLICIT_LISTEN=127.0.0.1:0")
	tg.Fixture()
	addr := tg.Server.Addr("ftps-implicit")
	c, err := ftp.Dial(addr, ftp.DialWithTLS(tg.ClientTLS()), ftp.DialWithTimeout(5*time.Second))
	if err != nil {
		t.Fatalf("implicit FTPS dial: %v", err)
	}
	defer c.Quit()
	if err := c.Login("ana", testkit.Password); err != nil {
		t.Fatalf("implicit FTPS login: %v", err)
	}
	if err := c.Stor("/operaciones/implicit.txt", strings.NewReader("over implicit TLS")); err != nil {
		t.Fatalf("implicit FTPS upload: %v", err)
	}
	got, err := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/implicit.txt"))
	if err != nil || string(got) != "over implicit TLS" {
		t.Errorf("the implicit FTPS upload is not on disk intact: %v", err)
	}
	// A clear-text client on the implicit port gets no greeting.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte("USER ana\r\n"))
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 64)
	if n, _ := conn.Read(buf); bytes.HasPrefix(buf[:n], []byte("2")) || bytes.HasPrefix(buf[:n], []byte("3")) {
		t.Errorf("the implicit port answered clear text: %q", buf[:n])
	}
}

// freePortRange finds n consecutive ports that are free right now.
func freePortRange(t *testing.T, n int) (int, int) {
	t.Helper()
	for range 50 {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		start := ln.Addr().(*net.TCPAddr).Port
		ln.Close()
		if start+n-1 > 65535 {
			continue
		}
		ok := true
		for p := start; p < start+n && ok; p++ {
			l, err := net.Listen("tcp", ":"+strconv.Itoa(p))
			if err != nil {
				ok = false
				break
			}
			l.Close()
		}
		if ok {
			return start, start + n - 1
		}
	}
	t.Fatal("no free port range")
	return 0, 0
}

// Not parallel: the range is a few ports free a moment ago, which other
// tests' port-0 listeners could take meanwhile.
func TestFTPPassivePortsStayInRange(t *testing.T) {
	lo, hi := freePortRange(t, 5)
	tg := testkit.Start(t, "CUSTODIA_FTP_PASSIVE_PORTS="+strconv.Itoa(lo)+"-"+strconv.Itoa(hi))
	tg.Fixture()
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("ana")
	for i := range 12 {
		dc, port := r.Passive()
		if port < lo || port > hi {
			t.Errorf("passive port %d is outside %d-%d", port, lo, hi)
		}
		r.Expect(150, "NLST /operaciones")
		io.ReadAll(dc)
		dc.Close()
		if code, msg := r.Reply(); code != 226 {
			t.Fatalf("transfer %d: got %d %s, want 226", i, code, msg)
		}
	}
	// PASV announces the same range.
	msg := r.Expect(227, "PASV")
	f := strings.Split(strings.Trim(msg[strings.Index(msg, "("):], "()."), ",")
	p1, _ := strconv.Atoi(f[4])
	p2, _ := strconv.Atoi(f[5])
	if port := p1*256 + p2; port < lo || port > hi {
		t.Errorf("PASV port %d is outside %d-%d", port, lo, hi)
	}
}

// TestFTPPublicPassivePortsAnnounced: with ftp.public_passive_ports,
// EPSV and PASV announce the public port in the place of the passive port
// the gateway listens on (a balancer on the same host forwards one to the
// other), and a data connection to that passive port transfers.
// Not parallel, as TestFTPPassivePortsStayInRange.
func TestFTPPublicPassivePortsAnnounced(t *testing.T) {
	lo, hi := freePortRange(t, 5)
	const pub = 61000 // announced only: nothing listens there
	tg := testkit.Start(t, "CUSTODIA_FTP_PASSIVE_PORTS="+strconv.Itoa(lo)+"-"+strconv.Itoa(hi),
		"CUSTODIA_FTP_PUBLIC_PASSIVE_PORTS="+strconv.Itoa(pub)+"-"+strconv.Itoa(pub+hi-lo))
	tg.Fixture()
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("ana")
	for i := range 6 {
		msg := r.Expect(229, "EPSV")
		port, err := strconv.Atoi(msg[strings.Index(msg, "|||")+3 : strings.LastIndex(msg, "|")])
		if err != nil || port < pub || port > pub+hi-lo {
			t.Fatalf("EPSV announces %q, want a port within %d-%d", msg, pub, pub+hi-lo)
		}
		host, _, _ := net.SplitHostPort(tg.FTPAddr)
		dc, err := net.DialTimeout("tcp", net.JoinHostPort(host, strconv.Itoa(port-pub+lo)), 5*time.Second)
		if err != nil {
			t.Fatalf("EPSV announced %d: nothing listens on passive port %d: %v", port, port-pub+lo, err)
		}
		dc.SetDeadline(time.Now().Add(20 * time.Second))
		r.Expect(150, "NLST /operaciones")
		io.ReadAll(tls.Client(dc, tg.ClientTLS()))
		dc.Close()
		if code, msg := r.Reply(); code != 226 {
			t.Fatalf("transfer %d: got %d %s, want 226", i, code, msg)
		}
	}
	msg := r.Expect(227, "PASV")
	f := strings.Split(strings.Trim(msg[strings.Index(msg, "("):], "()."), ",")
	p1, _ := strconv.Atoi(f[4])
	p2, _ := strconv.Atoi(f[5])
	if port := p1*256 + p2; port < pub || port > pub+hi-lo {
		t.Errorf("PASV announces port %d, want one within %d-%d", port, pub, pub+hi-lo)
	}
}

func TestFTPAbortedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	dir := filepath.Join(tg.DataDir, "files/departments/operaciones")
	chunk := bytes.Repeat([]byte("x"), 256<<10)
	leftovers := func(what string) {
		t.Helper()
		for _, name := range []string{"abor.docx", "drop-data.docx", "drop-control.docx"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Errorf("%s: %s is visible after an aborted upload", what, name)
			}
		}
		deadline := time.Now().Add(5 * time.Second)
		for time.Now().Before(deadline) {
			entries, _ := os.ReadDir(filepath.Join(tg.DataDir, "files/.incoming"))
			if len(entries) == 0 {
				return
			}
			time.Sleep(20 * time.Millisecond)
		}
		t.Errorf("%s: files/.incoming still holds the aborted upload", what)
	}

	// ABOR in the middle of a STOR.
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("ana")
	dc, _ := r.Passive()
	r.Expect(150, "STOR /operaciones/abor.docx")
	for range 4 {
		if _, err := dc.Write(chunk); err != nil {
			t.Fatal(err)
		}
	}
	// The STOR gets its 426 (or 451), then ABOR its 226.
	code, _ := r.Cmd("ABOR")
	for i := 0; code != 0 && code != 225 && code != 226 && i < 3; i++ {
		code, _ = r.Reply()
	}
	dc.Close()
	r.Expect(200, "NOOP")
	leftovers("ABOR")

	// The data connection reset in the middle of a STOR.
	dc, _ = r.Passive()
	r.Expect(150, "STOR /operaciones/drop-data.docx")
	dc.Write(chunk)
	raw := dc.(interface{ NetConn() net.Conn }).NetConn().(*net.TCPConn)
	raw.SetLinger(0)
	raw.Close()
	if code, _ := r.Reply(); code == 226 {
		t.Error("a reset data connection was answered 226")
	}
	leftovers("data connection reset")

	// The whole client killed in the middle of a STOR.
	r = tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("ana")
	dc, _ = r.Passive()
	r.Expect(150, "STOR /operaciones/drop-control.docx")
	dc.Write(chunk)
	ctl := r.Conn.(interface{ NetConn() net.Conn }).NetConn().(*net.TCPConn)
	ctl.SetLinger(0)
	ctl.Close()
	time.Sleep(100 * time.Millisecond)
	leftovers("client killed")
	dc.Close()

	// The server notices the killed client's transfer end on its own time.
	var out string
	if !testkit.Poll(10*time.Second, func() bool {
		out = tg.AuditLog("ana", 100)
		return strings.Count(out, "transfer aborted") >= 3
	}) {
		t.Errorf("the three aborted uploads are not audited as aborted:\n%s", out)
	}
}

func TestDefenderBansAcrossProtocols(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_MAX_FAILURES=4")
	tg.Fixture()
	for i := range 2 {
		if _, err := tg.DialFTP("ana", "wrong password"); err == nil {
			t.Fatalf("FTPS login %d with a wrong password succeeded", i)
		}
	}
	for i := range 2 {
		if _, err := tg.Dial("ana", "wrong password"); err == nil {
			t.Fatalf("SFTP login %d with a wrong password succeeded", i)
		}
	}
	if _, err := tg.Dial("ana", testkit.Password); err == nil {
		t.Error("SFTP still lets the address in after 2 FTPS and 2 SFTP failures")
	}
	r := rawFTPConnMaybe(tg, tg.FTPAddr)
	if r == "" || !strings.HasPrefix(r, "421") {
		t.Errorf("FTPS greets a banned address with %q, want a 421", r)
	}
	if out := tg.AuditLog("ana", 100); !strings.Contains(out, "address banned") {
		t.Errorf("the ban is not in the audit trail:\n%s", out)
	}
}

// rawFTPConnMaybe returns the first line the server sends, or "".
func rawFTPConnMaybe(tg *testkit.Gateway, addr string) string {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return ""
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	buf := make([]byte, 256)
	n, _ := io.ReadAtLeast(conn, buf, 3)
	return string(buf[:n])
}

func TestConnectionLimitsAcrossProtocols(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_LIMITS_MAX_CONNECTIONS_PER_IP=2")
	tg.Fixture()
	a := tg.FTP("ana")
	s := tg.SFTP("tomas")
	if got := rawFTPConnMaybe(tg, tg.FTPAddr); !strings.HasPrefix(got, "421 too many connections from your address") {
		t.Errorf("a third connection from one address got %q, want 421 too many connections", got)
	}
	if _, err := tg.Dial("mario", testkit.Password); err == nil {
		t.Error("a third connection over SFTP was let in")
	}
	s.Close()
	a.Quit()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := tg.DialFTP("ana", testkit.Password)
		if err == nil {
			c.Quit()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("closed connections did not free their slots: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestFTPRepliesNeverLeakPaths(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("juan")
	for _, c := range []string{
		"SIZE /ACME/2026/pedimento.pdf", "DELE /ACME/2026/pedimento.pdf", "RMD /ACME/2026",
		"MKD /ACME/../../../etc", "CWD /BETA", "MDTM /ACME/nope.pdf", "SIZE /ACME/" + strings.Repeat("a", 5000),
		"RNFR /ACME/2026/pedimento.pdf", "MFMT 20200101000000 /ACME/2026/pedimento.pdf", "SITE CHMOD 777 /ACME",
		"XSHA256 /ACME/2026/pedimento.pdf", "MKD /ACME/bad\x01name",
	} {
		code, msg := r.Cmd("%s", c)
		if code < 400 {
			continue
		}
		for _, leak := range []string{tg.DataDir, "/files/", "/dossiers/", ".incoming", "errno", "openat", "os.Root", "escapes"} {
			if strings.Contains(msg, leak) {
				t.Errorf("%q answered %d %q, which leaks %q", c, code, msg, leak)
			}
		}
	}
}

package sftp_test

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
)

// loopback is the address every test client connects from.
var loopback = netip.MustParseAddr("127.0.0.1")

// waitSession polls the registry, up to 2 s, for a session of user over
// proto that ok accepts (nil: any), and returns it.
func waitSession(tg *testkit.Gateway, user, proto string, ok func(gateway.SessionInfo) bool) gateway.SessionInfo {
	tg.T.Helper()
	var last []gateway.SessionInfo
	for deadline := time.Now().Add(2 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		last = tg.Server.Core().Sessions()
		for _, s := range last {
			if s.User == user && s.Protocol == proto && (ok == nil || ok(s)) {
				return s
			}
		}
		if time.Now().After(deadline) {
			tg.T.Fatalf("no live %s session of %s as expected within 2 s; the registry lists %+v", proto, user, last)
		}
	}
}

// waitBytes waits up to 2 s for a session's byte counts to be exactly in
// and out, after what.
func waitBytes(tg *testkit.Gateway, s gateway.SessionInfo, in, out int64, what string) {
	tg.T.Helper()
	var got gateway.SessionInfo
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		for _, l := range tg.Server.Core().Sessions() {
			if l.ID == s.ID {
				got = l
			}
		}
		if got.BytesIn == in && got.BytesOut == out {
			return
		}
	}
	tg.T.Errorf("after the %s the %s session counts %d bytes in, %d out; want %d, %d",
		what, s.Protocol, got.BytesIn, got.BytesOut, in, out)
}

// sessionGone reports whether id leaves the registry within 2 s.
func sessionGone(tg *testkit.Gateway, id string) bool {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !listed(tg, id) {
			return true
		}
	}
	return false
}

func listed(tg *testkit.Gateway, id string) bool {
	for _, s := range tg.Server.Core().Sessions() {
		if s.ID == id {
			return true
		}
	}
	return false
}

// checkSession checks what the registry says of a fresh session.
func checkSession(t *testing.T, s gateway.SessionInfo, user, proto string) {
	t.Helper()
	if s.ID == "" || s.User != user || s.Protocol != proto || s.Remote != loopback {
		t.Errorf("the registry lists %+v, want user %s over %s from %s with an id", s, user, proto, loopback)
	}
	if age := time.Since(s.Started); age < 0 || age > time.Minute {
		t.Errorf("the %s session started %v ago", proto, age)
	}
}

// within runs fn and fails the test unless it returns within d; it gives
// up waiting after 5 s so that a hung client cannot hang the test.
// kickDeadline is how soon a kicked client's next operation must fail:
// well under a second on an idle machine, 3 s on a loaded two-core one
// running the whole suite in parallel under the race detector.
const kickDeadline = 3 * time.Second

func within(t *testing.T, d time.Duration, what string, fn func() error) error {
	t.Helper()
	done := make(chan error, 1)
	start := time.Now()
	go func() { done <- fn() }()
	select {
	case err := <-done:
		if took := time.Since(start); took > d {
			t.Errorf("%s took %v, want under %v", what, took, d)
		}
		return err
	case <-time.After(5 * time.Second):
		t.Fatalf("%s did not return within 5 s", what)
		return nil
	}
}

// incomingEmpty waits up to 2 s for files/.incoming to be empty.
func incomingEmpty(tg *testkit.Gateway) bool {
	for deadline := time.Now().Add(2 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if left, _ := os.ReadDir(filepath.Join(tg.DataDir, "files/.incoming")); len(left) == 0 {
			return true
		}
	}
	return false
}

// sessionFixture adds the users and a file of known size to download.
func sessionFixture(tg *testkit.Gateway) (download []byte) {
	tg.Fixture()
	download = bytes.Repeat([]byte("0123456789abcdef"), 300_000/16) // 300,000 bytes
	tg.Put("departments/operaciones/grande.pdf", string(download))
	return download
}

func TestSessionsSFTP(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	want := sessionFixture(tg)
	upload := bytes.Repeat([]byte("u"), 123_457)

	if tg.Server.Core().Kick("no-such-session") {
		t.Error("Kick of an unknown id reported true")
	}
	c := tg.SFTP("ana")
	s := waitSession(tg, "ana", "sftp", nil)
	checkSession(t, s, "ana", "sftp")
	if s.BytesIn != 0 || s.BytesOut != 0 {
		t.Errorf("a fresh SFTP session counts %d in, %d out", s.BytesIn, s.BytesOut)
	}

	f, err := c.Create("/operaciones/lote.docx")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(upload); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	waitBytes(tg, s, int64(len(upload)), 0, "upload")
	r, err := c.Open("/operaciones/grande.pdf")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("download: %d bytes (%v), want %d", len(got), err, len(want))
	}
	waitBytes(tg, s, int64(len(upload)), int64(len(want)), "download")

	if !tg.Server.Core().Kick(s.ID) {
		t.Fatal("Kick of a live SFTP session reported false")
	}
	if listed(tg, s.ID) {
		t.Error("a kicked SFTP session is still listed")
	}
	err = within(t, kickDeadline, "the first SFTP request after the kick", func() error {
		_, err := c.Stat("/operaciones")
		return err
	})
	var st *gosftp.StatusError
	if err == nil || errors.As(err, &st) {
		t.Errorf("the first request after the kick got %v, want a connection error", err)
	}
	if tg.Server.Core().Kick(s.ID) {
		t.Error("a second Kick of the same session reported true")
	}

	// A client that quits ends its session.
	conn, err := tg.Dial("ana", testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	c2, err := gosftp.NewClient(conn)
	if err != nil {
		t.Fatal(err)
	}
	s2 := waitSession(tg, "ana", "sftp", nil)
	if s2.ID == s.ID {
		t.Errorf("a new connection reuses the kicked session's id %s", s.ID)
	}
	c2.Close()
	conn.Close()
	if !sessionGone(tg, s2.ID) {
		t.Error("the session of an SFTP client that quit is still listed after 2 s")
	}
}

func TestSessionsFTPS(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	want := sessionFixture(tg)
	upload := bytes.Repeat([]byte("u"), 98_765)

	c := tg.FTP("ana")
	s := waitSession(tg, "ana", "ftp", nil)
	checkSession(t, s, "ana", "ftp")
	if err := c.Stor("/operaciones/lote.docx", bytes.NewReader(upload)); err != nil {
		t.Fatal(err)
	}
	waitBytes(tg, s, int64(len(upload)), 0, "upload")
	resp, err := c.Retr("/operaciones/grande.pdf")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(resp)
	resp.Close()
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("download: %d bytes (%v), want %d", len(got), err, len(want))
	}
	waitBytes(tg, s, int64(len(upload)), int64(len(want)), "download")

	if !tg.Server.Core().Kick(s.ID) {
		t.Fatal("Kick of a live FTPS session reported false")
	}
	err = within(t, kickDeadline, "the first FTP command after the kick", func() error { return c.NoOp() })
	if err == nil {
		t.Error("NOOP after the kick succeeded")
	}
	if !sessionGone(tg, s.ID) {
		t.Error("a kicked FTPS session is still listed")
	}

	// A client that quits ends its session.
	c2, err := tg.DialFTP("ana", testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	s2 := waitSession(tg, "ana", "ftp", nil)
	if err := c2.Quit(); err != nil {
		t.Fatal(err)
	}
	if !sessionGone(tg, s2.ID) {
		t.Error("the session of an FTPS client that quit is still listed after 2 s")
	}
}

// A kick in the middle of a STOR closes the control connection; the data
// connection goes with it and the upload is discarded.
func TestSessionsFTPSKickDuringUpload(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	sessionFixture(tg)
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("ana")
	s := waitSession(tg, "ana", "ftp", nil)
	dc, _ := r.Passive()
	r.Expect(150, "STOR /operaciones/cortado.docx")
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	if _, err := dc.Write(chunk); err != nil {
		t.Fatal(err)
	}
	waitSession(tg, "ana", "ftp", func(got gateway.SessionInfo) bool { return got.ID == s.ID && got.BytesIn > 0 })

	if !tg.Server.Core().Kick(s.ID) {
		t.Fatal("Kick of a live FTPS session reported false")
	}
	err := within(t, kickDeadline, "reading the control connection after the kick", func() error {
		r.Conn.SetReadDeadline(time.Now().Add(3 * time.Second))
		for {
			if _, err := r.TP.ReadLine(); err != nil {
				return err
			}
		}
	})
	var ne net.Error
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("the control connection is still open after the kick (read: %v)", err)
	}
	err = within(t, kickDeadline, "writing to the data connection after the kick", func() error {
		dc.SetWriteDeadline(time.Now().Add(3 * time.Second))
		for range 64 { // more than any socket buffer holds
			if _, err := dc.Write(chunk); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil || (errors.As(err, &ne) && ne.Timeout()) {
		t.Errorf("the data connection still takes data after the kick (write: %v)", err)
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files/departments/operaciones/cortado.docx")); !os.IsNotExist(err) {
		t.Errorf("the upload cut by the kick is visible (stat: %v)", err)
	}
	if !incomingEmpty(tg) {
		t.Error("the upload cut by the kick is still in files/.incoming")
	}
	if !sessionGone(tg, s.ID) {
		t.Error("a kicked FTPS session is still listed")
	}
}

func TestSessionsWebDAV(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	want := sessionFixture(tg)
	upload := bytes.Repeat([]byte("u"), 77_777)
	logins := func() int {
		n := 0
		for _, a := range tg.AuditRows("ana") {
			if a.Action == "login" && a.Protocol == "webdav" && a.Result == "ok" {
				n++
			}
		}
		return n
	}

	d := tg.DAV("ana")
	if r := d.Do("PUT", "/operaciones/lote.docx", string(upload)); r.Code != 201 {
		t.Fatalf("PUT: %d, want 201", r.Code)
	}
	s := waitSession(tg, "ana", "webdav", nil)
	checkSession(t, s, "ana", "webdav")
	waitBytes(tg, s, int64(len(upload)), 0, "upload")
	if r := d.Do("GET", "/operaciones/grande.pdf", ""); r.Code != 200 || r.Body != string(want) {
		t.Fatalf("GET: %d with %d bytes, want 200 with %d", r.Code, len(r.Body), len(want))
	}
	waitBytes(tg, s, int64(len(upload)), int64(len(want)), "download")
	if n := logins(); n != 1 {
		t.Fatalf("%d WebDAV logins audited before the kick, want 1 (one remembered credential)", n)
	}

	// A PUT in flight, in the same session (same user, password and
	// address), its body half sent.
	c := tg.DAVConn()
	io.WriteString(c, "PUT /operaciones/cortado.docx HTTP/1.1\r\nHost: localhost\r\nAuthorization: "+
		testkit.BasicAuth("ana", testkit.Password)+"\r\nContent-Length: "+strconv.Itoa(4<<20)+"\r\n\r\n")
	chunk := bytes.Repeat([]byte("x"), 64<<10)
	if _, err := c.Write(chunk); err != nil {
		t.Fatal(err)
	}
	waitSession(tg, "ana", "webdav", func(got gateway.SessionInfo) bool {
		return got.ID == s.ID && got.BytesIn > int64(len(upload))
	})

	if !tg.Server.Core().Kick(s.ID) {
		t.Fatal("Kick of a live WebDAV session reported false")
	}
	if listed(tg, s.ID) {
		t.Error("a kicked WebDAV session is still listed")
	}
	err := within(t, kickDeadline, "reading the in-flight PUT's connection after the kick", func() error {
		c.SetReadDeadline(time.Now().Add(3 * time.Second))
		_, err := io.ReadAll(c)
		if err == nil {
			err = io.EOF
		}
		return err
	})
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Error("the connection of the PUT in flight is still open after the kick")
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files/departments/operaciones/cortado.docx")); !os.IsNotExist(err) {
		t.Errorf("the PUT cut by the kick is visible (stat: %v)", err)
	}
	// The connection ends at once; the handler writes its row as it winds down.
	if !testkit.Poll(kickDeadline, func() bool {
		_, ok := testkit.FindAudit(tg.AuditRows("ana"), func(a testkit.AuditRow) bool {
			return a.Path == "/operaciones/cortado.docx" && a.Result == "failed" && strings.Contains(a.Reason, "kicked")
		})
		return ok
	}) {
		t.Errorf("the PUT cut by the kick is not audited as a failed transfer:\n%s", tg.AuditLog("ana", 20))
	}
	if !incomingEmpty(tg) {
		t.Error("the PUT cut by the kick is still in files/.incoming")
	}

	// The next request logs in again: a new session, a new login row.
	if r := tg.DAV("ana").Do("PROPFIND", "/operaciones", testkit.AllProp, "Depth", "1"); r.Code != 207 {
		t.Fatalf("PROPFIND after the kick: %d, want 207; ana's audit trail:\n%s", r.Code, tg.AuditLog("ana", 100))
	}
	if n := logins(); n != 2 {
		t.Errorf("%d WebDAV logins audited after the kick and one more request, want 2", n)
	}
	s2 := waitSession(tg, "ana", "webdav", nil)
	if s2.ID == s.ID {
		t.Errorf("the request after the kick runs in the kicked session %s", s.ID)
	}
	if s2.BytesIn != 0 || s2.BytesOut != 0 {
		t.Errorf("the new session counts %d in, %d out; want 0, 0", s2.BytesIn, s2.BytesOut)
	}
}

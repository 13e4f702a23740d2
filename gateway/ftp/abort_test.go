package ftp_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"net"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// An ending is how a hand-driven client ends an FTPS upload's data
// connection after sending part of the file.
type ending struct {
	name     string
	complete bool                             // the server must take the file as sent
	end      func(ctl net.Conn, dc *tls.Conn) // ctl: the control connection's TCP
}

// rawOf is the TCP connection under a TLS data connection.
func rawOf(dc *tls.Conn) *net.TCPConn { return dc.NetConn().(*net.TCPConn) }

var endings = []ending{
	{"reset (RST)", false, func(_ net.Conn, dc *tls.Conn) {
		rawOf(dc).SetLinger(0)
		rawOf(dc).Close()
	}},
	{"FIN without close_notify", false, func(_ net.Conn, dc *tls.Conn) {
		rawOf(dc).Close() // the TCP connection under the TLS one: no alert sent
	}},
	{"truncated record", false, func(_ net.Conn, dc *tls.Conn) {
		// An application-data record header announcing 100 bytes, 10 sent.
		rawOf(dc).Write(append([]byte{23, 3, 3, 0, 100}, make([]byte, 10)...))
		rawOf(dc).Close()
	}},
	{"control connection gone", false, func(ctl net.Conn, dc *tls.Conn) {
		ctl.Close()
		// The server notices at its own pace; a clean close after that
		// must not complete the upload either.
		time.Sleep(50 * time.Millisecond)
		dc.Close()
	}},
	{"close_notify with a short body", true, func(_ net.Conn, dc *tls.Conn) {
		dc.Close() // stream mode: the client decides the length
	}},
}

// storPart logs in, opens a passive TLS data connection, starts a STOR of
// vpath and sends body on it.
func storPart(t *testing.T, tg *testkit.Gateway, vpath string, body []byte) (*testkit.RawFTP, *tls.Conn) {
	t.Helper()
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("ana")
	dc, _ := r.Passive()
	r.Expect(150, "STOR %s", vpath)
	tc := dc.(*tls.Conn)
	if _, err := tc.Write(body); err != nil {
		t.Fatalf("sending part of %s: %v", vpath, err)
	}
	return r, tc
}

// incomingEmpty waits until files/.incoming holds no upload in progress.
func incomingEmpty(t *testing.T, tg *testkit.Gateway) {
	t.Helper()
	testkit.WaitFor(t, 10*time.Second, "files/.incoming to be empty after the aborted uploads", func() bool {
		entries, _ := os.ReadDir(filepath.Join(tg.DataDir, "files/.incoming"))
		return len(entries) == 0
	})
}

// abortedInAudit waits for the audit row that says vpath's upload was aborted.
func abortedInAudit(t *testing.T, tg *testkit.Gateway, vpaths ...string) {
	t.Helper()
	var missing []string
	if !testkit.Poll(10*time.Second, func() bool {
		missing = missing[:0]
		rows := tg.AuditRows("ana")
		for _, vp := range vpaths {
			if _, ok := testkit.FindAudit(rows, func(r testkit.AuditRow) bool {
				return r.Path == vp && r.Result == "failed" && strings.HasPrefix(r.Reason, "transfer aborted")
			}); !ok {
				missing = append(missing, vp)
			}
		}
		return len(missing) == 0
	}) {
		t.Errorf("no audit row says these uploads were aborted: %v\n%s", missing, tg.AuditLog("ana", 1000))
	}
}

// An FTPS upload is complete only when the client ended the data
// connection with a TLS close_notify while its session lasts: a reset, a
// bare FIN (crypto/tls reads that as io.EOF too at a record boundary), a
// truncated record or a control connection gone leave nothing visible and
// are audited as aborted.
func TestFTPSUploadCompleteOnlyWithCloseNotify(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	dir := filepath.Join(tg.DataDir, "files/departments/operaciones")
	part := bytes.Repeat([]byte("custodia "), 8<<10) // 72 KiB: several TLS records
	for i, e := range endings {
		name := fmt.Sprintf("ending-%d.docx", i)
		r, dc := storPart(t, tg, "/operaciones/"+name, part)
		e.end(r.Conn.(*tls.Conn).NetConn(), dc)
		if e.complete {
			if code, msg := r.Reply(); code != 226 {
				t.Errorf("%s: the STOR got %d %s, want 226", e.name, code, msg)
			}
			got, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil || !bytes.Equal(got, part) {
				t.Errorf("%s: the file is not in place with the %d bytes sent (%d bytes, %v)", e.name, len(part), len(got), err)
			}
			continue
		}
		if e.name != "control connection gone" {
			if code, msg := r.Reply(); code == 226 {
				t.Errorf("%s: the STOR got 226 %s", e.name, msg)
			}
		}
		abortedInAudit(t, tg, "/operaciones/"+name)
		if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s: %s is visible after an aborted upload", e.name, name)
		}
	}
	incomingEmpty(t, tg)
}

// Many uploads aborted at once, each in one of the ways a client can
// vanish: none becomes visible and each is audited as aborted.
func TestFTPSAbortedUploadsUnderConcurrency(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	dir := filepath.Join(tg.DataDir, "files/departments/operaciones")
	part := bytes.Repeat([]byte("x"), 40<<10)
	aborts := endings[:3] // RST, FIN without close_notify, truncated record
	cfg := tg.ClientTLS()
	const workers, each = 10, 5
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	var vpaths []string
	for w := range workers {
		for i := range each {
			vpaths = append(vpaths, fmt.Sprintf("/operaciones/many-%d-%d.docx", w, i))
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				vp := fmt.Sprintf("/operaciones/many-%d-%d.docx", w, i)
				e := aborts[(w+i)%len(aborts)]
				if err := abortOne(tg.FTPAddr, cfg, vp, part, e); err != nil {
					errs <- fmt.Errorf("%s (%s): %w", vp, e.name, err)
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	abortedInAudit(t, tg, vpaths...)
	for _, vp := range vpaths {
		if _, err := os.Stat(filepath.Join(dir, filepath.Base(vp))); err == nil {
			t.Errorf("%s is visible after an aborted upload", vp)
		}
	}
	incomingEmpty(t, tg)
}

// abortOne is storPart and an ending for a goroutine: it returns what went
// wrong instead of failing the test.
func abortOne(addr string, cfg *tls.Config, vpath string, part []byte, e ending) error {
	raw, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return err
	}
	defer raw.Close()
	raw.SetDeadline(time.Now().Add(30 * time.Second))
	tp := textproto.NewConn(raw)
	cmd := func(want int, format string, args ...any) (string, error) {
		if format != "" {
			if err := tp.PrintfLine(format, args...); err != nil {
				return "", err
			}
		}
		_, msg, err := tp.ReadResponse(want)
		if err != nil {
			return "", fmt.Errorf("%s: %w", format, err)
		}
		return msg, nil
	}
	if _, err := cmd(220, ""); err != nil {
		return err
	}
	if _, err := cmd(234, "AUTH TLS"); err != nil {
		return err
	}
	ctl := tls.Client(raw, cfg)
	tp = textproto.NewConn(ctl)
	for _, step := range []struct {
		code int
		cmd  string
	}{{331, "USER ana"}, {230, "PASS " + testkit.Password}, {200, "PBSZ 0"}, {200, "PROT P"}, {200, "TYPE I"}} {
		if _, err := cmd(step.code, "%s", step.cmd); err != nil {
			return err
		}
	}
	msg, err := cmd(229, "EPSV")
	if err != nil {
		return err
	}
	port := msg[strings.Index(msg, "|||")+3 : strings.LastIndex(msg, "|")]
	draw, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", port), 5*time.Second)
	if err != nil {
		return err
	}
	defer draw.Close()
	draw.SetDeadline(time.Now().Add(30 * time.Second))
	dc := tls.Client(draw, cfg)
	if _, err := cmd(150, "STOR %s", vpath); err != nil {
		return err
	}
	if _, err := dc.Write(part); err != nil {
		return err
	}
	e.end(raw, dc)
	if code, msg, _ := tp.ReadResponse(0); code == 226 {
		return fmt.Errorf("the STOR got 226 %s", msg)
	}
	return nil
}

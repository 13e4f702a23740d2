package webdav_test

import (
	"bytes"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// wantRealm is the challenge: Basic, realm custodia, passwords in UTF-8
// (RFC 7617's charset parameter).
const wantRealm = `Basic realm="custodia", charset="UTF-8"`

func TestWebDAVNeedsCredentials(t *testing.T) {
	t.Parallel()
	// The defender is off so that the failures below do not ban 127.0.0.1.
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_ENABLED=false")
	tg.Fixture()
	var wrong, unknown testkit.DAVResp
	for _, c := range []struct {
		what, user, pass string
		keep             *testkit.DAVResp
	}{
		{"no credentials", "", "", nil},
		{"a wrong password", "ana", testkit.Password + "x", &wrong},
		{"an unknown user", "nadie", testkit.Password, &unknown},
		{"an empty password", "ana", "", nil},
	} {
		r := tg.DAVAs(c.user, c.pass).Propfind("/operaciones", "1")
		if r.Code != 401 || r.Header.Get("WWW-Authenticate") != wantRealm {
			t.Errorf("PROPFIND with %s: %d, WWW-Authenticate %q; want 401 and %s",
				c.what, r.Code, r.Header.Get("WWW-Authenticate"), wantRealm)
		}
		if strings.Contains(r.Body, "reporte") {
			t.Errorf("PROPFIND with %s lists the folder:\n%s", c.what, r.Body)
		}
		if c.keep != nil {
			*c.keep = r
		}
	}
	// A wrong password and an unknown user look alike, as over SFTP.
	if wrong.Code != unknown.Code || wrong.Body != unknown.Body {
		t.Errorf("a wrong password answers %d %q, an unknown user %d %q", wrong.Code, wrong.Body, unknown.Code, unknown.Body)
	}
	if r := tg.DAVAs("", "").Do("GET", "/operaciones/reporte.xlsx", ""); r.Code != 401 || r.Body == "reporte" {
		t.Errorf("GET without credentials: %d %q, want 401 and no content", r.Code, r.Body)
	}
	if r := tg.DAV("ana").Propfind("/operaciones", "1"); r.Code != 207 || !strings.Contains(r.Body, "reporte.xlsx") {
		t.Errorf("ana's PROPFIND with her password: %d\n%s", r.Code, r.Body)
	}
}

// Desktop clients send OPTIONS first, without credentials, to learn that
// the server speaks WebDAV (and, on Windows, that it may author with it).
func TestWebDAVOptionsWithoutCredentials(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	for _, c := range []*testkit.DAVClient{tg.DAVAs("", ""), tg.DAV("ana")} {
		for _, p := range []string{"/", "/operaciones/"} {
			r := c.Do("OPTIONS", p, "")
			classes := map[string]bool{}
			for _, f := range strings.Split(r.Header.Get("DAV"), ",") {
				classes[strings.TrimSpace(f)] = true
			}
			if r.Code != 200 || !classes["1"] || !classes["2"] || r.Header.Get("MS-Author-Via") != "DAV" {
				t.Errorf("OPTIONS %s as %q: %d, DAV %q, MS-Author-Via %q; want 200, DAV: 1, 2 and MS-Author-Via: DAV",
					p, c.User, r.Code, r.Header.Get("DAV"), r.Header.Get("MS-Author-Via"))
			}
		}
	}
}

// A PROPFIND of the whole tree in one request is refused (RFC 4918 9.1):
// it would walk every folder the user may see.
func TestWebDAVInfiniteDepthRefused(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	d := tg.DAV("sys")
	for _, p := range []string{"/", "/departments"} {
		for _, depth := range []string{"infinity", ""} {
			var hdr []string
			if depth != "" {
				hdr = []string{"Depth", depth}
			}
			r := d.Do("PROPFIND", p, testkit.AllProp, hdr...)
			if r.Code != 403 || !strings.Contains(r.Body, "propfind-finite-depth") {
				t.Errorf("PROPFIND %s with Depth %q: %d, want 403 with propfind-finite-depth\n%s", p, depth, r.Code, r.Body)
			}
		}
	}
}

// Dot segments and encoded separators or NULs, sent raw in the request
// line (net/http would clean them), never reach a folder the user may not
// see: trafico's guia.docx, or the host's files.
func TestWebDAVHostilePaths(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	auth := testkit.BasicAuth("ana", testkit.Password)
	head := "\r\nHost: " + tg.DAVAddr + "\r\nAuthorization: " + auth + "\r\nConnection: close\r\n\r\n"
	// Controls: the hand-written requests are served when the path is sound.
	if code, body := tg.DAVRaw("GET /operaciones/reporte.xlsx HTTP/1.1" + head); code != 200 || body != "reporte" {
		t.Fatalf("a hand-written GET: %d %q, want 200 reporte", code, body)
	}
	for _, move := range [][2]string{{"reporte.xlsx", "r2.xlsx"}, {"r2.xlsx", "reporte.xlsx"}} {
		req := "MOVE /operaciones/" + move[0] + " HTTP/1.1\r\nDestination: " + tg.DAVURL() + "/operaciones/" + move[1] + head
		if code, body := tg.DAVRaw(req); code != 201 {
			t.Fatalf("a hand-written MOVE of %s: %d %q, want 201", move[0], code, body)
		}
	}
	for _, p := range []string{
		"/operaciones/../trafico/guia.docx",
		"/operaciones/../../departments/trafico/guia.docx",
		"/operaciones/%2e%2e/trafico/guia.docx",
		"/operaciones/%2E%2E/%2E%2E/departments/trafico/guia.docx",
		"/operaciones/..%2ftrafico%2fguia.docx",
		"/operaciones/%2e%2e%2f%2e%2e%2fdepartments%2ftrafico%2fguia.docx",
		"/operaciones/..%5ctrafico%5cguia.docx",
		"/operaciones/..\\trafico\\guia.docx",
		"/departments/trafico/guia.docx",
		"/trafico/guia.docx%00.pdf",
		"/operaciones/reporte.xlsx%00/../../trafico/guia.docx",
		"/../../../../../../etc/passwd",
		"/operaciones/%2e%2e/%2e%2e/%2e%2e/%2e%2e/etc/passwd",
	} {
		code, body := tg.DAVRaw("GET " + p + " HTTP/1.1" + head)
		if code < 400 || code > 499 || strings.Contains(body, "guia") || strings.Contains(body, "root:") {
			t.Errorf("GET %s as ana: %d %q, want a 4xx without the file", p, code, body)
		}
	}
	// The same paths as write targets: nothing lands in trafico.
	for _, req := range []string{
		"PUT /operaciones/../trafico/evil.docx HTTP/1.1\r\nContent-Length: 4",
		"PUT /operaciones/%2e%2e/trafico/evil.docx HTTP/1.1\r\nContent-Length: 4",
		"PUT /operaciones/evil.docx%00 HTTP/1.1\r\nContent-Length: 4",
		"MKCOL /operaciones/%2e%2e/trafico/evil HTTP/1.1",
		"MOVE /operaciones/reporte.xlsx HTTP/1.1\r\nDestination: " + tg.DAVURL() + "/operaciones/../trafico/evil.docx",
		"MOVE /operaciones/reporte.xlsx HTTP/1.1\r\nDestination: " + tg.DAVURL() + "/operaciones/%2e%2e/trafico/evil.docx",
		"COPY /operaciones/reporte.xlsx HTTP/1.1\r\nDestination: " + tg.DAVURL() + "/operaciones/..%2ftrafico%2fevil.docx",
		"COPY /operaciones/reporte.xlsx HTTP/1.1\r\nDestination: " + tg.DAVURL() + "/../../departments/trafico/evil.docx",
	} {
		body := ""
		if strings.Contains(req, "Content-Length: 4") {
			body = "evil"
		}
		code, msg := tg.DAVRaw(req + head + body)
		if code < 400 || code > 499 {
			t.Errorf("%s as ana: %d %q, want a 4xx", strings.SplitN(req, "\r\n", 2)[0], code, msg)
		}
	}
	entries, _ := os.ReadDir(filepath.Join(tg.DataDir, "files/departments/trafico"))
	if len(entries) != 1 || entries[0].Name() != "guia.docx" {
		t.Errorf("trafico's folder holds %v after hostile writes, want only guia.docx", entries)
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files/departments/operaciones/reporte.xlsx")); err != nil {
		t.Errorf("reporte.xlsx moved away: %v", err)
	}
	if r := tg.DAV("ana").Do("GET", "/operaciones/reporte.xlsx", ""); r.Code != 200 || r.Body != "reporte" {
		t.Errorf("the server does not answer normally after hostile paths: %d %q", r.Code, r.Body)
	}
}

// The defender counts WebDAV failures with the others: five wrong
// passwords (the default defender.max_failures) ban the address for SFTP.
func TestWebDAVFailuresBanAcrossProtocols(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	bad := tg.DAVAs("ana", "Wrong-password-123")
	for i := range 5 {
		if r := bad.Propfind("/operaciones", "1"); r.Code != 401 {
			t.Fatalf("wrong password %d over WebDAV: %d, want 401", i+1, r.Code)
		}
	}
	if c, err := tg.Dial("ana", testkit.Password); err == nil {
		c.Close()
		t.Error("SFTP lets the address in after 5 WebDAV failures")
	}
	// A refusal is any status but a success, or a closed connection.
	if r, err := tg.DAV("ana").Try("PROPFIND", "/operaciones", testkit.AllProp, "Depth", "1"); err == nil && r.Code/100 == 2 {
		t.Errorf("WebDAV with the right password from a banned address: %d, want a refusal", r.Code)
	}
	if out := tg.AuditLog("ana", 100); !strings.Contains(out, "address banned") {
		t.Errorf("the ban is not in the audit trail:\n%s", out)
	}
}

// Desktop clients always ask once without credentials, then again with
// them (gowebdav, Windows, Finder): those probes are not failed logins.
func TestWebDAVAnonymousProbesDoNotBan(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	anon := tg.DAVAs("", "")
	for i := range 10 {
		if r := anon.Propfind("/operaciones", "0"); r.Code != 401 {
			t.Fatalf("anonymous PROPFIND %d: %d, want 401", i+1, r.Code)
		}
	}
	if r := tg.DAV("ana").Propfind("/operaciones", "1"); r.Code != 207 {
		t.Errorf("after 10 anonymous probes, ana's PROPFIND: %d, want 207", r.Code)
	}
	c, err := tg.Dial("ana", testkit.Password)
	if err != nil {
		t.Fatalf("after 10 anonymous WebDAV probes SFTP refuses the address: %v", err)
	}
	c.Close()
}

var desktopJunk = []string{"desktop.ini", "Thumbs.db", ".DS_Store", "._acta.docx"}

// junkOnDisk lists the desktop files anywhere under files/.
func junkOnDisk(tg *testkit.Gateway) []string {
	var found []string
	filepath.WalkDir(filepath.Join(tg.DataDir, "files"), func(p string, e fs.DirEntry, err error) error {
		for _, j := range desktopJunk {
			if err == nil && e.Name() == j {
				found = append(found, p)
			}
		}
		return nil
	})
	return found
}

// Explorer and Finder litter every folder they open; webdav.desktop_files
// says whether that is silently dropped (the default), refused or kept.
func TestWebDAVDesktopFiles(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		setting  string
		put, get int
	}{
		{"", 201, 404},
		{"discard", 201, 404},
		{"refuse", 403, 404},
		{"store", 201, 200},
	} {
		t.Run("desktop_files="+c.setting, func(t *testing.T) {
			var extra []string
			if c.setting != "" {
				extra = append(extra, "CUSTODIA_WEBDAV_DESKTOP_FILES="+c.setting)
			}
			tg := testkit.Start(t, extra...)
			tg.Fixture()
			d := tg.DAV("ana")
			for _, name := range desktopJunk {
				if r := d.Do("PUT", "/operaciones/"+name, "junk "+name); r.Code != c.put {
					t.Errorf("PUT %s: %d, want %d", name, r.Code, c.put)
				}
				if r := d.Do("GET", "/operaciones/"+name, ""); r.Code != c.get || (c.get == 200 && r.Body != "junk "+name) {
					t.Errorf("GET %s after the PUT: %d %q, want %d", name, r.Code, r.Body, c.get)
				}
			}
			found := junkOnDisk(tg)
			if c.setting == "store" && len(found) != len(desktopJunk) {
				t.Errorf("with store, %d of %d desktop files are on disk: %v", len(found), len(desktopJunk), found)
			}
			if c.setting != "store" && len(found) != 0 {
				t.Errorf("desktop files reached the disk: %v", found)
			}
			// An ordinary file still goes through.
			if r := d.Do("PUT", "/operaciones/acta.docx", "acta"); r.Code != 201 {
				t.Errorf("PUT of an ordinary file: %d, want 201", r.Code)
			}
		})
	}
}

// A PUT whose client dies mid-body leaves nothing visible and is audited
// as aborted; net/http cannot be stopped halfway, so the request is
// written by hand and the TCP connection reset.
func TestWebDAVAbortedPutLeavesNothing(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.DAVConn()
	io.WriteString(c, "PUT /operaciones/cortado.docx HTTP/1.1\r\nHost: localhost\r\nAuthorization: "+
		testkit.BasicAuth("ana", testkit.Password)+"\r\nContent-Length: "+strconv.Itoa(4<<20)+"\r\n\r\n")
	chunk := bytes.Repeat([]byte("x"), 256<<10)
	for range 4 {
		if _, err := c.Write(chunk); err != nil {
			t.Fatalf("the server stopped reading the body: %v", err)
		}
	}
	time.Sleep(100 * time.Millisecond) // let the server write what it has
	tcp := c.(interface{ NetConn() net.Conn }).NetConn().(*net.TCPConn)
	tcp.SetLinger(0)
	tcp.Close()

	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, ok := testkit.FindAudit(tg.AuditRows("ana"), func(a testkit.AuditRow) bool {
			return a.Protocol == "webdav" && a.Path == "/operaciones/cortado.docx" && a.Result == "failed" &&
				strings.Contains(a.Reason, "transfer aborted")
		}); ok {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the aborted PUT was never audited as a failed transfer:\n%s",
				tg.AuditLog("ana", 100))
		}
		time.Sleep(50 * time.Millisecond)
	}
	entries, _ := os.ReadDir(filepath.Join(tg.DataDir, "files/departments/operaciones"))
	if len(entries) != 1 || entries[0].Name() != "reporte.xlsx" {
		t.Errorf("operaciones holds %v after the aborted PUT, want only reporte.xlsx", entries)
	}
	if r := tg.DAV("ana").Do("GET", "/operaciones/cortado.docx", ""); r.Code != 404 {
		t.Errorf("GET of the aborted upload: %d, want 404", r.Code)
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		left, _ := os.ReadDir(filepath.Join(tg.DataDir, "files/.incoming"))
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Errorf("the aborted PUT left %d file(s) in files/.incoming", len(left))
			break
		}
	}
}

func TestWebDAVCompletedPutIsAuditedWithSHA256(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	data := bytes.Repeat([]byte("pedimento "), 100_000)
	if r := tg.DAV("ana").Do("PUT", "/operaciones/lote.docx", string(data)); r.Code != 201 {
		t.Fatalf("PUT: %d, want 201\n%s", r.Code, r.Body)
	}
	got, err := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/lote.docx"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the file on disk differs from what was sent (err %v)", err)
	}
	want := testkit.SHA256Hex(data)
	if _, ok := testkit.FindAudit(tg.AuditRows("ana"), func(a testkit.AuditRow) bool {
		return a.Protocol == "webdav" && a.Action == "write" && a.Path == "/operaciones/lote.docx" &&
			a.Bytes == "1000000" && a.SHA256 == want && a.Result == "ok"
	}); !ok {
		t.Errorf("no webdav write row with the size and sha256 %s:\n%s", want, tg.AuditLog("ana", 100))
	}
}

// webdav.tls=off is for a TLS-terminating proxy in front: it works, and
// the gateway says at start that passwords travel in clear text.
func TestWebDAVPlainHTTPWorksAndWarns(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_WEBDAV_TLS=off", "CUSTODIA_LOG_LEVEL=warn")
	tg.Fixture()
	if !strings.HasPrefix(tg.DAVURL(), "http://") {
		t.Fatal("the harness does not speak plain HTTP with webdav.tls off")
	}
	d := tg.DAV("ana")
	if r := d.Propfind("/operaciones", "1"); r.Code != 207 || !strings.Contains(r.Body, "reporte.xlsx") {
		t.Errorf("PROPFIND over plain HTTP: %d\n%s", r.Code, r.Body)
	}
	if r := d.Do("PUT", "/operaciones/claro.docx", "en claro"); r.Code != 201 {
		t.Errorf("PUT over plain HTTP: %d, want 201", r.Code)
	}
	if b, err := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/claro.docx")); err != nil || string(b) != "en claro" {
		t.Errorf("the plain HTTP upload on disk: %q (%v)", b, err)
	}
	warned := false
	for _, line := range strings.Split(tg.Log(), "\n") {
		warned = warned || (strings.Contains(line, "webdav") && strings.Contains(line, "TLS"))
	}
	if !warned {
		t.Errorf("no warning about WebDAV without TLS at start:\n%s", tg.Log())
	}
}

// With TLS on, a clear-text request (credentials and all) is not served.
func TestWebDAVClearTextRefusedOnTheTLSPort(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c, err := net.DialTimeout("tcp", tg.DAVAddr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	io.WriteString(c, "PROPFIND /operaciones HTTP/1.1\r\nHost: localhost\r\nDepth: 1\r\nAuthorization: "+
		testkit.BasicAuth("ana", testkit.Password)+"\r\nConnection: close\r\n\r\n")
	b, _ := io.ReadAll(io.LimitReader(c, 64<<10))
	// Go's TLS server answers a clear-text request 400, or just closes.
	if code, _ := strconv.Atoi(strings.Fields(string(b) + " - -")[1]); code >= 200 && code < 300 ||
		strings.Contains(string(b), "reporte") {
		t.Errorf("a clear-text PROPFIND on the TLS port was answered:\n%s", b)
	}
}

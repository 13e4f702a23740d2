package tus_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/tus"
)

const base = "/upload/"

// portal is the tiny stand-in for the web portal: an HTTPS server on
// loopback that logs each request in with basic auth through the
// gateway's core (the same login and view as every protocol) and mounts
// the tus handler under base.
type portal struct {
	t   *testing.T
	tg  *testkit.Gateway
	h   *tus.Handler
	srv *httptest.Server
}

func startPortal(t *testing.T, tg *testkit.Gateway, o tus.Options) *portal {
	t.Helper()
	core := tg.Server.Core()
	o.Files = tg.Server.State().Files
	o.BasePath = base
	o.Caller = func(r *http.Request) (*storage.View, error) {
		name, pass, ok := r.BasicAuth()
		if !ok {
			return nil, fmt.Errorf("no credentials")
		}
		remote, _ := netip.ParseAddrPort(r.RemoteAddr)
		sid := gateway.NewSessionID()
		u, err := core.Login(r.Context(), gateway.Credentials{Username: name, Password: pass,
			Remote: remote.Addr(), Protocol: "web", Session: sid})
		if err != nil {
			return nil, err
		}
		return core.View(r.Context(), u, storage.Session{ID: sid, Protocol: "web", Remote: remote.Addr().String()})
	}
	h, err := tus.New(o)
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mux.Handle(base, h)
	srv := httptest.NewUnstartedServer(mux)
	srv.StartTLS()
	p := &portal{t: t, tg: tg, h: h, srv: srv}
	t.Cleanup(p.stop)
	return p
}

// stop closes the server and the handler (before the gateway stops).
func (p *portal) stop() {
	if p.srv == nil {
		return
	}
	p.srv.Close()
	if err := p.h.Close(); err != nil {
		p.t.Error(err)
	}
	p.srv = nil
}

type resp struct {
	code int
	hdr  http.Header
	body string
}

// do sends one tus request as user.
func (p *portal) do(user, method, url string, body []byte, hdr ...string) resp {
	p.t.Helper()
	if !strings.HasPrefix(url, "https://") {
		url = p.srv.URL + url
	}
	req, err := http.NewRequest(method, url, bytes.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	req.SetBasicAuth(user, testkit.Password)
	req.Header.Set("Tus-Resumable", "1.0.0")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	res, err := p.srv.Client().Do(req)
	if err != nil {
		p.t.Fatalf("%s %s as %s: %v", method, url, user, err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, string(b)}
}

func meta(folder, name string) string {
	enc := base64.StdEncoding.EncodeToString
	return "filename " + enc([]byte(name)) + ",folder " + enc([]byte(folder))
}

// create starts an upload of size bytes as folder/name.
func (p *portal) create(user, folder, name string, size int, hdr ...string) resp {
	p.t.Helper()
	return p.do(user, "POST", base, nil, append([]string{"Upload-Length", strconv.Itoa(size),
		"Upload-Metadata", meta(folder, name)}, hdr...)...)
}

// mustCreate starts an upload and returns its URL's path.
func (p *portal) mustCreate(user, folder, name string, size int) string {
	p.t.Helper()
	r := p.create(user, folder, name, size)
	if r.code != http.StatusCreated {
		p.t.Fatalf("%s cannot start an upload of %s/%s: %d %s", user, folder, name, r.code, r.body)
	}
	loc := r.hdr.Get("Location")
	if i := strings.Index(loc, base); i >= 0 {
		return loc[i:]
	}
	p.t.Fatalf("Location %q is not under %s", loc, base)
	return ""
}

func (p *portal) patch(user, loc string, off int, data []byte) resp {
	p.t.Helper()
	return p.do(user, "PATCH", loc, data, "Upload-Offset", strconv.Itoa(off), "Content-Type", "application/offset+octet-stream")
}

// offset asks HEAD for the upload's offset.
func (p *portal) offset(user, loc string) int {
	p.t.Helper()
	r := p.do(user, "HEAD", loc, nil)
	if r.code != http.StatusOK {
		p.t.Fatalf("HEAD %s as %s: %d", loc, user, r.code)
	}
	n, err := strconv.Atoi(r.hdr.Get("Upload-Offset"))
	if err != nil {
		p.t.Fatalf("HEAD %s: Upload-Offset %q", loc, r.hdr.Get("Upload-Offset"))
	}
	return n
}

// dropMidPatch sends a PATCH that announces len(chunk) bytes, sends only
// sent of them, and closes the TCP connection under TLS, as a dropped
// connection would.
func (p *portal) dropMidPatch(user, loc string, off int, chunk []byte, sent int) {
	p.t.Helper()
	addr := p.srv.Listener.Addr().String()
	raw, err := net.Dial("tcp", addr)
	if err != nil {
		p.t.Fatal(err)
	}
	cfg := p.srv.Client().Transport.(*http.Transport).TLSClientConfig.Clone()
	cfg.ServerName = "127.0.0.1"
	conn := tls.Client(raw, cfg)
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Content-Type: application/offset+octet-stream\r\nUpload-Offset: %d\r\nContent-Length: %d\r\n\r\n",
		loc, addr, base64.StdEncoding.EncodeToString([]byte(user+":"+testkit.Password)), off, len(chunk))
	if _, err := conn.Write(chunk[:sent]); err != nil {
		p.t.Fatal(err)
	}
	raw.Close() // no close_notify: the connection just drops
}

// partialSize waits until the upload's partial data reaches want bytes on
// disk (the server has stored what the dropped PATCH brought).
func (p *portal) partialSize(loc string, want int64) {
	p.t.Helper()
	part := filepath.Join(p.tg.DataDir, "files", ".resumable", strings.TrimPrefix(loc, base)+".part")
	testkit.WaitFor(p.t, 10*time.Second, fmt.Sprintf("the partial holds %d bytes", want), func() bool {
		fi, err := os.Stat(part)
		return err == nil && fi.Size() == want
	})
}

func random(t *testing.T, n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// wantCommitted checks that user's upload vpath is visible over SFTP
// with content data (to ana of Operaciones, who reads the dossiers, at
// /dossiers/...), and that its audit row (protocol web) has its sha256.
func wantCommitted(t *testing.T, tg *testkit.Gateway, user, vpath string, data []byte) {
	t.Helper()
	seen := "/dossiers" + vpath
	f, err := tg.SFTP("ana").Open(seen)
	if err != nil {
		t.Fatalf("ana cannot open %s over SFTP after the upload: %v", seen, err)
	}
	got, err := io.ReadAll(f)
	f.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("%s over SFTP: %d bytes (err %v), want the %d uploaded", vpath, len(got), err, len(data))
	}
	sum := testkit.SHA256Hex(data)
	for _, e := range tg.Audit(user, 50) {
		if e.Protocol == "web" && e.Action == "write" && e.VPath == vpath && e.Result == store.ResultOK {
			if e.SHA256 != sum || e.Bytes != int64(len(data)) {
				t.Errorf("audit row of %s: sha256 %s, %d bytes; want %s, %d", vpath, e.SHA256, e.Bytes, sum, len(data))
			}
			return
		}
	}
	t.Errorf("no ok web write row for %s in\n%s", vpath, tg.AuditLog(user, 50))
}

// wantInvisible checks that vpath is not there for user over SFTP.
func wantInvisible(t *testing.T, tg *testkit.Gateway, user, vpath, when string) {
	t.Helper()
	if _, err := tg.SFTP(user).Stat(vpath); err == nil {
		t.Fatalf("%s sees %s over SFTP %s", user, vpath, when)
	}
	if _, err := tg.SFTP("ana").Stat("/dossiers" + vpath); err == nil {
		t.Fatalf("ana sees /dossiers%s over SFTP %s", vpath, when)
	}
}

// TestResumeAfterDroppedConnection: three PATCHes, the second dropped
// halfway through its body; HEAD tells what the server kept, the client
// resumes there, and the completed file appears over SFTP with its
// sha256 in the audit row, and not before.
func TestResumeAfterDroppedConnection(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	p := startPortal(t, tg, tus.Options{})
	const n = 3 << 20
	data := random(t, n)
	const vpath = "/ACME/2026/expediente.pdf"
	loc := p.mustCreate("juan", "/ACME/2026", "expediente.pdf", n)

	if r := p.patch("juan", loc, 0, data[:n/3]); r.code != http.StatusNoContent || r.hdr.Get("Upload-Offset") != strconv.Itoa(n/3) {
		t.Fatalf("first PATCH: %d offset %s %s", r.code, r.hdr.Get("Upload-Offset"), r.body)
	}
	p.dropMidPatch("juan", loc, n/3, data[n/3:2*n/3], n/6)
	p.partialSize(loc, n/3+n/6)
	off := p.offset("juan", loc)
	if off != n/3+n/6 {
		t.Fatalf("after the dropped PATCH the offset is %d, want %d (what arrived is kept)", off, n/3+n/6)
	}
	wantInvisible(t, tg, "juan", vpath, "before the upload completed")

	if r := p.patch("juan", loc, off, data[off:2*n/3]); r.code != http.StatusNoContent {
		t.Fatalf("resumed PATCH: %d %s", r.code, r.body)
	}
	wantInvisible(t, tg, "juan", vpath, "with a third of the file still to come")
	r := p.patch("juan", loc, 2*n/3, data[2*n/3:])
	if r.code != http.StatusNoContent || r.hdr.Get("Upload-Offset") != strconv.Itoa(n) {
		t.Fatalf("last PATCH: %d offset %s %s", r.code, r.hdr.Get("Upload-Offset"), r.body)
	}
	wantCommitted(t, tg, "juan", vpath, data)
	// A client that lost the last reply learns the upload is complete.
	if got := p.offset("juan", loc); got != n {
		t.Errorf("HEAD after the commit: offset %d, want %d", got, n)
	}
	if des, _ := os.ReadDir(filepath.Join(tg.DataDir, "files", ".resumable")); len(des) != 1 {
		t.Errorf("after the commit the partials folder holds %d entries, want only the record", len(des))
	}
}

// TestResumeAfterRestart: an upload half sent before the gateway stops
// goes on at the same offset after it starts again, and completes.
func TestResumeAfterRestart(t *testing.T) {
	t.Parallel()
	tg, stop := testkit.Restartable(t, testkit.Env(t.TempDir()), true)
	tg.Fixture()
	p := startPortal(t, tg, tus.Options{})
	const n = 1 << 20
	data := random(t, n)
	loc := p.mustCreate("juan", "/ACME", "factura.xml", n)
	if r := p.patch("juan", loc, 0, data[:n/2]); r.code != http.StatusNoContent {
		t.Fatalf("PATCH: %d %s", r.code, r.body)
	}
	part := filepath.Join(tg.DataDir, "files", ".resumable", strings.TrimPrefix(loc, base)+".part")
	if fi, err := os.Stat(part); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("partial data: %v, mode %v; want 0600", err, fi.Mode().Perm())
	}
	p.stop()
	stop()

	tg2, _ := testkit.Restartable(t, tg.Environ, false)
	p2 := startPortal(t, tg2, tus.Options{})
	off := p2.offset("juan", loc)
	if off != n/2 {
		t.Fatalf("after the restart the offset is %d, want %d", off, n/2)
	}
	wantInvisible(t, tg2, "juan", "/ACME/factura.xml", "after the restart, half sent")
	if r := p2.patch("juan", loc, off, data[off:]); r.code != http.StatusNoContent {
		t.Fatalf("PATCH after the restart: %d %s", r.code, r.body)
	}
	wantCommitted(t, tg2, "juan", "/ACME/factura.xml", data)
}

// TestOtherUserCannotTouchUpload: to another user, even one with the same
// rights on the folder, an upload does not exist: HEAD, PATCH, DELETE
// and GET answer 404 and change nothing.
func TestOtherUserCannotTouchUpload(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "pedro", Role: store.RoleCorrespondent, Clients: []string{"ACME"}})
	p := startPortal(t, tg, tus.Options{})
	data := random(t, 1000)
	loc := p.mustCreate("juan", "/ACME", "cert.pdf", len(data))
	if r := p.patch("juan", loc, 0, data[:400]); r.code != http.StatusNoContent {
		t.Fatalf("PATCH: %d %s", r.code, r.body)
	}
	for _, tc := range []struct {
		method string
		body   []byte
		hdr    []string
	}{
		{"HEAD", nil, nil},
		{"PATCH", data[400:], []string{"Upload-Offset", "400", "Content-Type", "application/offset+octet-stream"}},
		{"DELETE", nil, nil},
		{"GET", nil, nil},
	} {
		for _, user := range []string{"pedro", "sys"} {
			if r := p.do(user, tc.method, loc, tc.body, tc.hdr...); r.code != http.StatusNotFound {
				t.Errorf("%s %s as %s: %d, want 404", tc.method, loc, user, r.code)
			}
		}
	}
	if off := p.offset("juan", loc); off != 400 {
		t.Errorf("juan's upload after the others tried: offset %d, want 400", off)
	}
	if r := p.patch("juan", loc, 400, data[400:]); r.code != http.StatusNoContent {
		t.Fatalf("juan's last PATCH: %d %s", r.code, r.body)
	}
	wantCommitted(t, tg, "juan", "/ACME/cert.pdf", data)
}

// TestRefusedAtCreation: a file the user may not store is refused at the
// POST, before any byte is sent, with a status and a message that says
// why; nothing is kept of it.
func TestRefusedAtCreation(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tg.AddUser(store.NewUser{Name: "pedro", Role: store.RoleCorrespondent, Clients: []string{"ACME"}})
	q := store.Limit{Bytes: 1000}
	if _, err := tg.Store().UpdateUser(context.Background(), "pedro", store.UserUpdate{Quota: &q}); err != nil {
		t.Fatal(err)
	}
	p := startPortal(t, tg, tus.Options{})
	for _, tc := range []struct {
		what, user, folder, name string
		size                     int
		lang                     string
		code                     int
		want                     string
	}{
		{"an executable in a dossier", "juan", "/ACME/2026", "setup.exe", 10, "", 403, "ERR_NOT_ALLOWED: No se permite subir este archivo aquí"},
		{"an existing name", "juan", "/ACME/2026", "pedimento.pdf", 10, "", 409, "ERR_FILE_EXISTS: Ya existe un archivo con este nombre"},
		{"an existing name, in English", "juan", "/ACME/2026", "pedimento.pdf", 10, "en-US,en;q=0.9", 409, "ERR_FILE_EXISTS: A file with this name already exists"},
		{"over the user's quota", "pedro", "/ACME", "big.pdf", 5000, "", 507, "ERR_QUOTA: El archivo no cabe en la cuota"},
		{"a folder that does not exist", "juan", "/ACME/nope", "a.pdf", 10, "", 409, "ERR_NO_FOLDER"},
		{"another client's folder", "juan", "/BETA", "a.pdf", 10, "", 409, "ERR_NO_FOLDER"},
		{"a name with a slash", "juan", "/ACME", "../BETA/a.pdf", 10, "", 400, "ERR_BAD_NAME"},
		{"a client writing", "carla", "/ACME/2026", "a.pdf", 10, "", 403, "ERR_NOT_ALLOWED"},
	} {
		r := p.create(tc.user, tc.folder, tc.name, tc.size, "Accept-Language", tc.lang)
		if r.code != tc.code || !strings.HasPrefix(r.body, tc.want) {
			t.Errorf("%s: %d %q, want %d %q", tc.what, r.code, r.body, tc.code, tc.want)
		}
		if r.hdr.Get("Location") != "" {
			t.Errorf("%s: refused, yet given an upload URL %s", tc.what, r.hdr.Get("Location"))
		}
	}
	if des, _ := os.ReadDir(filepath.Join(tg.DataDir, "files", ".resumable")); len(des) != 0 {
		t.Errorf("refused uploads left %d entries in the partials folder", len(des))
	}
	if f, err := tg.SFTP("ana").Open("/dossiers/ACME/2026/pedimento.pdf"); err != nil {
		t.Error(err)
	} else if b, _ := io.ReadAll(f); string(b) != "%PDF-1.4 pedimento" {
		t.Errorf("the existing file changed: %q", b)
	}
}

// TestCommitRefusedWhenNameAppeared: a name taken while the upload was
// under way refuses the commit with its message; the other file is left
// as it was, and the upload is gone.
func TestCommitRefusedWhenNameAppeared(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	p := startPortal(t, tg, tus.Options{})
	data := random(t, 2000)
	loc := p.mustCreate("ana", "/operaciones", "informe.pdf", len(data))
	if r := p.patch("ana", loc, 0, data[:1000]); r.code != http.StatusNoContent {
		t.Fatalf("PATCH: %d %s", r.code, r.body)
	}
	testkit.Upload(t, tg, "ana", "/operaciones/informe.pdf", "meanwhile")
	r := p.patch("ana", loc, 1000, data[1000:])
	if r.code != http.StatusConflict || !strings.HasPrefix(r.body, "ERR_FILE_EXISTS") {
		t.Errorf("commit over a name that appeared: %d %q, want 409 ERR_FILE_EXISTS", r.code, r.body)
	}
	if f, err := tg.SFTP("ana").Open("/operaciones/informe.pdf"); err != nil {
		t.Error(err)
	} else if b, _ := io.ReadAll(f); string(b) != "meanwhile" {
		t.Errorf("the file that appeared was replaced: %d bytes", len(b))
	}
	if r := p.do("ana", "HEAD", loc, nil); r.code != http.StatusNotFound {
		t.Errorf("HEAD of the refused upload: %d, want 404", r.code)
	}
}

// TestBounds: a user's unfinished uploads are capped, an abandoned one
// expires, and DELETE abandons one at once.
func TestBounds(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	p := startPortal(t, tg, tus.Options{MaxUnfinished: 2})
	a := p.mustCreate("juan", "/ACME", "a.pdf", 10)
	p.mustCreate("juan", "/ACME", "b.pdf", 10)
	if r := p.create("juan", "/ACME", "c.pdf", 10); r.code != http.StatusTooManyRequests || !strings.HasPrefix(r.body, "ERR_TOO_MANY_UPLOADS") {
		t.Errorf("a third unfinished upload: %d %q, want 429", r.code, r.body)
	}
	p.mustCreate("ana", "/operaciones", "x.pdf", 10) // the cap is per user
	if r := p.do("juan", "DELETE", a, nil); r.code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.code, r.body)
	}
	if r := p.do("juan", "HEAD", a, nil); r.code != http.StatusNotFound {
		t.Errorf("HEAD after DELETE: %d", r.code)
	}
	p.mustCreate("juan", "/ACME", "c.pdf", 10)
	p.stop()

	// A handler whose expiry has passed removes them all when it starts.
	p2 := startPortal(t, tg, tus.Options{Expiry: time.Nanosecond})
	if des, _ := os.ReadDir(filepath.Join(tg.DataDir, "files", ".resumable")); len(des) != 0 {
		t.Errorf("expired uploads left %d entries in the partials folder", len(des))
	}
	if r := p2.create("juan", "/ACME", "d.pdf", 10); r.code != http.StatusCreated {
		t.Errorf("after expiry juan cannot start an upload: %d %s", r.code, r.body)
	}
}

// TestSameOriginOnly: no CORS header is ever sent, and a request from
// another site is refused.
func TestSameOriginOnly(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	p := startPortal(t, tg, tus.Options{})
	r := p.do("juan", "OPTIONS", base, nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
	for k := range r.hdr {
		if strings.HasPrefix(k, "Access-Control-") {
			t.Errorf("preflight from another site answered with %s: %s", k, r.hdr.Get(k))
		}
	}
	if r := p.create("juan", "/ACME", "a.pdf", 10, "Origin", "https://evil.example"); r.code != http.StatusForbidden {
		t.Errorf("POST from another origin: %d, want 403", r.code)
	}
	if r := p.create("juan", "/ACME", "a.pdf", 10, "Sec-Fetch-Site", "cross-site"); r.code != http.StatusForbidden {
		t.Errorf("POST from another site: %d, want 403", r.code)
	}
	if r := p.create("juan", "/ACME", "a.pdf", 10, "Origin", p.srv.URL); r.code != http.StatusCreated {
		t.Errorf("POST from the same origin: %d %s", r.code, r.body)
	}
	if r := p.do("nobody", "POST", base, nil, "Upload-Length", "1"); r.code != http.StatusUnauthorized {
		t.Errorf("POST without a login: %d, want 401", r.code)
	}
}

package webdav_test

import (
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/gateway/webdav"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

const password = "contrasena-de-prueba-9"

// testDAV is a WebDAV front end on 127.0.0.1:0 over a real store, the
// shipped rules and a real files tree, with staff users of operaciones.
type testDAV struct {
	url   string
	files string // the files tree on disk
}

func startDAV(t *testing.T, staff ...string) *testDAV {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	st, err := store.Open(ctx, filepath.Join(dir, "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rules, err := authz.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	filesDir := filepath.Join(dir, "files")
	files, err := storage.OpenFiles(filesDir, []string{"operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	hash, err := gateway.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range staff {
		if _, err := st.CreateUser(ctx, store.NewUser{Name: name, Role: store.RoleStaff, Department: "operaciones", PasswordHash: hash}); err != nil {
			t.Fatal(err)
		}
	}
	core, err := gateway.New(gateway.Options{Store: st, Files: files, Decider: rules})
	if err != nil {
		t.Fatal(err)
	}
	srv := webdav.New(webdav.Options{Core: core})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { srv.Serve(sctx, ln); close(done) }()
	t.Cleanup(func() {
		srv.Shutdown(context.Background())
		cancel()
		<-done
	})
	return &testDAV{url: "http://" + ln.Addr().String(), files: filesDir}
}

// do sends one request as user and returns the response (body closed).
func (d *testDAV) do(t *testing.T, user, method, vpath, body string, hdr map[string]string) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, d.url+vpath, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(user, password)
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp
}

const lockBody = `<?xml version="1.0" encoding="utf-8"?>
<D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/></D:lockscope><D:locktype><D:write/></D:locktype><D:owner>ana</D:owner></D:lockinfo>`

// TestWebDAVLockedResourceRefusesOthers: once ana locks a document, a
// colleague with every right to it cannot write or delete it, neither
// without the token nor with ana's token (tokens are guessable), and gets
// 423; ana, with her token, can. The file keeps ana's content.
func TestWebDAVLockedResourceRefusesOthers(t *testing.T) {
	t.Parallel()
	d := startDAV(t, "ana", "beto")
	const doc = "/operaciones/informe.txt"
	if r := d.do(t, "ana", http.MethodPut, doc, "version de ana", nil); r.StatusCode != http.StatusCreated {
		t.Fatalf("ana's PUT of %s answered %s, want 201", doc, r.Status)
	}
	r := d.do(t, "ana", "LOCK", doc, lockBody, map[string]string{"Depth": "0", "Timeout": "Second-600"})
	token := r.Header.Get("Lock-Token")
	if r.StatusCode != http.StatusOK || token == "" {
		t.Fatalf("ana's LOCK of %s answered %s with token %q, want 200 and a token", doc, r.Status, token)
	}
	ifToken := map[string]string{"If": "(" + token + ")"}
	// beto holds a lock of his own, on another document.
	const other = "/operaciones/otro.txt"
	if r := d.do(t, "beto", http.MethodPut, other, "de beto", nil); r.StatusCode != http.StatusCreated {
		t.Fatalf("beto's PUT of %s answered %s, want 201", other, r.Status)
	}
	r = d.do(t, "beto", "LOCK", other, lockBody, map[string]string{"Depth": "0", "Timeout": "Second-600"})
	if r.StatusCode != http.StatusOK || r.Header.Get("Lock-Token") == "" {
		t.Fatalf("beto's LOCK of %s answered %s, want 200 and a token", other, r.Status)
	}
	betoToken := map[string]string{"If": "(" + r.Header.Get("Lock-Token") + ")"}

	for _, c := range []struct {
		what, method string
		hdr          map[string]string
	}{
		{"PUT without the token", http.MethodPut, nil},
		{"PUT with ana's token", http.MethodPut, ifToken},
		{"DELETE without the token", http.MethodDelete, nil},
		{"DELETE with ana's token", http.MethodDelete, ifToken},
		{"PUT with his token of another file", http.MethodPut, betoToken},
		{"DELETE with his token of another file", http.MethodDelete, betoToken},
	} {
		r := d.do(t, "beto", c.method, doc, "version de beto", c.hdr)
		if r.StatusCode != http.StatusLocked && !(c.hdr != nil && r.StatusCode == http.StatusPreconditionFailed) {
			t.Errorf("beto's %s of %s, locked by ana, answered %s, want 423 Locked.", c.what, doc, r.Status)
		}
	}
	if r := d.do(t, "ana", http.MethodPut, doc, "segunda version de ana", ifToken); r.StatusCode/100 != 2 {
		t.Errorf("ana's PUT with her own token answered %s, want success.", r.Status)
	}
	got, err := os.ReadFile(filepath.Join(d.files, "departments", "operaciones", "informe.txt"))
	if err != nil || string(got) != "segunda version de ana" {
		t.Errorf("%s holds %q (%v), want ana's second version.", doc, got, err)
	}
}

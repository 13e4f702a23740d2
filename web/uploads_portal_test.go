package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// TestPortalResumableUploadThroughSession: the portal serves the
// resumable uploads at /uploads/ for its own sessions. A correspondent
// logged in through the login form uploads a dossier file in two PATCHes
// with the page's CSRF token, and the file arrives whole, with its sha256
// in a web audit row; without the token, or without a session, nothing
// starts.
func TestPortalResumableUploadThroughSession(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.Web()
	if resp, tok := c.Login("juan", testkit.Password); tok == "" {
		t.Fatalf("juan cannot log in to the portal: %d", resp.StatusCode)
	}
	_, page := c.Get("/f/")
	token := csrfMeta(page)
	if token == "" {
		t.Fatalf("the portal's page carries no csrf-token for its scripts:\n%s", page)
	}
	data := bytes.Repeat([]byte("pedimento 26 24 3173 6000123\n"), 40000)
	enc := base64.StdEncoding.EncodeToString
	start := http.Header{"Tus-Resumable": {"1.0.0"}, "Upload-Length": {strconv.Itoa(len(data))}, "Origin": {c.URL},
		"Upload-Metadata": {"filename " + enc([]byte("factura.pdf")) + ",folder " + enc([]byte("/ACME"))}}

	if resp, body := c.Do("POST", "/uploads/", nil, start); resp.StatusCode != http.StatusForbidden {
		t.Errorf("an upload started without the CSRF token answers %d %s, want 403", resp.StatusCode, body)
	}
	if resp, _ := tg.Web().Do("POST", "/uploads/", nil, start); resp.StatusCode == http.StatusCreated {
		t.Errorf("an upload started without a session was created")
	}

	start.Set(csrfHeader, token)
	resp, body := c.Do("POST", "/uploads/", nil, start)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("juan cannot start an upload through the portal: %d %s", resp.StatusCode, body)
	}
	loc := resp.Header.Get("Location")
	if i := strings.Index(loc, "/uploads/"); i >= 0 {
		loc = loc[i:]
	}
	half := len(data) / 2
	for _, part := range []struct{ off, end int }{{0, half}, {half, len(data)}} {
		resp, body := c.Do("PATCH", loc, bytes.NewReader(data[part.off:part.end]), http.Header{
			"Tus-Resumable": {"1.0.0"}, "Upload-Offset": {strconv.Itoa(part.off)}, "Origin": {c.URL},
			"Content-Type": {"application/offset+octet-stream"}, csrfHeader: {token}})
		if resp.StatusCode != http.StatusNoContent {
			t.Fatalf("PATCH at %d: %d %s", part.off, resp.StatusCode, body)
		}
	}
	f, err := tg.SFTP("ana").Open("/dossiers/ACME/factura.pdf")
	if err != nil {
		t.Fatalf("the uploaded file is not in the dossier: %v", err)
	}
	got, _ := io.ReadAll(f)
	f.Close()
	if !bytes.Equal(got, data) {
		t.Fatalf("the dossier holds %d bytes, want the %d sent", len(got), len(data))
	}
	sum := sha256.Sum256(data)
	found := false
	for _, e := range tg.Audit("juan", 20) {
		found = found || e.Protocol == "web" && e.SHA256 == hex.EncodeToString(sum[:]) && e.VPath == "/ACME/factura.pdf"
	}
	if !found {
		t.Errorf("no web audit row records juan's upload of /ACME/factura.pdf with its sha256:\n%s", tg.AuditLog("juan", 20))
	}
}

// csrfHeader is where the portal's scripts send the session's token.
const csrfHeader = "X-CSRF-Token"

// csrfMeta is the session's token a page carries for its scripts.
func csrfMeta(page string) string {
	const marker = `name="csrf-token" content="`
	i := strings.Index(page, marker)
	if i < 0 {
		return ""
	}
	rest := page[i+len(marker):]
	return rest[:strings.IndexByte(rest, '"')]
}

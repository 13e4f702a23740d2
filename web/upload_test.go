package web_test

import (
	"bytes"
	"crypto/rand"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// upload is one file of a form post.
type upload struct {
	name string
	data []byte
}

// postFiles posts the upload page's form without JavaScript: the token
// first (when not ""), then the files.
func postFiles(t *testing.T, c *testkit.WebClient, page, token string, files ...upload) (*http.Response, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	if token != "" {
		mw.WriteField("csrf", token)
	}
	for _, f := range files {
		w, err := mw.CreateFormFile("files", f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	return c.Do(http.MethodPost, page, &body, http.Header{"Content-Type": {mw.FormDataContentType()}, "Origin": {c.URL}})
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

var pdfLink = regexp.MustCompile(`href="(/receipt\.pdf\?[^"]+)"`)

// TestUploadFormWithoutJavaScript: a correspondent's folder page links to
// its upload page; its plain form posts two files, which land in the
// dossier with the bytes sent and web audit rows, and the answer is the
// receipt with their names and sha256, whose PDF is the user's own.
func TestUploadFormWithoutJavaScript(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "juan")
	_, folder := c.Get("/f/ACME/2026/")
	if href := links(folder)["Subir archivos aquí"]; href != "/u/ACME/2026/" {
		t.Fatalf("juan's dossier folder does not link to its upload page (%q):\n%s", href, folder)
	}
	resp, page := c.Get("/u/ACME/2026/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `enctype="multipart/form-data"`) || testkit.CSRF(page) != tok {
		t.Fatalf("juan's upload page: %s\n%s", resp.Status, page)
	}
	files := []upload{{"pedimento 26-24-3173.pdf", randomBytes(300 << 10)}, {"cfdi factura.xml", []byte("<cfdi/>")}}
	resp, receipt := postFiles(t, c, "/u/ACME/2026/", tok, files...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the form's post answered %s:\n%s", resp.Status, receipt)
	}
	for _, f := range files {
		sum := testkit.SHA256Hex(f.data)
		if !strings.Contains(receipt, ">"+f.name+"<") || !strings.Contains(receipt, sum) {
			t.Errorf("the receipt does not list %s with its sha256 %s:\n%s", f.name, sum, receipt)
		}
		wantStored(t, tg, "/ACME/2026/"+f.name, f.data)
	}
	m := pdfLink.FindStringSubmatch(receipt)
	if m == nil {
		t.Fatalf("the receipt offers no PDF:\n%s", receipt)
	}
	href := strings.ReplaceAll(m[1], "&amp;", "&")
	resp, pdf := c.Get(href)
	if resp.StatusCode != http.StatusOK || resp.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(pdf, "%PDF-") ||
		!strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("the receipt's PDF %s answered %s %s %q", href, resp.Status, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"))
	}

	// Another user asking for the receipt of juan's uploads gets nothing:
	// the same 404 as ids of no upload.
	other, otherTok := loggedIn(t, tg, "tomas")
	_, none := other.Get("/receipt.pdf?id=999999")
	if resp, body := other.Get(href); resp.StatusCode != http.StatusNotFound || body != none {
		t.Errorf("tomas asking for juan's receipt PDF (%s) answered %s", href, resp.Status)
	}
	ids, _ := url.ParseQuery(strings.TrimPrefix(href, "/receipt.pdf?"))
	form := url.Values{"csrf": {otherTok}, "id": ids["id"]}
	if resp, body := other.Post("/receipt", form); resp.StatusCode != http.StatusNotFound || strings.Contains(body, files[0].name) {
		t.Errorf("tomas posting juan's ids for a receipt answered %s:\n%s", resp.Status, body)
	}
	form.Set("csrf", tok)
	if resp, body := c.Post("/receipt", form); resp.StatusCode != http.StatusOK || !strings.Contains(body, files[1].name) {
		t.Errorf("juan posting his own ids for a receipt answered %s:\n%s", resp.Status, body)
	}

	// Staff upload to their department folder with the same page.
	if _, folder := other.Get("/f/trafico/"); links(folder)["Subir archivos aquí"] != "/u/trafico/" {
		t.Errorf("tomas's department folder does not link to its upload page:\n%s", folder)
	}
	memo := upload{"oficio 2026-14.docx", []byte("PK oficio")}
	if resp, body := postFiles(t, other, "/u/trafico/", otherTok, memo); resp.StatusCode != http.StatusOK || !strings.Contains(body, testkit.SHA256Hex(memo.data)) {
		t.Errorf("tomas's upload to his department answered %s:\n%s", resp.Status, body)
	}
	if f, err := tg.SFTP("tomas").Open("/trafico/" + memo.name); err != nil {
		t.Errorf("tomas's upload is not in his department folder: %v", err)
	} else {
		f.Close()
	}
}

// wantStored checks that a dossier file holds data (read back over SFTP
// by ana of Operaciones, who reads the dossiers) and that juan's ok web
// audit row of it has its sha256.
func wantStored(t *testing.T, tg *testkit.Gateway, vpath string, data []byte) {
	t.Helper()
	f, err := tg.SFTP("ana").Open("/dossiers" + vpath)
	if err != nil {
		t.Errorf("%s is not in the dossier: %v", vpath, err)
		return
	}
	defer f.Close()
	var got bytes.Buffer
	if _, err := got.ReadFrom(f); err != nil || !bytes.Equal(got.Bytes(), data) {
		t.Errorf("%s over SFTP holds %d bytes (%v), want the %d sent", vpath, got.Len(), err, len(data))
	}
	for _, e := range tg.Audit("juan", 50) {
		if e.VPath == vpath && e.Action == "write" && e.Result == store.ResultOK && e.Protocol == "web" && e.SHA256 == testkit.SHA256Hex(data) {
			return
		}
	}
	t.Errorf("no ok web audit row of %s with its sha256:\n%s", vpath, tg.AuditLog("juan", 50))
}

// TestUploadFormRefusals: a post without the token, or with another, is
// refused and writes nothing; a refused file is named with its reason
// while the other of the batch is stored; a client asking for an upload
// page or posting to one gets the 404 of a folder that does not exist.
func TestUploadFormRefusals(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "juan")
	good := upload{"guia.pdf", []byte("%PDF-1.4 guia")}
	for _, token := range []string{"", "x" + tok} {
		if resp, _ := postFiles(t, c, "/u/ACME/2026/", token, good); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a post with token %q answered %s, want 403", token, resp.Status)
		}
	}
	if _, err := tg.SFTP("ana").Stat("/dossiers/ACME/2026/guia.pdf"); err == nil {
		t.Fatal("a post without the token stored its file")
	}

	resp, page := postFiles(t, c, "/u/ACME/2026/", tok, upload{"setup.exe", []byte("MZ")}, upload{"pedimento.pdf", []byte("again")}, good)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a batch with refused files answered %s", resp.Status)
	}
	for _, want := range []string{"setup.exe</strong>: <span class=\"alert\">No se permite subir este archivo aquí",
		"pedimento.pdf</strong>: <span class=\"alert\">Ya existe un archivo con este nombre", ">guia.pdf<"} {
		if !strings.Contains(page, want) {
			t.Errorf("the receipt of a batch with refused files lacks %q:\n%s", want, page)
		}
	}
	wantStored(t, tg, "/ACME/2026/guia.pdf", good.data)

	carla, carlaTok := loggedIn(t, tg, "carla")
	_, missing := carla.Get("/u/NOPE/")
	for _, p := range []string{"/u/ACME/2026/", "/u/ACME/", "/u/"} {
		if resp, body := carla.Get(p); resp.StatusCode != http.StatusNotFound || body != missing {
			t.Errorf("carla asking for the upload page %s answered %s, want the 404 of a missing folder", p, resp.Status)
		}
		if resp, body := postFiles(t, carla, p, carlaTok, upload{"x.pdf", []byte("%PDF")}); resp.StatusCode != http.StatusNotFound || body != missing {
			t.Errorf("carla posting to %s answered %s, want the 404 of a missing folder", p, resp.Status)
		}
	}
	if _, folder := carla.Get("/f/ACME/2026/"); strings.Contains(folder, "/u/") {
		t.Errorf("carla's folder page links to an upload page:\n%s", folder)
	}
	if _, err := tg.SFTP("pub").Stat("/ACME/2026/x.pdf"); err == nil {
		t.Error("carla's post stored a file")
	}
}

package main

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// A correspondent uploads two files over SFTP, and tries three that do not
// make it (an overwrite, another client's folder, a transfer cut off):
// `custodia receipt juan` (run by the server, over its socket) and GET
// /api/v1/users/juan/receipt list exactly the two, each with the sha256 of
// the bytes sent, and agree on the listing's digest, which the PDF prints
// with the command that prints it again.
func TestReceiptOfSFTPUploads(t *testing.T) {
	t.Parallel()
	pdftotext := testkit.NeedPdftotext(t)
	tg := startGateway(t, "CUSTODIA_ORGANIZATION=Agencia Aduanal Querétaro")
	tg.Fixture()
	text := func(pdf []byte) string {
		t.Helper()
		file := filepath.Join(t.TempDir(), "acuse.pdf")
		if err := os.WriteFile(file, pdf, 0o600); err != nil {
			t.Fatal(err)
		}
		out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").CombinedOutput()
		if err != nil {
			t.Fatalf("pdftotext cannot read the receipt: %v\n%s", err, out)
		}
		return string(out)
	}
	start := time.Now().UTC()

	sent := map[string]string{} // path → sha256 of the bytes sent
	for _, vpath := range []string{"/ACME/2026/pedimento-2613-4001234.pdf", "/ACME/2026/Factura año – Querétaro (copia) $x.pdf"} {
		body := make([]byte, 70_000)
		rand.Read(body)
		testkit.Upload(t, tg, "juan", vpath, string(body))
		sum := sha256.Sum256(body)
		sent[vpath] = hex.EncodeToString(sum[:])
	}
	// Refused: an overwrite (correspondents cannot), another client's
	// folder; cut off: the connection drops before the file is closed.
	c := tg.SFTP("juan")
	if f, err := c.Create("/ACME/2026/pedimento-2613-4001234.pdf"); err == nil {
		f.Write([]byte("replacement"))
		if f.Close() == nil {
			t.Fatal("juan overwrote his own upload; correspondents may not")
		}
	}
	if f, err := c.Create("/BETA/intruso.pdf"); err == nil {
		f.Write([]byte("x"))
		if f.Close() == nil {
			t.Fatal("juan uploaded to BETA, a client not assigned to him")
		}
	}
	raw, nc := tg.RawSFTP("juan")
	if f, err := raw.Create("/ACME/2026/cortado.pdf"); err != nil {
		t.Fatalf("juan cannot start an upload: %v", err)
	} else {
		f.Write(make([]byte, 40_000))
		nc.Close()
	}
	testkit.WaitFor(t, 10*time.Second, "the cut-off upload audited as failed", func() bool {
		for _, r := range tg.Audit("juan", 100) {
			if r.Action == "write" && r.Result == store.ResultFailed && strings.HasSuffix(r.VPath, "cortado.pdf") {
				return true
			}
		}
		return false
	})
	audited := map[string]string{}
	var ids []string
	for _, r := range tg.Audit("juan", 100) {
		if (r.Action == "write" || r.Action == "overwrite") && r.Result == store.ResultOK {
			audited[r.VPath] = r.SHA256
			ids = append(ids, strconv.FormatInt(r.ID, 10))
		}
	}
	for p, sum := range sent {
		if audited[p] != sum {
			t.Fatalf("the audit recorded %s with sha256 %q, want %s (the bytes sent)", p, audited[p], sum)
		}
	}

	// The CLI's list: one row per upload, then the digest.
	out := must(tg, "", "receipt", "juan")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 3 {
		t.Fatalf("custodia receipt juan printed %d lines, want 2 uploads and the digest:\n%s", len(lines), out)
	}
	for _, l := range lines[:2] {
		f := strings.Split(l, "\t")
		if len(f) != 7 || sent[f[6]] == "" || f[3] != sent[f[6]] || f[2] != "70000" || f[4] != "sftp" {
			t.Errorf("receipt row %q is not one of juan's two uploads with its size, sha256 and protocol", l)
		}
		delete(sent, f[len(f)-1])
	}
	if len(sent) != 0 {
		t.Errorf("the receipt leaves out %v:\n%s", sent, out)
	}
	m := regexp.MustCompile(`^listing-sha256\t([0-9a-f]{64})\t2 files\t140000 bytes$`).FindStringSubmatch(lines[2])
	if m == nil {
		t.Fatalf("the last line is not the listing's digest: %q", lines[2])
	}
	digest := m[1]

	// The PDF, written by the server to the file named.
	file := filepath.Join(t.TempDir(), "acuse.pdf")
	out = must(tg, "", "receipt", "juan", "--client", "acme", "-o", file)
	if !strings.Contains(out, "listing sha256 "+digest) {
		t.Errorf("custodia receipt -o does not print the digest %s:\n%s", digest, out)
	}
	pdf, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	txt := text(pdf)
	for p, sum := range audited {
		if !strings.Contains(txt, p) || !strings.Contains(txt, "SHA-256 "+sum) {
			t.Errorf("the receipt lacks %s or its sha256 %s:\n%s", p, sum, txt)
		}
	}
	for _, absent := range []string{"replacement", "intruso", "cortado"} {
		if strings.Contains(txt, absent) {
			t.Errorf("the receipt lists %q, which never arrived:\n%s", absent, txt)
		}
	}
	hashes := regexp.MustCompile(`SHA-256 [0-9a-f]{64}`)
	if n := len(hashes.FindAllString(txt, -1)); n != 2 {
		t.Errorf("the receipt lists %d files, want 2:\n%s", n, txt)
	}
	if !strings.Contains(txt, digest) {
		t.Errorf("the receipt lacks the digest %s:\n%s", digest, txt)
	}
	// The command it prints lists the same files with the same digest.
	cmdLine := regexp.MustCompile(`custodia (receipt juan --client ACME --until \S+)`).FindStringSubmatch(txt)
	if cmdLine == nil {
		t.Fatalf("the receipt prints no command to check it:\n%s", txt)
	}
	if again := must(tg, "", strings.Fields(cmdLine[1])...); !strings.Contains(again, "listing-sha256\t"+digest) {
		t.Errorf("the receipt's command %q prints another digest:\n%s", cmdLine[1], again)
	}

	// The API: the same PDF, the digest in a header.
	tok := tg.APILogin("sys")
	r := tg.API("GET", "/api/v1/users/juan/receipt?since="+url.QueryEscape(start.Add(-time.Minute).Format(time.RFC3339)), tok, nil)
	if r.Code != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("GET receipt: %d %s %s", r.Code, r.Header.Get("Content-Type"), r.Body)
	}
	if got := r.Header.Get("X-Receipt-Digest"); got != digest {
		t.Errorf("the API's receipt has digest %s, the CLI's %s", got, digest)
	}
	if !strings.HasPrefix(r.Header.Get("Content-Disposition"), `attachment; filename="acuse-juan-`) {
		t.Errorf("the receipt is not an attachment: %q", r.Header.Get("Content-Disposition"))
	}
	if api := text(r.Body); !strings.Contains(api, digest) || len(hashes.FindAllString(api, -1)) != 2 {
		t.Errorf("the API's receipt lacks the digest or lists other than 2 files:\n%s", api)
	}

	// A batch by its audit rows: the first upload alone, by the CLI and
	// the API alike; a failed row's id adds nothing.
	failedID := ""
	for _, r := range tg.Audit("juan", 100) {
		if r.Result != store.ResultOK {
			failedID = strconv.FormatInt(r.ID, 10)
		}
	}
	one := must(tg, "", "receipt", "juan", "--id", ids[0]+","+failedID)
	oneDigest := regexp.MustCompile(`listing-sha256\t([0-9a-f]{64})\t1 files`).FindStringSubmatch(one)
	if oneDigest == nil || strings.Count(one, "\n") != 2 {
		t.Fatalf("custodia receipt juan --id %s,%s lists other than one upload:\n%s", ids[0], failedID, one)
	}
	r = tg.API("GET", "/api/v1/users/juan/receipt?id="+ids[0]+"&id="+failedID, tok, nil)
	if r.Code != 200 || r.Header.Get("X-Receipt-Digest") != oneDigest[1] {
		t.Errorf("GET receipt?id=%s&id=%s: %d, digest %q, want the CLI's %s", ids[0], failedID, r.Code, r.Header.Get("X-Receipt-Digest"), oneDigest[1])
	}
}

// Errors name what is wrong; no upload in the range is an error (CLI) or
// a 404 (API), never an empty receipt.
func TestReceiptErrors(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.Fixture()
	testkit.Upload(t, tg, "juan", "/ACME/a.pdf", "%PDF-1.4 a")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"receipt", "nadie"}, `no user "nadie"`},
		{[]string{"receipt", "juan", "--since", "ayer"}, `--since "ayer": want an RFC 3339 time`},
		{[]string{"receipt", "juan", "--until", "2026-13-01T00:00:00Z"}, `--until "2026-13-01T00:00:00Z": want an RFC 3339 time`},
		{[]string{"receipt", "juan", "--since", "2099-01-01T00:00:00Z"}, "the range is empty"},
		{[]string{"receipt", "juan", "--until", "2001-01-01T00:00:00Z"}, "no completed uploads"},
		{[]string{"receipt", "juan", "--client", "BETA"}, "no completed uploads"},
		{[]string{"receipt", "juan", "--client", "NOPE"}, `no client account "NOPE"`},
		{[]string{"receipt", "carla"}, "no completed uploads"},
	} {
		out, err := cli(tg, "", c.args...)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("custodia %s: %v (%s), want an error saying %q", strings.Join(c.args, " "), err, out, c.want)
		}
	}
	tok := tg.APILogin("sys")
	for _, c := range []struct {
		query  string
		status int
		field  string
	}{
		{"/api/v1/users/nadie/receipt", 404, "name"},
		{"/api/v1/users/juan/receipt?since=ayer", 400, "since"},
		{"/api/v1/users/juan/receipt?since=2099-01-01T00:00:00Z", 400, "since"},
		{"/api/v1/users/juan/receipt?until=2001-01-01T00:00:00Z", 404, ""},
		{"/api/v1/users/juan/receipt?client=NOPE", 404, "client"},
		{"/api/v1/users/juan/receipt?id=x", 400, "id"},
		{"/api/v1/users/carla/receipt", 404, ""},
	} {
		testkit.WantProblem(t, "GET "+c.query, tg.API("GET", c.query, tok, nil), c.status, c.field)
	}
	if r := tg.API("GET", "/api/v1/users/juan/receipt", "", nil); r.Code != 401 {
		t.Errorf("a receipt without a token: %d, want 401", r.Code)
	}
}

// An FTPS upload is on the receipt like an SFTP one, named by its
// protocol, with the sha256 of the bytes sent.
func TestReceiptOfFTPSUpload(t *testing.T) {
	t.Parallel()
	tg := startGateway(t)
	tg.Fixture()
	body := "%PDF-1.4 enviado por FTPS"
	if err := tg.FTP("juan").Stor("/ACME/ftps.pdf", strings.NewReader(body)); err != nil {
		t.Fatalf("juan cannot upload over FTPS: %v", err)
	}
	sum := sha256.Sum256([]byte(body))
	var out string
	testkit.WaitFor(t, 10*time.Second, "the FTPS upload on juan's receipt", func() bool {
		out, _ = cli(tg, "", "receipt", "juan")
		return strings.Contains(out, "/ACME/ftps.pdf")
	})
	f := strings.Split(strings.SplitN(out, "\n", 2)[0], "\t")
	if len(f) != 7 || f[2] != strconv.Itoa(len(body)) || f[3] != hex.EncodeToString(sum[:]) || f[4] != "ftp" || f[6] != "/ACME/ftps.pdf" {
		t.Errorf("the receipt's row %q is not the FTPS upload with its size, sha256 and protocol", f)
	}
}

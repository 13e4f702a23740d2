package letter

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// receiptText renders b and returns the PDF and its text as pdftotext
// extracts it (pages end in a form feed).
func receiptText(t *testing.T, b Batch) ([]byte, string) {
	t.Helper()
	pdftotext := needPdftotext(t)
	pdf, err := Receipt(b)
	if err != nil {
		t.Fatalf("Receipt: %v", err)
	}
	return pdf, pdfText(t, pdftotext, pdf)
}

func testBatch(files ...Received) Batch {
	at := time.Date(2026, time.December, 2, 10, 30, 0, 0, time.UTC)
	return Batch{
		Organization: "Agencia Aduanal Querétaro", User: "juan", Role: "correspondent",
		Clients: []Client{{ID: "ACME", Name: "Acme SA de CV"}},
		Query:   ReceiptQuery{User: "juan", Since: at.Add(-time.Hour), Until: at.Add(time.Hour)},
		Files:   files, Issued: at.Add(time.Hour),
	}
}

func TestReceiptListsEveryFileAndItsDigest(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, time.December, 2, 10, 0, 5, 123456789, time.UTC)
	files := []Received{
		{ID: 41, Path: "/ACME/2026/pedimento-2613-4001234.pdf", Size: 48213,
			SHA256: "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08", At: at, Protocol: "sftp", Remote: "203.0.113.7:50122"},
		{ID: 42, Path: "/ACME/2026/Factura año 2026 – Querétaro.pdf", Size: 3 << 20,
			SHA256: "2c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae", At: at.Add(time.Minute), Protocol: "ftp", Remote: "[2001:db8::1]:4000"},
	}
	b := testBatch(files...)
	pdf, txt := receiptText(t, b)
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Errorf("the receipt does not start with %%PDF-")
	}
	lines := strings.Split(txt, "\n")
	hasLine := func(what, want string) {
		t.Helper()
		for _, l := range lines {
			if strings.Contains(l, want) {
				return
			}
		}
		t.Errorf("the receipt's text lacks the %s %q on one line:\n%s", what, want, txt)
	}
	hasLine("title", "Acuse de recibo de documentos")
	hasLine("organisation", "Agencia Aduanal Querétaro")
	hasLine("user", "juan")
	hasLine("role", "corresponsal")
	hasLine("client", "ACME (Acme SA de CV)")
	for _, f := range files {
		hasLine("file name", f.Path)
		hasLine("sha256", "SHA-256 "+f.SHA256)
		hasLine("size", fmt.Sprintf("%d bytes", f.Size))
		hasLine("audit row", fmt.Sprintf("registro %d", f.ID))
	}
	hasLine("time", "2026-12-02T10:00:05Z")
	hasLine("protocol and address", "SFTP desde 203.0.113.7:50122")
	hasLine("listing digest", b.Digest())
	hasLine("check command", "custodia receipt juan --since 2026-12-02T09:30:00Z --until 2026-12-02T11:30:00Z")
	if len(b.Digest()) != 64 {
		t.Errorf("the digest %q is not a hex sha256", b.Digest())
	}
}

// The digest binds every field the receipt shows: any change to a file's
// name, size, hash, time, protocol, address or audit id, to the user, or
// to the list's order gives another digest.
func TestReceiptDigestBindsTheListing(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, time.December, 2, 10, 0, 0, 0, time.UTC)
	f := Received{ID: 7, Path: "/ACME/a.pdf", Size: 10, SHA256: strings.Repeat("a", 64), At: at, Protocol: "sftp", Remote: "192.0.2.1:22"}
	g := Received{ID: 8, Path: "/ACME/b.pdf", Size: 20, SHA256: strings.Repeat("b", 64), At: at, Protocol: "sftp", Remote: "192.0.2.1:22"}
	base := testBatch(f, g).Digest()
	if again := testBatch(f, g); again.Digest() != base {
		t.Fatal("the same listing gives two digests")
	}
	for what, change := range map[string]func(*Batch){
		"path":            func(b *Batch) { b.Files[0].Path = "/ACME/a2.pdf" },
		"size":            func(b *Batch) { b.Files[0].Size++ },
		"sha256":          func(b *Batch) { b.Files[0].SHA256 = strings.Repeat("c", 64) },
		"time":            func(b *Batch) { b.Files[0].At = b.Files[0].At.Add(time.Nanosecond) },
		"protocol":        func(b *Batch) { b.Files[0].Protocol = "ftp" },
		"remote":          func(b *Batch) { b.Files[0].Remote = "192.0.2.2:22" },
		"id":              func(b *Batch) { b.Files[0].ID = 9 },
		"user":            func(b *Batch) { b.User = "juana" },
		"order":           func(b *Batch) { b.Files[0], b.Files[1] = b.Files[1], b.Files[0] },
		"a file left out": func(b *Batch) { b.Files = b.Files[:1] },
		// A name holding a tab and a forged line cannot pass for two fields or two files.
		"forged line": func(b *Batch) {
			b.Files = []Received{{ID: 7, Path: "/ACME/a.pdf\t\"sftp\"\n8", Size: 10, SHA256: f.SHA256, At: at, Protocol: "sftp", Remote: "192.0.2.1:22"}}
		},
	} {
		b := testBatch(f, g)
		b.Files = append([]Received(nil), b.Files...)
		change(&b)
		if b.Digest() == base {
			t.Errorf("changing the %s leaves the digest as it was", what)
		}
	}
}

// File names come from strangers: a name with PDF syntax, quotes, shell
// and markup renders as text; a control or bidirectional character shows
// as an escape; a character the fonts lack shows as \uXXXX, not as a dot
// or a look-alike.
func TestReceiptRendersHostileNamesSafely(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, time.December, 2, 10, 0, 0, 0, time.UTC)
	sum := strings.Repeat("0123456789abcdef", 4)
	names := map[string]string{
		"/ACME/x) Tj ET BT (y \\ <script>alert(1)</script> $(rm -rf ~) '\";.pdf": "x) Tj ET BT (y \\ <script>alert(1)</script> $(rm -rf ~) '\";.pdf",
		"/ACME/inv\u202efdp.exe":                             `inv\u202efdp.exe`,
		"/ACME/línea\nnueva.pdf":                             `línea\nnueva.pdf`,
		"/ACME/報告-2026.pdf":                                  `\u5831\u544a-2026.pdf`,
		"/ACME/bad-\xff-utf8.pdf":                            `bad-\xff-utf8.pdf`,
		"/ACME/" + strings.Repeat("muy-largo-", 30) + ".pdf": "muy-largo-muy-largo-",
	}
	var files []Received
	for name := range names {
		files = append(files, Received{ID: int64(len(files) + 1), Path: name, Size: 1, SHA256: sum, At: at, Protocol: "sftp", Remote: "192.0.2.1:1"})
	}
	_, txt := receiptText(t, testBatch(files...))
	for name, want := range names {
		if !strings.Contains(txt, want) {
			t.Errorf("the receipt does not show %q as %q:\n%s", name, want, txt)
		}
	}
	for _, bad := range []string{"\u202e", "報告"} {
		if strings.Contains(txt, bad) {
			t.Errorf("the receipt's text holds %q unescaped", bad)
		}
	}
	if n := strings.Count(txt, "SHA-256 "+sum); n != len(names) {
		t.Errorf("the receipt lists %d hashes, want %d:\n%s", n, len(names), txt)
	}
}

// A long batch takes several pages, each numbered, and every file is on
// one of them, whole.
func TestReceiptBreaksPages(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, time.December, 2, 10, 0, 0, 0, time.UTC)
	var files []Received
	for i := range 60 {
		files = append(files, Received{ID: int64(100 + i), Path: fmt.Sprintf("/ACME/2026/archivo-%03d.pdf", i), Size: int64(i),
			SHA256: fmt.Sprintf("%064x", i), At: at, Protocol: "sftp", Remote: "192.0.2.1:1"})
	}
	b := testBatch(files...)
	_, txt := receiptText(t, b)
	pages := strings.Count(txt, "\f")
	if pages < 3 {
		t.Errorf("60 files fit on %d pages; a file takes three lines", pages)
	}
	if !strings.Contains(txt, fmt.Sprintf("página %d de %d", pages, pages)) {
		t.Errorf("the last page is not numbered %d of %d:\n%s", pages, pages, txt)
	}
	for _, f := range files {
		if !strings.Contains(txt, f.Path) || !strings.Contains(txt, "SHA-256 "+f.SHA256) {
			t.Errorf("the receipt lacks %s or its hash", f.Path)
		}
	}
	if !strings.Contains(txt, b.Digest()) {
		t.Errorf("the receipt lacks its digest")
	}
}

func TestReceiptRefusesAnEmptyList(t *testing.T) {
	t.Parallel()
	if pdf, err := Receipt(testBatch()); !errors.Is(err, ErrNoUploads) {
		t.Errorf("Receipt of no files: %d bytes, %v; want ErrNoUploads", len(pdf), err)
	}
}

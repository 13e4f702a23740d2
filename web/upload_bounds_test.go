package web_test

import (
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestUploadFormBoundsPartsAndNames: the no-JavaScript form holds what it
// reads in bounds. A post of 5000 files takes the first 200 and says so
// once, not a line per file; a name longer than the view takes is refused
// before it and shown cut; a name of 1 MiB, or an endless stream of parts
// that are not files, ends the post with a small page instead of being
// read, held and echoed whole.
func TestUploadFormBoundsPartsAndNames(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "juan")

	many := make([]upload, 5000)
	for i := range many {
		many[i] = upload{"setup.exe", nil} // refused by the policy: nothing stored
	}
	resp, page := postFiles(t, c, "/u/ACME/2026/", tok, many...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a post of 5000 files answered %s", resp.Status)
	}
	if n := strings.Count(page, `class="alert"`); n > 201 || len(page) > 100<<10 {
		t.Errorf("the receipt of 5000 files names %d refusals in %d bytes, want at most 201 in less than 100 KiB", n, len(page))
	}
	if n := strings.Count(page, "se tomaron los primeros 200"); n != 1 {
		t.Errorf("the receipt of 5000 files says %d times that the first 200 were taken, want once", n)
	}

	long := strings.Repeat("é", 150) + ".pdf" // 304 bytes, past the view's 255
	resp, page = postFiles(t, c, "/u/ACME/2026/", tok, upload{long, []byte("%PDF")}, upload{"bien.pdf", []byte("%PDF bien")})
	if resp.StatusCode != http.StatusOK || strings.Contains(page, long) || !strings.Contains(page, strings.Repeat("é", 79)+"…") ||
		!strings.Contains(page, ">bien.pdf<") {
		t.Errorf("a file with a 304-byte name answered %s; want it refused, shown cut, and the other stored:\n%s", resp.Status, page)
	}

	huge := strings.Repeat("a", 1<<20) + ".pdf"
	resp, page = postFiles(t, c, "/u/ACME/2026/", tok, upload{huge, []byte("%PDF")})
	if resp.StatusCode == http.StatusOK || len(page) > 64<<10 || strings.Contains(page, strings.Repeat("a", 1000)) {
		t.Errorf("a file with a 1 MiB name answered %s with %d bytes, want a refusal of a few KiB", resp.Status, len(page))
	}

	// Parts that are not files, without end: the server stops reading.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	body, mw := endlessFields(tok)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, c.URL+"/u/ACME/2026/", body)
	req.Header.Set("Content-Type", mw)
	req.Header.Set("Origin", c.URL)
	start := time.Now()
	resp, err := c.HTTP.Do(req)
	if ctx.Err() != nil {
		t.Fatalf("an endless post of fields that are not files was still read after %s", time.Since(start))
	}
	if err == nil {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK || len(b) > 64<<10 {
			t.Errorf("an endless post of fields answered %s with %d bytes", resp.Status, len(b))
		}
	}
}

// endlessFields is a multipart body of the form's token then fields, for
// ever, and its content type.
func endlessFields(tok string) (io.Reader, string) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		mw.WriteField("csrf", tok)
		for i := 0; ; i++ {
			if err := mw.WriteField(fmt.Sprintf("f%d", i), strings.Repeat("x", 1000)); err != nil {
				return
			}
		}
	}()
	return pr, mw.FormDataContentType()
}

// TestUploadFormDotNames: file names that are no name within the folder
// (".", "..", "/", a backslash) are refused as invalid names, with the
// rule the folder operations use, and nothing is stored above the folder.
func TestUploadFormDotNames(t *testing.T) {
	t.Parallel()
	tg := start(t)
	c, tok := loggedIn(t, tg, "juan")
	var files []upload
	for _, n := range []string{".", "..", "/", `a\b.pdf`} {
		files = append(files, upload{n, []byte("%PDF")})
	}
	resp, page := postFiles(t, c, "/u/ACME/2026/", tok, files...)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("a post of dot names answered %s:\n%s", resp.Status, page)
	}
	if n := strings.Count(page, "El nombre del archivo no es válido"); n != len(files) {
		t.Errorf("the receipt calls %d of the %d dot names invalid:\n%s", n, len(files), page)
	}
	if strings.Contains(page, "Ya existe") {
		t.Errorf("a dot name was refused as existing:\n%s", page)
	}
}

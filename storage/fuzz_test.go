package storage_test

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/oaq/custodia/storage"
)

// FuzzParsePath checks that no path ParsePath accepts can leave the root
// it is joined under. `go test` runs the seeds; `go test -fuzz
// FuzzParsePath ./storage/` searches further.
func FuzzParsePath(f *testing.F) {
	for _, s := range []string{
		"", "/", ".", "..", "./", "../", "/..", "/../..", "//", "///x",
		"x", "/ACME", "/ACME/", "/ACME/.", "/ACME/./x", "/ACME/2026/factura.pdf",
		"../x", "../../../etc/passwd", "/ACME/../../x", "/ACME/2026/../../../etc/passwd",
		"ACME/..//../x", "/ACME/..", "/ACME/.../x", "/ACME/..x/y", "/ACME/x..",
		"/ACME/a\x00b", "/ACME/x.pdf\x00.txt", "\x00", "/ACME\\..\\x", "..\\..\\x", "/ACME/a\nb",
		"/ACME/a\x7fb", "/ACME/\xff.pdf", "/ACME/\xc0\xaf..", "/ACME/%2e%2e/x", "/ACME/\u202e.pdf",
		"/ACME/x.pdf.", "/ACME/x.pdf ", "/ACME/x.pdf/", "/ACME/ x", "/ACME/. /x", "/ACME/.. /x",
		"/ACME/" + strings.Repeat("a", 255), "/ACME/" + strings.Repeat("a", 256),
		"/ACME/" + strings.Repeat("a", 300), "/" + strings.Repeat("a/", 2500),
		strings.Repeat("../", 1365) + "x", strings.Repeat("/x", 2048), "/" + strings.Repeat("x", 4095),
		"C:\\Windows", "//server/share", "/ACME/~/x", "~root/.ssh",
	} {
		f.Add(s)
	}
	const root = "/srv/custodia/files/dossiers/ACME"
	f.Fuzz(func(t *testing.T, raw string) {
		p, err := storage.ParsePath(raw)
		if err != nil {
			if !errors.Is(err, storage.ErrInvalidPath) {
				t.Fatalf("ParsePath(%q) failed with %v, want ErrInvalidPath.", raw, err)
			}
			return
		}
		s := p.String()
		switch {
		case !strings.HasPrefix(s, "/"):
			t.Fatalf("ParsePath(%q) = %q, which does not start with /.", raw, s)
		case strings.Contains(s, "//"):
			t.Fatalf("ParsePath(%q) = %q, which holds an empty segment.", raw, s)
		case strings.ContainsAny(s, "\x00\\"):
			t.Fatalf("ParsePath(%q) = %q, which holds a NUL or a backslash.", raw, s)
		case !utf8.ValidString(s):
			t.Fatalf("ParsePath(%q) = %q, which is not valid UTF-8.", raw, s)
		case s != "/" && strings.HasSuffix(s, "/"):
			t.Fatalf("ParsePath(%q) = %q, which ends in a slash.", raw, s)
		}
		if s != "/" {
			for _, seg := range strings.Split(s[1:], "/") {
				if seg == ".." || seg == "." {
					t.Fatalf("ParsePath(%q) = %q, which holds a %q segment.", raw, s, seg)
				}
				if strings.HasSuffix(seg, ".") || strings.HasSuffix(seg, " ") {
					t.Fatalf("ParsePath(%q) = %q, whose name %q ends in a dot or a space.", raw, s, seg)
				}
				if len(seg) > 255 {
					t.Fatalf("ParsePath(%q) = %q, whose name is %d bytes long.", raw, s, len(seg))
				}
			}
		}
		for _, r := range s {
			if r < 0x20 || r == 0x7f {
				t.Fatalf("ParsePath(%q) = %q, which holds the control character %U.", raw, s, r)
			}
		}
		again, err := storage.ParsePath(s)
		if err != nil || again != p {
			t.Fatalf("ParsePath(%q) = %q, but parsing that again gives %q (%v): not idempotent.", raw, s, again, err)
		}
		if p.IsRoot() != (s == "/") {
			t.Fatalf("ParsePath(%q) = %q with IsRoot %v.", raw, s, p.IsRoot())
		}
		if d, err := storage.ParsePath(p.Dir().String()); err != nil || d != p.Dir() {
			t.Fatalf("the parent %q of ParsePath(%q) does not parse to itself (%v).", p.Dir(), raw, err)
		}
		joined := filepath.Join(root, filepath.FromSlash(s))
		if joined != root && !strings.HasPrefix(joined, root+string(filepath.Separator)) {
			t.Fatalf("ParsePath(%q) = %q, which joined under %s gives %s, outside the root.", raw, s, root, joined)
		}
		if rel, err := filepath.Rel(root, joined); err != nil || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
			t.Fatalf("ParsePath(%q) = %q, which joined under %s climbs out of it (%s, %v).", raw, s, root, rel, err)
		}
	})
}

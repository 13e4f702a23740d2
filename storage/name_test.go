package storage_test

import (
	"errors"
	"testing"

	"github.com/oaq/custodia/storage"
)

// TestParsePathRefusesMisleadingNames: every path element is refused when
// Windows or a reader would take it for something else.
func TestParsePathRefusesMisleadingNames(t *testing.T) {
	t.Parallel()
	bad := []string{
		"/ACME/inv\u202efdp.exe", // right-to-left override: shows as "invexe.pdf"
		"/ACME/a\u202ab.pdf", "/ACME/a\u202cb.pdf", "/ACME/a\u2066b.pdf", "/ACME/a\u2069b.pdf",
		"/ACME/a\u200bb.pdf", "/ACME/a\u200fb.pdf", "/ACME/\ufeffa.pdf", "/ACME/a\u00adb.pdf", "/ACME/a\u2060b.pdf",
		"/ACME/a\u0085b.pdf", "/ACME/a\u009bb.pdf", "/ACME/a\u2028b.pdf", "/ACME/a\u2029b.pdf",
		"/ACME/a\x1bb.pdf", "/ACME/a\nb.pdf", "/ACME/a\x7fb.pdf",
		"/ACME/x.exe::$DATA", "/ACME/a:b.pdf", "/ACME:x/a.pdf", "/ACME/c:",
		"/ACME/CON", "/ACME/con", "/ACME/Con.txt", "/ACME/NUL.tar.gz", "/ACME/prn", "/ACME/aux.pdf",
		"/ACME/COM1", "/ACME/com9.pdf", "/ACME/LPT1", "/ACME/lpt0.txt", "/ACME/COM\u00b9", "/ACME/conin$",
		"/ACME/CONOUT$.log", "/ACME/CON .txt", "/CON/a.pdf", "/ACME/nul/x.pdf",
		"/ACME/x.exe.", "/ACME/x.pdf ", "/ACME/dir./a.pdf",
	}
	for _, p := range bad {
		_, err := storage.ParsePath(p)
		// ErrBadName is an ErrInvalidPath, which every front end maps.
		if !errors.Is(err, storage.ErrInvalidPath) {
			t.Errorf("ParsePath(%q) = %v, want an invalid name.", p, err)
		}
	}
	// Names that only resemble the refused ones stay usable.
	good := []string{
		"/ACME/factura.pdf", "/ACME/CONSTANCIA.pdf", "/ACME/console.txt", "/ACME/COM10.pdf", "/ACME/LPT.txt",
		"/ACME/com.pdf", "/ACME/nul_x.pdf", "/ACME/año 2026/pedimento 1.pdf", "/ACME/東京.pdf", "/ACME/a\u00a0b.pdf",
		"/ACME/.hidden", "/ACME/x.tar.gz", "/ACME/¹.pdf",
	}
	for _, p := range good {
		if _, err := storage.ParsePath(p); err != nil {
			t.Errorf("ParsePath(%q) = %v, want it accepted.", p, err)
		}
	}
}

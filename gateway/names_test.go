package gateway_test

import (
	"bytes"
	"errors"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// misleadingNames are names that Windows or a reader would take for
// something else; none may be created on any protocol.
var misleadingNames = map[string]string{
	"bidi override":  "inv\u202efdp.exe",
	"zero width":     "fac\u200btura.pdf",
	"byte order":     "\ufeffinforme.pdf",
	"isolate":        "a\u2066b.docx",
	"ntfs stream":    "x.exe::$DATA",
	"colon":          "a:b.docx",
	"device":         "CON",
	"device ext":     "con.txt",
	"device com":     "COM1.docx",
	"device lpt":     "lpt9",
	"device nul":     "Nul.tar.gz",
	"trailing dot":   "x.exe.",
	"trailing space": "informe.docx ",
}

// TestMisleadingNamesRefused: creating a file or a folder under a
// misleading name is refused as an invalid name over SFTP, FTPS and
// WebDAV, and nothing appears on disk.
func TestMisleadingNamesRefused(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	dir := filepath.Join(tg.DataDir, "files", "departments", "operaciones")
	onDisk := func(name string) bool {
		_, err := os.Lstat(filepath.Join(dir, name))
		return err == nil
	}
	sc := tg.SFTP("ana")
	fc := tg.FTP("ana")
	dc := tg.DAV("ana")
	for why, name := range misleadingNames {
		vpath := "/operaciones/" + name
		f, err := sc.Create(vpath)
		if err == nil {
			f.Close()
			t.Errorf("SFTP: ana created %q (%s).", name, why)
		} else if !strings.Contains(err.Error(), "invalid name") {
			t.Errorf("SFTP: creating %q (%s) failed with %v, want an invalid name.", name, why, err)
		}
		if err := sc.Mkdir(vpath); err == nil || !strings.Contains(err.Error(), "invalid name") {
			t.Errorf("SFTP: mkdir %q (%s) = %v, want an invalid name.", name, why, err)
		}
		var te *textproto.Error
		err = fc.Stor(vpath, bytes.NewReader([]byte("x")))
		if !errors.As(err, &te) || te.Code != 553 {
			t.Errorf("FTPS: STOR %q (%s) = %v, want 553.", name, why, err)
		}
		if err := fc.MakeDir(vpath); !errors.As(err, &te) || te.Code/100 != 5 {
			t.Errorf("FTPS: MKD %q (%s) = %v, want a refusal.", name, why, err)
		}
		if r := dc.Do("PUT", vpath, "x"); r.Code != 400 {
			t.Errorf("WebDAV: PUT %q (%s) = %d, want 400.", name, why, r.Code)
		}
		if r := dc.Do("MKCOL", vpath, ""); r.Code != 400 {
			t.Errorf("WebDAV: MKCOL %q (%s) = %d, want 400.", name, why, r.Code)
		}
		if r := dc.Do("COPY", "/operaciones/reporte.xlsx", "", "Destination", dc.URL(vpath)); r.Code != 400 {
			t.Errorf("WebDAV: COPY onto %q (%s) = %d, want 400.", name, why, r.Code)
		}
		if onDisk(name) || onDisk(strings.TrimRight(name, ". ")) {
			t.Errorf("%q (%s) is on disk.", name, why)
		}
	}
	// An ordinary name still works on each protocol.
	if f, err := sc.Create("/operaciones/CONSTANCIA.docx"); err != nil {
		t.Errorf("SFTP: ordinary name refused: %v", err)
	} else {
		f.Close()
	}
	if err := fc.Stor("/operaciones/console.docx", bytes.NewReader([]byte("x"))); err != nil {
		t.Errorf("FTPS: ordinary name refused: %v", err)
	}
	if r := dc.Do("PUT", "/operaciones/com10.docx", "x"); r.Code/100 != 2 {
		t.Errorf("WebDAV: ordinary name refused: %d", r.Code)
	}
}

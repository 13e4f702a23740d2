package sftp_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// TestCorrespondentCannotRedateOthersFiles: setting a file's times (SFTP
// setstat, FTP MFMT) or its WebDAV dead properties (PROPPATCH) needs the
// right to overwrite it. Upload-only correspondent juan is refused on a
// file and a folder of his client's dossier, over each protocol, nothing
// changes on disk, and each attempt leaves a denied audit row under its
// own action (chtimes, setprops); staff ana, who may overwrite in her
// department, sets both, audited as allowed.
func TestCorrespondentCannotRedateOthersFiles(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	onDisk := func(storagePath string) string {
		return filepath.Join(tg.DataDir, "files", filepath.FromSlash(storagePath))
	}
	file, folder := onDisk("dossiers/ACME/2026/pedimento.pdf"), onDisk("dossiers/ACME/2026")
	mtime := func(name string) time.Time {
		fi, err := os.Stat(name)
		if err != nil {
			t.Fatal(err)
		}
		return fi.ModTime()
	}
	fileBefore, folderBefore := mtime(file), mtime(folder)
	then := time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

	sc := tg.SFTP("juan")
	for _, p := range []string{"/ACME/2026/pedimento.pdf", "/ACME/2026"} {
		if got := testkit.SFTPOutcome(sc.Chtimes(p, then, then)); got != "denied" {
			t.Errorf("correspondent juan's SFTP setstat of the times of %s: %s, want denied", p, got)
		}
	}
	fc := tg.FTP("juan")
	if got := testkit.FTPOutcome(fc.SetTime("/ACME/2026/pedimento.pdf", then)); got != "denied" {
		t.Errorf("correspondent juan's FTP MFMT of /ACME/2026/pedimento.pdf: %s, want denied (550)", got)
	}
	dav := tg.DAV("juan")
	const patch = `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:set><D:prop><Z:when>2001</Z:when></D:prop></D:set></D:propertyupdate>`
	for _, p := range []string{"/ACME/2026/pedimento.pdf", "/ACME/2026"} {
		r := dav.Do("PROPPATCH", p, patch, "Content-Type", "application/xml; charset=utf-8")
		if r.Code != 403 && !(r.Code == 207 && strings.Contains(r.Body, "HTTP/1.1 403")) {
			t.Errorf("correspondent juan's PROPPATCH of %s: %d %s, want 403", p, r.Code, r.Body)
		}
	}
	if got := mtime(file); !got.Equal(fileBefore) {
		t.Errorf("the refused requests re-dated pedimento.pdf to %v", got)
	}
	if got := mtime(folder); !got.Equal(folderBefore) {
		t.Errorf("the refused requests re-dated its folder to %v", got)
	}
	if r := tg.DAV("sys").Propfind("/dossiers/ACME/2026/pedimento.pdf", "0"); strings.Contains(r.Body, "urn:x") {
		t.Errorf("a refused PROPPATCH stored a property:\n%s", r.Body)
	}
	rows := tg.AuditRows("juan")
	count := func(action, proto, result string) int {
		n := 0
		for _, r := range rows {
			if r.Action == action && r.Protocol == proto && r.Result == result {
				n++
			}
		}
		return n
	}
	for _, want := range []struct {
		action, proto string
		n             int
	}{{"chtimes", "sftp", 2}, {"chtimes", "ftp", 1}, {"setprops", "webdav", 2}} {
		if got := count(want.action, want.proto, "denied"); got != want.n {
			t.Errorf("juan's trail has %d denied %s rows over %s, want %d:\n%s", got, want.action, want.proto, want.n, tg.AuditLog("juan", 100))
		}
	}

	// Staff may overwrite in their department: the same requests work, audited.
	if err := tg.SFTP("ana").Chtimes("/operaciones/reporte.xlsx", then, then); err != nil {
		t.Errorf("staff ana's SFTP setstat of her department's file: %v", err)
	}
	if err := tg.FTP("ana").SetTime("/operaciones/reporte.xlsx", then); err != nil {
		t.Errorf("staff ana's FTP MFMT of her department's file: %v", err)
	}
	if r := tg.DAV("ana").Do("PROPPATCH", "/operaciones/reporte.xlsx", patch, "Content-Type", "application/xml"); r.Code != 207 || !strings.Contains(r.Body, "HTTP/1.1 200") {
		t.Errorf("staff ana's PROPPATCH of her department's file: %d %s", r.Code, r.Body)
	}
	if got := mtime(onDisk("departments/operaciones/reporte.xlsx")); !got.Equal(then) {
		t.Errorf("ana's times were not set: %v", got)
	}
	rows = tg.AuditRows("ana")
	for _, want := range []struct{ action, proto string }{{"chtimes", "sftp"}, {"chtimes", "ftp"}, {"setprops", "webdav"}} {
		if _, ok := testkit.FindAudit(rows, func(r testkit.AuditRow) bool {
			return r.Action == want.action && r.Protocol == want.proto && r.Result == "ok"
		}); !ok {
			t.Errorf("ana's trail has no allowed %s row over %s:\n%s", want.action, want.proto, tg.AuditLog("ana", 100))
		}
	}
}

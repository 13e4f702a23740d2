package server_test

import (
	"errors"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// upload is one upload over one protocol, as its user.
type upload struct {
	proto, user, vpath, spath string
}

// put uploads content and returns the refusal's text ("" when accepted),
// failing the test on anything but a clean success or a refusal that
// carries want's text in the protocol's own way: SFTP SSH_FX_FAILURE,
// FTPS 550, WebDAV the status wantDAV with the text as body.
func put(t *testing.T, tg *testkit.Gateway, u upload, content string, want string, wantDAV int) {
	t.Helper()
	var got string
	switch u.proto {
	case "sftp":
		f, err := tg.SFTP(u.user).Create(u.vpath)
		if err != nil {
			t.Fatalf("%s cannot create %s: %v", u.user, u.vpath, err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatalf("%s cannot write %s: %v", u.user, u.vpath, err)
		}
		err = f.Close()
		var se *gosftp.StatusError
		switch {
		case err == nil:
		case errors.As(err, &se) && se.FxCode() == gosftp.ErrSSHFxFailure:
			got = err.Error()
		default:
			t.Fatalf("sftp close of %s: %v, want success or SSH_FX_FAILURE", u.vpath, err)
		}
	case "ftp":
		err := tg.FTP(u.user).Stor(u.vpath, strings.NewReader(content))
		var te *textproto.Error
		switch {
		case err == nil:
		case errors.As(err, &te) && te.Code == 550:
			got = te.Msg
		default:
			t.Fatalf("STOR %s: %v, want success or 550", u.vpath, err)
		}
	case "webdav":
		r := tg.DAV(u.user).Do("PUT", u.vpath, content)
		switch {
		case r.Code == 201 || r.Code == 204:
		case r.Code == wantDAV && want != "":
			got = r.Body
		default:
			t.Fatalf("PUT %s: %d %q, want 201 or %d", u.vpath, r.Code, r.Body, wantDAV)
		}
	}
	if want == "" && got != "" {
		t.Fatalf("%s's %s upload of %s was refused: %s", u.user, u.proto, u.vpath, got)
	}
	if want != "" && !strings.Contains(got, want) {
		t.Fatalf("%s's %s upload of %s: refusal %q (empty: accepted), want one saying %q", u.user, u.proto, u.vpath, got, want)
	}
}

// visible says whether a storage path is in the files tree.
func visible(tg *testkit.Gateway, spath string) bool {
	_, err := os.Lstat(filepath.Join(tg.DataDir, "files", filepath.FromSlash(spath)))
	return err == nil
}

// auditRow is the newest audit row of user on vpath with action write.
func auditRow(t *testing.T, tg *testkit.Gateway, user, vpath string) store.AuditEntry {
	t.Helper()
	rows := tg.Audit(user, 50)
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].VPath == vpath && rows[i].Action == "write" {
			return rows[i]
		}
	}
	t.Fatalf("no write row for %s on %s:\n%s", user, vpath, tg.AuditLog(user, 50))
	return store.AuditEntry{}
}

var protocols = []upload{
	{"sftp", "juan", "/ACME/2026/eicar-sftp.pdf", "/dossiers/ACME/2026/eicar-sftp.pdf"},
	{"ftp", "juan", "/ACME/2026/eicar-ftp.pdf", "/dossiers/ACME/2026/eicar-ftp.pdf"},
	{"webdav", "ana", "/operaciones/eicar-dav.pdf", "/departments/operaciones/eicar-dav.pdf"},
}

// The EICAR file uploaded over SFTP, FTPS and WebDAV is refused with a
// clear message (SFTP SSH_FX_FAILURE, FTPS 550, WebDAV 422, each saying
// "file rejected: infected"), is never visible, lands in
// <data>/quarantine under its storage path and a time with mode 0600,
// and gets an audit row (result infected, the signature as reason) and
// an upload.infected event, no upload.completed. A clean PDF over each
// protocol goes in place as before.
func TestInfectedUploadIsQuarantinedOnEveryProtocol(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t)
	tg := testkit.Start(t, cd.ClamdEnv())
	tg.Fixture()
	for _, u := range protocols {
		put(t, tg, u, testkit.EICAR, "file rejected: infected", 422)
		if visible(tg, u.spath) {
			t.Errorf("%s: the infected upload is visible at %s", u.proto, u.spath)
		}
		row := auditRow(t, tg, u.user, u.vpath)
		if row.Result != store.ResultInfected || row.Reason != testkit.EICARSignature || row.SHA256 != sha256Hex(testkit.EICAR) {
			t.Errorf("%s: audit row %s, want result infected, reason %s and the file's sha256", u.proto, row.Text(), testkit.EICARSignature)
		}
		if n := outboxFor(t, tg.Store(), u.vpath); n[store.EventUploadInfected] != 1 || n[store.EventUploadCompleted] != 0 {
			t.Errorf("%s: events on %s: %v, want one upload.infected and no upload.completed", u.proto, u.vpath, n)
		}
		q := quarantined(t, tg, u.spath)
		if b, err := os.ReadFile(q); err != nil || string(b) != testkit.EICAR {
			t.Errorf("%s: quarantined file %s holds %q (%v), want the upload", u.proto, q, b, err)
		}
		if fi, err := os.Stat(q); err != nil || fi.Mode().Perm() != 0o600 {
			t.Errorf("%s: quarantined file mode %v (%v), want 0600", u.proto, fi.Mode(), err)
		}

		clean := upload{u.proto, u.user, strings.Replace(u.vpath, "eicar", "clean", 1), strings.Replace(u.spath, "eicar", "clean", 1)}
		put(t, tg, clean, "%PDF-1.4 factura limpia\n%%EOF\n", "", 0)
		if !visible(tg, clean.spath) {
			t.Errorf("%s: the clean upload is not at %s", u.proto, clean.spath)
		}
		if row := auditRow(t, tg, u.user, clean.vpath); row.Result != store.ResultOK || row.Reason != "" {
			t.Errorf("%s: clean upload's audit row %s, want ok with no reason", u.proto, row.Text())
		}
		if n := outboxFor(t, tg.Store(), clean.vpath); n[store.EventUploadCompleted] != 1 {
			t.Errorf("%s: events on %s: %v, want one upload.completed", u.proto, clean.vpath, n)
		}
	}
	if got := testkit.Metric(t, tg, "custodia_antivirus_scans_total", `result="infected"`); got != 3 {
		t.Errorf("custodia_antivirus_scans_total{result=infected} = %v, want 3", got)
	}
	if got := testkit.Metric(t, tg, "custodia_antivirus_scans_total", `result="clean"`); got != 3 {
		t.Errorf("custodia_antivirus_scans_total{result=clean} = %v, want 3", got)
	}
}

// quarantined finds the one file of the quarantine named for spath:
// "<time>_<storage path, escaped>".
func quarantined(t *testing.T, tg *testkit.Gateway, spath string) string {
	t.Helper()
	dir := filepath.Join(tg.DataDir, "quarantine")
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatalf("quarantine: %v", err)
	}
	suffix := "_" + strings.ReplaceAll(strings.TrimPrefix(spath, "/"), "/", "%2F")
	var found []string
	for _, n := range names {
		if strings.HasSuffix(n.Name(), suffix) && len(n.Name()) > len(suffix)+16 {
			found = append(found, filepath.Join(dir, n.Name()))
		}
	}
	if len(found) != 1 {
		t.Fatalf("quarantine holds %d files named for %s (want 1): %v", len(found), spath, names)
	}
	return found[0]
}

// With clamd stopped, the policy decides: a correspondent's upload is
// refused ("virus scan unavailable", over SFTP and FTPS) and audited as
// denied; staff's goes in place with "not scanned" in its audit row; each
// counts in custodia_antivirus_unscanned_total and is logged, without the
// file's content.
func TestUnscannedUploadFollowsThePolicyOfItsRole(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t)
	tg := testkit.Start(t, cd.ClamdEnv(), "CUSTODIA_LOG_LEVEL=warn")
	tg.Fixture()
	cd.Stop()
	const content = "%PDF-1.4 sin escanear, contenido secreto"
	for _, u := range []upload{
		{"sftp", "juan", "/ACME/2026/down-sftp.pdf", "/dossiers/ACME/2026/down-sftp.pdf"},
		{"ftp", "juan", "/ACME/2026/down-ftp.pdf", "/dossiers/ACME/2026/down-ftp.pdf"},
	} {
		put(t, tg, u, content, "file rejected: virus scan unavailable", 0)
		if visible(tg, u.spath) {
			t.Errorf("%s: an unscanned correspondent upload is visible at %s", u.proto, u.spath)
		}
		if row := auditRow(t, tg, u.user, u.vpath); row.Result != store.ResultDenied || !strings.HasPrefix(row.Reason, "not scanned: ") {
			t.Errorf("%s: audit row %s, want denied, not scanned", u.proto, row.Text())
		}
	}
	for _, u := range []upload{
		{"sftp", "ana", "/operaciones/down-sftp.pdf", "/departments/operaciones/down-sftp.pdf"},
		{"webdav", "ana", "/operaciones/down-dav.pdf", "/departments/operaciones/down-dav.pdf"},
	} {
		put(t, tg, u, content, "", 0)
		if !visible(tg, u.spath) {
			t.Errorf("%s: staff's unscanned upload is not at %s", u.proto, u.spath)
		}
		if row := auditRow(t, tg, u.user, u.vpath); row.Result != store.ResultOK || !strings.HasPrefix(row.Reason, "not scanned: ") {
			t.Errorf("%s: audit row %s, want ok, not scanned", u.proto, row.Text())
		}
	}
	for labels, want := range map[string]float64{
		`decision="refused",role="correspondent"`: 2,
		`decision="allowed",role="staff"`:         2,
	} {
		if got := testkit.Metric(t, tg, "custodia_antivirus_unscanned_total", labels); got != want {
			t.Errorf("custodia_antivirus_unscanned_total{%s} = %v, want %v", labels, got, want)
		}
	}
	log := tg.Log()
	if !strings.Contains(log, "upload not scanned; refused") || !strings.Contains(log, "upload not scanned; accepted") {
		t.Errorf("the log does not tell the unscanned uploads:\n%s", log)
	}
	if strings.Contains(log, "contenido secreto") {
		t.Errorf("the log holds an upload's content:\n%s", log)
	}
}

// With no role allowed unscanned uploads, WebDAV refuses one with 503
// and the reason as body.
func TestUnscannedUploadRefusedOverWebDAV(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_ANTIVIRUS_CLAMD=unix:"+filepath.Join(t.TempDir(), "none.sock"), "CUSTODIA_ANTIVIRUS_ALLOW_UNSCANNED=")
	tg.Fixture()
	u := upload{"webdav", "ana", "/operaciones/down.pdf", "/departments/operaciones/down.pdf"}
	put(t, tg, u, "%PDF-1.4 x", "file rejected: virus scan unavailable", 503)
	if visible(tg, u.spath) {
		t.Errorf("an unscanned upload refused by the policy is visible at %s", u.spath)
	}
	if got := testkit.Metric(t, tg, "custodia_antivirus_unscanned_total", `decision="refused",role="staff"`); got != 1 {
		t.Errorf("custodia_antivirus_unscanned_total{refused,staff} = %v, want 1", got)
	}
}

// A file over clamd's StreamMaxLength cannot be scanned: it follows the
// same policy as an unreachable clamd (refused for a correspondent,
// accepted for staff), never a clean verdict.
func TestUploadOverStreamMaxLengthFollowsThePolicy(t *testing.T) {
	t.Parallel()
	cd := testkit.StartClamd(t, "StreamMaxLength 1M")
	tg := testkit.Start(t, cd.ClamdEnv())
	tg.Fixture()
	big := "%PDF-1.4 " + strings.Repeat("x", 2<<20)
	u := upload{"sftp", "juan", "/ACME/2026/big.pdf", "/dossiers/ACME/2026/big.pdf"}
	put(t, tg, u, big, "file rejected: virus scan unavailable", 0)
	if visible(tg, u.spath) {
		t.Errorf("an unscannable correspondent upload is visible at %s", u.spath)
	}
	if row := auditRow(t, tg, u.user, u.vpath); !strings.Contains(row.Reason, "StreamMaxLength") {
		t.Errorf("audit row %s does not say the file was over StreamMaxLength", row.Text())
	}
	s := upload{"sftp", "ana", "/operaciones/big.pdf", "/departments/operaciones/big.pdf"}
	put(t, tg, s, big, "", 0)
	if !visible(tg, s.spath) {
		t.Errorf("staff's unscannable upload is not at %s", s.spath)
	}
}

// Without [antivirus] nothing is scanned: the EICAR file goes in place as
// any file, and there is no quarantine.
func TestNoAntivirusConfiguredScansNothing(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	u := upload{"sftp", "juan", "/ACME/2026/eicar.pdf", "/dossiers/ACME/2026/eicar.pdf"}
	put(t, tg, u, testkit.EICAR, "", 0)
	if !visible(tg, u.spath) {
		t.Errorf("without antivirus the upload is not at %s", u.spath)
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "quarantine")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("without antivirus a quarantine exists (%v)", err)
	}
}

// A quarantine on another filesystem than files/ (here a symlink to
// /dev/shm) still gets the infected file, copied and synced, and nothing
// is left in files/.incoming.
func TestInfectedUploadQuarantinedOnAnotherFilesystem(t *testing.T) {
	t.Parallel()
	data := t.TempDir()
	other, err := os.MkdirTemp("/dev/shm", "custodia-quarantine-")
	if err != nil {
		t.Skipf("no /dev/shm to put the quarantine on: %v", err)
	}
	t.Cleanup(func() { os.RemoveAll(other) })
	var a, b syscall.Stat_t
	if syscall.Stat(data, &a) != nil || syscall.Stat(other, &b) != nil || a.Dev == b.Dev {
		t.Skip("/dev/shm is on the same filesystem as the temporary dir")
	}
	if err := os.Symlink(other, filepath.Join(data, "quarantine")); err != nil {
		t.Fatal(err)
	}
	cd := testkit.StartClamd(t)
	tg, _ := testkit.Restartable(t, testkit.Env(data, cd.ClamdEnv()), true)
	tg.Fixture()
	u := upload{"sftp", "juan", "/ACME/2026/eicar.pdf", "/dossiers/ACME/2026/eicar.pdf"}
	put(t, tg, u, testkit.EICAR, "file rejected: infected", 0)
	q := quarantined(t, tg, u.spath)
	if b, err := os.ReadFile(q); err != nil || string(b) != testkit.EICAR {
		t.Errorf("quarantined file %s holds %q (%v), want the upload", q, b, err)
	}
	if left, _ := os.ReadDir(filepath.Join(data, "files", ".incoming")); len(left) != 0 {
		t.Errorf("files/.incoming still holds %v", left)
	}
	if visible(tg, u.spath) {
		t.Errorf("the infected upload is visible at %s", u.spath)
	}
}

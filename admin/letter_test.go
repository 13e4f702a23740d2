package admin_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// The letter from the API is a PDF that names the user and both
// fingerprints the running server presents, with a new password that logs
// in over SFTP; the old one no longer does.
func TestAPILetter(t *testing.T) {
	t.Parallel()
	pdftotext := testkit.NeedPdftotext(t)
	tg := testkit.Start(t, "CUSTODIA_ORGANIZATION=Agencia Aduanal Querétaro")
	tg.Fixture()
	hostKey, served := tg.ServedFingerprints("juan")

	tok := tg.APILogin("sys")
	r := tg.API("POST", "/api/v1/users/juan/letter", tok, nil)
	if r.Code != 200 || r.Header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(r.Body), "%PDF-") {
		t.Fatalf("letter: %d %s %.100q", r.Code, r.Header.Get("Content-Type"), r.Body)
	}
	file := filepath.Join(t.TempDir(), "carta.pdf")
	os.WriteFile(file, r.Body, 0o600)
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	txt := string(out)
	for _, want := range []string{"juan", "Agencia Aduanal Querétaro", hostKey, served} {
		if !strings.Contains(txt, want) {
			t.Errorf("the letter lacks %q:\n%s", want, txt)
		}
	}
	m := regexp.MustCompile(`Contraseña:\s+(\S+)`).FindStringSubmatch(txt)
	if m == nil {
		t.Fatalf("no password in the letter:\n%s", txt)
	}
	if c, err := tg.Dial("juan", m[1]); err != nil {
		t.Errorf("the letter's password does not log in over SFTP: %v", err)
	} else {
		c.Close()
	}
	if _, err := tg.Dial("juan", testkit.Password); err == nil {
		t.Error("the old password still works after the letter")
	}
	if !strings.Contains(tg.AuditLog("sys", 50), "admin.user.letter\t/api/v1/users/juan") {
		t.Error("the letter is not audited")
	}
}

package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// The letter from the API is a PDF that names the user and both
// fingerprints the running server presents, with a new password that logs
// in over SFTP; the old one no longer does.
func TestAPILetter(t *testing.T) {
	pdftotext := needPdftotext(t)
	tg := startGateway(t, "CUSTODIA_ORGANIZATION=Agencia Aduanal Querétaro")
	tg.fixture()
	hostKey, served := tg.servedFingerprints("juan")

	tok := tg.apiLogin("sys")
	r := tg.api("POST", "/api/v1/users/juan/letter", tok, nil)
	if r.code != 200 || r.header.Get("Content-Type") != "application/pdf" || !strings.HasPrefix(string(r.body), "%PDF-") {
		t.Fatalf("letter: %d %s %.100q", r.code, r.header.Get("Content-Type"), r.body)
	}
	file := filepath.Join(t.TempDir(), "carta.pdf")
	os.WriteFile(file, r.body, 0o600)
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
	if c, err := tg.dial("juan", m[1]); err != nil {
		t.Errorf("the letter's password does not log in over SFTP: %v", err)
	} else {
		c.Close()
	}
	if _, err := tg.dial("juan", testPassword); err == nil {
		t.Error("the old password still works after the letter")
	}
	if !strings.Contains(tg.must("", "audit", "--user", "sys", "--limit", "50"), "admin.user.letter\t/api/v1/users/juan") {
		t.Error("the letter is not audited")
	}
}

package admin_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
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

// letterText is the text of a letter answer, as pdftotext reads it.
func letterText(t *testing.T, pdftotext string, r testkit.APIResp) string {
	t.Helper()
	if r.Code != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("letter: %d %s %.300s", r.Code, r.Header.Get("Content-Type"), r.Body)
	}
	file := filepath.Join(t.TempDir(), "carta.pdf")
	os.WriteFile(file, r.Body, 0o600)
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

// letterPassword is the password printed in a letter.
func letterPassword(t *testing.T, txt string) string {
	t.Helper()
	m := regexp.MustCompile(`Contraseña:\s+(\S+)`).FindStringSubmatch(txt)
	if m == nil {
		t.Fatalf("no password in the letter:\n%s", txt)
	}
	return m[1]
}

// With SFTP on every interface, a letter names public_host; without it,
// this machine's name only if clients can resolve it (here a short name
// like "vm" is refused with a 409 naming public_host, nothing changed),
// or the host the request names.
func TestAPILetterNamesAHostClientsReach(t *testing.T) {
	t.Parallel()
	pdftotext := testkit.NeedPdftotext(t)
	machine, _ := os.Hostname()
	tg := testkit.Start(t, "CUSTODIA_SFTP_LISTEN=:0")
	tg.Fixture()
	tok := tg.APILogin("sys")
	_, port, _ := net.SplitHostPort(tg.SFTPAddr)

	r := tg.API("POST", "/api/v1/users/juan/letter", tok, nil)
	if !strings.Contains(machine, ".") || strings.HasPrefix(machine, "localhost") {
		testkit.WantProblem(t, "a letter naming this machine's short name "+machine, r, 409, "host")
		if detail, _ := r.JSON(t)["detail"].(string); !strings.Contains(detail, "public_host") || !strings.Contains(detail, machine) {
			t.Errorf("the refusal does not name public_host and the machine's name: %q", detail)
		}
		if c, err := tg.Dial("juan", testkit.Password); err != nil {
			t.Errorf("a refused letter changed juan's password: %v", err)
		} else {
			c.Close()
		}
	} else if txt := letterText(t, pdftotext, r); !strings.Contains(txt, "juan@"+machine) {
		t.Errorf("the letter does not name this machine, %s:\n%s", machine, txt)
	}

	r = tg.API("POST", "/api/v1/users/juan/letter", tok, map[string]any{"host": "archivos.example"})
	txt := letterText(t, pdftotext, r)
	if want := "sftp -P " + port + " juan@archivos.example"; !strings.Contains(txt, want) {
		t.Errorf("a letter asked for archivos.example lacks %q:\n%s", want, txt)
	}
	if c, err := tg.Dial("juan", letterPassword(t, txt)); err != nil {
		t.Errorf("the letter's password does not log in: %v", err)
	} else {
		c.Close()
	}
	for _, bad := range []string{"archivos.example:22", "https://archivos.example", "archivos example"} {
		testkit.WantProblem(t, "a letter for host "+bad, tg.API("POST", "/api/v1/users/juan/letter", tok, map[string]any{"host": bad}), 422, "host")
	}

	pub := testkit.Start(t, "CUSTODIA_SFTP_LISTEN=:0", "CUSTODIA_PUBLIC_HOST=archivos.aaq.mx")
	pub.Fixture()
	_, port, _ = net.SplitHostPort(pub.SFTPAddr)
	txt = letterText(t, pdftotext, pub.API("POST", "/api/v1/users/juan/letter", pub.APILogin("sys"), nil))
	if want := "sftp -P " + port + " juan@archivos.aaq.mx"; !strings.Contains(txt, want) {
		t.Errorf("with public_host set, the letter lacks %q:\n%s", want, txt)
	}
	if !strings.Contains(txt, "Servidor: archivos.aaq.mx") || strings.Contains(txt, "127.0.0.1") {
		t.Errorf("public_host does not name every listener (FTPS listens on 127.0.0.1):\n%s", txt)
	}
}

// An admin cannot reset their own password through a letter: 409 naming
// the password endpoint; the password still works and nothing is audited.
func TestAPILetterCannotResetTheCallersOwnPassword(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	for _, name := range []string{"sys", "SYS"} {
		r := tg.API("POST", "/api/v1/users/"+name+"/letter", tok, nil)
		testkit.WantProblem(t, "sys's letter for "+name, r, 409, "name")
		if detail, _ := r.JSON(t)["detail"].(string); !strings.Contains(detail, "/password") {
			t.Errorf("the refusal does not point to the password endpoint: %q", detail)
		}
	}
	tg.APILogin("sys") // fails the test if the password changed
	if strings.Contains(tg.AuditLog("", 200), "admin.user.letter") {
		t.Error("a refused letter was audited as written")
	}
	// Another admin may write sys's letter.
	tg.AddUser(store.NewUser{Name: "ops", Role: store.RoleAdmin})
	if r := tg.API("POST", "/api/v1/users/sys/letter", tg.APILogin("ops"), nil); r.Code != 200 {
		t.Errorf("another admin's letter for sys: %d %s", r.Code, r.Body)
	}
}

// A key-only account's letter carries no password and sets none: it
// names SFTP, its key and the host key. {"password": true} gives it a
// password, which then logs in.
func TestAPIKeyOnlyLetter(t *testing.T) {
	t.Parallel()
	pdftotext := testkit.NeedPdftotext(t)
	tg := testkit.Start(t)
	tg.Fixture()
	tok := tg.APILogin("sys")
	pubKey, _, _ := ed25519.GenerateKey(rand.Reader)
	sshKey, err := ssh.NewPublicKey(pubKey)
	if err != nil {
		t.Fatal(err)
	}
	fp := ssh.FingerprintSHA256(sshKey)
	// Created with a key and no password (POST /api/v1/users generates a
	// password when none is given).
	tg.AddUser(store.NewUser{Name: "contab", Role: store.RolePublisher, Keys: []store.NewKey{{Fingerprint: fp,
		PublicKey: strings.TrimSpace(string(ssh.MarshalAuthorizedKey(sshKey)))}}})
	hasPassword := func() bool {
		t.Helper()
		u, err := tg.Store().UserByName(context.Background(), "contab")
		if err != nil {
			t.Fatal(err)
		}
		return u.PasswordHash != ""
	}
	if hasPassword() {
		t.Fatal("contab was created with a password")
	}
	hostKey, _ := tg.ServedFingerprints("juan")

	txt := letterText(t, pdftotext, tg.API("POST", "/api/v1/users/contab/letter", tok, nil))
	for _, want := range []string{"contab", fp, hostKey, "entra por SFTP con su clave SSH"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the key letter lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "Contraseña:") || strings.Contains(txt, "FTPS") {
		t.Errorf("the key letter offers a password or FTPS:\n%s", txt)
	}
	if hasPassword() {
		t.Error("a key letter gave contab a password")
	}
	if !strings.Contains(tg.AuditLog("sys", 50), `"password_reset":false`) {
		t.Errorf("the key letter is not audited as changing no password:\n%s", tg.AuditLog("sys", 50))
	}

	txt = letterText(t, pdftotext, tg.API("POST", "/api/v1/users/contab/letter", tok, map[string]any{"password": true}))
	if c, err := tg.Dial("contab", letterPassword(t, txt)); err != nil {
		t.Errorf("the password of the letter asked for does not log in: %v", err)
	} else {
		c.Close()
	}
	// Once it has a password, its letters reset it, as any account's.
	if txt = letterText(t, pdftotext, tg.API("POST", "/api/v1/users/contab/letter", tok, nil)); !strings.Contains(txt, "Contraseña:") {
		t.Errorf("contab, now with a password, got a key letter:\n%s", txt)
	}
}

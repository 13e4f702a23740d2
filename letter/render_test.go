package letter

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// needPdftotext finds pdftotext (poppler-utils); it skips without it,
// unless CI is set. (testkit.NeedPdftotext, which this package's tests
// cannot import: the test kit imports letter.)
func needPdftotext(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not installed, and CI is set: .ci/run must install it")
		}
		t.Skip("skipping: pdftotext is not installed (apt-get install poppler-utils)")
	}
	return p
}

// pdfText is the text of pdf as pdftotext extracts it, pages ending in a
// form feed.
func pdfText(t *testing.T, pdftotext string, pdf []byte) string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(pdftotext, "-enc", "UTF-8", file, "-").CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext cannot read the PDF: %v\n%s", err, out)
	}
	return string(out)
}

func TestRender(t *testing.T) {
	t.Parallel()
	pdftotext := needPdftotext(t)
	// text renders a letter and returns the PDF and its text.
	text := func(t *testing.T, l Letter) ([]byte, string) {
		t.Helper()
		pdf, err := Render(l)
		if err != nil {
			t.Fatalf("Render: %v", err)
		}
		return pdf, pdfText(t, pdftotext, pdf)
	}
	const (
		org      = "Agencia Aduanal Querétaro"
		password = "ohX5Q+jML:YYS-D2g_wL"
		hostKey  = "SHA256:UDO16XmTPBeOMMHarFuQfk+eusXaipycMOpgx8SIiDQ"
		tlsFP    = "B5:FA:DC:B7:E9:13:7C:8A:87:56:08:5C:FF:05:56:ED:4E:C7:26:7F:2C:14:46:DA:0C:F3:7C:60:67:13:C6:8A"
		share    = "https://archivos.aaq.mx:8443/"
		portal   = "https://archivos.aaq.mx:8444/"
	)
	letter := func(role string) Letter {
		return Letter{
			Organization: org, Username: "corresponsal.gdl", Password: password, Role: role,
			Endpoints: Endpoints{SFTP: "archivos.aaq.mx:2022", FTPS: "archivos.aaq.mx:2121", WebDAV: share, Portal: portal,
				HostKeyFingerprint: hostKey, TLSFingerprint: tlsFP},
			Date: time.Date(2026, time.November, 25, 11, 0, 0, 0, time.UTC),
		}
	}

	for _, role := range []string{"correspondent", "staff"} {
		t.Run(role, func(t *testing.T) {
			t.Parallel()
			pdf, txt := text(t, letter(role))
			if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
				t.Errorf("the letter does not start with %%PDF-: %q", pdf[:min(len(pdf), 16)])
			}
			if pages := strings.Count(txt, "\f"); pages != 1 {
				t.Errorf("the letter has %d pages, want 1", pages)
			}
			if bytes.Contains(pdf, []byte(password)) {
				t.Errorf("the password is readable in the PDF's raw bytes; the content streams should be compressed")
			}
			lines := strings.Split(txt, "\n")
			hasLine := func(what, want string) {
				t.Helper()
				for _, l := range lines {
					if strings.Contains(l, want) {
						return
					}
				}
				t.Errorf("the letter's text lacks the %s %q on one line:\n%s", what, want, txt)
			}
			hasLine("organisation", org)
			hasLine("greeting", "Estimado(a) usuario(a)")
			hasLine("date", "25 de noviembre de 2026")
			hasLine("user name", "corresponsal.gdl")
			hasLine("password", password)
			hasLine("SFTP command", "sftp -P 2022 corresponsal.gdl@archivos.aaq.mx")
			hasLine("FTPS setting", "Requiere FTP explícito sobre TLS")
			hasLine("SSH host key fingerprint", hostKey)
			hasLine("TLS certificate fingerprint", tlsFP)
			hasLine("warning", "no la comparta")
			hasLine("web portal", portal)
			if role == "staff" {
				hasLine("mapped drive", "Conectar unidad de red")
				hasLine("share URL", share)
			} else if strings.Contains(txt, share) || strings.Contains(txt, "unidad de red") {
				t.Errorf("a correspondent's letter offers a mapped drive; those are for staff:\n%s", txt)
			}
		})
	}

	t.Run("only what is on", func(t *testing.T) {
		t.Parallel()
		l := letter("client")
		l.FTPS, l.WebDAV, l.Portal = "", "", ""
		_, txt := text(t, l)
		for _, absent := range []string{"FTPS", "2121", tlsFP, share, portal} {
			if strings.Contains(txt, absent) {
				t.Errorf("a letter without FTPS and WebDAV mentions %q:\n%s", absent, txt)
			}
		}
		if !strings.Contains(txt, hostKey) || !strings.Contains(txt, password) {
			t.Errorf("a letter with SFTP only lacks the host key fingerprint or the password:\n%s", txt)
		}
	})

	// A key-only account's letter has no password: it says the account
	// logs in over SFTP with its key, lists the key, and names the host
	// key to check; FTPS and the mapped drive, which need a password, are
	// left out even when set.
	t.Run("key letter", func(t *testing.T) {
		t.Parallel()
		const userKey = "SHA256:q3V0Jm8bWc5Yd9kRr0nK4pXh2sLzT7uE1aGfNvBwQyI"
		l := letter("publisher")
		l.Password, l.Keys = "", []string{userKey}
		_, txt := text(t, l)
		if pages := strings.Count(txt, "\f"); pages != 1 {
			t.Errorf("the key letter has %d pages, want 1", pages)
		}
		for what, want := range map[string]string{
			"key login": "entra por SFTP con su clave SSH", "user key": userKey, "host key": hostKey,
			"SFTP command": "sftp -i CLAVE -P 2022 corresponsal.gdl@archivos.aaq.mx", "warning": "Su clave privada es personal",
		} {
			if !strings.Contains(txt, want) {
				t.Errorf("the key letter lacks the %s %q:\n%s", what, want, txt)
			}
		}
		for _, absent := range []string{"Contraseña:", "Su contraseña", "FTPS", "2121", tlsFP, share} {
			if strings.Contains(txt, absent) {
				t.Errorf("the key letter mentions %q:\n%s", absent, txt)
			}
		}
	})
}

func TestRenderRefuses(t *testing.T) {
	t.Parallel()
	for name, l := range map[string]Letter{
		"no user name":        {Password: "ohX5Q+jML:YYS-D2g_wL"},
		"blank user name":     {Username: "  ", Password: "ohX5Q+jML:YYS-D2g_wL"},
		"no password":         {Username: "ana"},
		"space in password":   {Username: "ana", Password: "ohX5Q+jML YYS-D2g_wL"},
		"accent in password":  {Username: "ana", Password: "ohX5Q+jML:YYS-D2g_wLé"},
		"newline in password": {Username: "ana", Password: "ohX5Q+jML:YYS-D2g_wL\n"},
		"key letter, no SFTP": {Username: "pub", Keys: []string{"SHA256:x"}, Endpoints: Endpoints{FTPS: "h:21"}},
		"newline in key":      {Username: "pub", Keys: []string{"SHA256:x\n"}, Endpoints: Endpoints{SFTP: "h:22"}},
	} {
		if pdf, err := Render(l); err == nil {
			t.Errorf("%s: Render wrote a letter (%d bytes), want an error", name, len(pdf))
		}
	}
}

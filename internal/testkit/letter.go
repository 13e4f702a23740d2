package testkit

import (
	"crypto/tls"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/gateway"
)

// NeedPdftotext finds pdftotext (poppler-utils), which reads the letters;
// it skips without it, unless CI is set.
func NeedPdftotext(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("pdftotext")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatal("pdftotext is not installed, and CI is set: .ci/run must install it (poppler-utils)")
		}
		t.Skip("skipping: pdftotext is not installed (apt-get install poppler-utils)")
	}
	return p
}

// ServedFingerprints are what the gateway presents: the SSH host key seen
// in a handshake (logging in as user), and the certificate of WebDAV.
func (tg *Gateway) ServedFingerprints(user string) (hostKey, cert string) {
	tg.T.Helper()
	c, err := ssh.Dial("tcp", tg.SFTPAddr, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(Password)}, Timeout: 10 * time.Second,
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error {
			hostKey = ssh.FingerprintSHA256(k)
			return nil
		},
	})
	if err != nil {
		tg.T.Fatalf("%s cannot log in over SFTP: %v", user, err)
	}
	c.Close()
	conn, err := tls.Dial("tcp", tg.DAVAddr, &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		tg.T.Fatal(err)
	}
	defer conn.Close()
	cert = gateway.Fingerprint(tls.Certificate{Certificate: [][]byte{conn.ConnectionState().PeerCertificates[0].Raw}})
	return hostKey, cert
}

// PDFText is a PDF's text as pdftotext reads it (UTF-8; with layout, in
// the page's columns); like NeedPdftotext, it skips without pdftotext
// unless CI is set.
func PDFText(t *testing.T, pdf []byte, layout bool) string {
	t.Helper()
	bin := NeedPdftotext(t)
	file := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(file, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-enc", "UTF-8"}
	if layout {
		args = append(args, "-layout")
	}
	out, err := exec.Command(bin, append(args, file, "-")...).CombinedOutput()
	if err != nil {
		t.Fatalf("pdftotext: %v\n%s", err, out)
	}
	return string(out)
}

package testkit

import (
	"crypto/tls"
	"net"
	"os"
	"os/exec"
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

package server

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/pem"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/letter"
)

// The host a letter names: the one asked for, else public_host, else for
// a listener on every interface this machine's name, refused when clients
// could not resolve or reach it; a listener on one address keeps it.
func TestLetterEndpointsHost(t *testing.T) {
	t.Parallel()
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	cfg.FTP.Listen, cfg.WebDAV.Listen, cfg.Web.Listen = config.Off, config.Off, config.Off
	_, priv, _ := ed25519.GenerateKey(rand.Reader)
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(cfg.KeysDir(), 0o700)
	if err := os.WriteFile(filepath.Join(cfg.KeysDir(), "ssh_host_ed25519_key"), pem.EncodeToMemory(block), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		listen, public, host, machine string
		want                          string // the SFTP address, or "refused"
	}{
		{":2022", "", "", "files.aaq.mx", "files.aaq.mx:2022"},
		{":2022", "", "", "vm", "refused"},
		{"0.0.0.0:2022", "", "", "vm", "refused"},
		{"[::]:2022", "", "", "vm", "refused"},
		{":2022", "", "", "localhost", "refused"},
		{":2022", "", "", "127.0.0.1", "refused"},
		{":2022", "", "", "::1", "refused"},
		{":2022", "", "", "", "refused"},
		{":2022", "archivos.aaq.mx", "", "vm", "archivos.aaq.mx:2022"},
		{":2022", "2001:db8::10", "", "vm", "[2001:db8::10]:2022"},
		{"10.1.2.3:2022", "", "", "vm", "10.1.2.3:2022"},
		{"10.1.2.3:2022", "archivos.aaq.mx", "", "vm", "archivos.aaq.mx:2022"},
		{":2022", "archivos.aaq.mx", "sftp.aaq.mx", "vm", "sftp.aaq.mx:2022"},
		{":2022", "", "vm", "vm", "vm:2022"}, // asked for by name: the operator knows their network
		{":2022", "", "files.aaq.mx:2022", "vm", "refused"},
		{":2022", "", "https://files.aaq.mx", "vm", "refused"},
	} {
		cfg := cfg
		cfg.SFTP.Listen, cfg.PublicHost = c.listen, c.public
		e, err := LetterEndpoints(cfg, c.host, c.machine, func(string) {})
		what := "listen " + c.listen + ", public_host " + c.public + ", host " + c.host + ", machine " + c.machine
		if c.want == "refused" {
			if !errors.Is(err, letter.ErrHost) {
				t.Errorf("%s: letter for %q, %v; want it refused with letter.ErrHost", what, e.SFTP, err)
			} else if c.host == "" && !strings.Contains(err.Error(), "public_host (CUSTODIA_PUBLIC_HOST)") {
				t.Errorf("%s: the refusal does not say to set public_host: %v", what, err)
			}
			continue
		}
		if err != nil || e.SFTP != c.want || !strings.HasPrefix(e.HostKeyFingerprint, "SHA256:") {
			t.Errorf("%s: SFTP %q (host key %q), %v; want %s", what, e.SFTP, e.HostKeyFingerprint, err, c.want)
		}
	}
}

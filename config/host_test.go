package config_test

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/config"
)

// public_host takes an IPv4 or IPv6 address or a DNS name, from the file
// or the environment, and refuses a port, a scheme, brackets or a name
// that is no host name, each with a problem naming the key.
func TestPublicHost(t *testing.T) {
	t.Parallel()
	for _, good := range []string{"archivos.aaq.mx", "203.0.113.10", "2001:db8::10", "vm", "a-1.example", "xn--aduana-9ua.mx"} {
		c, err := config.Load("", []string{"CUSTODIA_PUBLIC_HOST=" + good})
		if err != nil {
			t.Errorf("public_host %q is refused: %v", good, err)
		} else if c.PublicHost != good {
			t.Errorf("CUSTODIA_PUBLIC_HOST=%s gave public_host %q", good, c.PublicHost)
		}
	}
	for _, bad := range []string{"archivos.aaq.mx:2022", "https://archivos.aaq.mx", "[2001:db8::10]", "203.0.113.10:21",
		"archivos aaq", "archivos_aaq.mx", "-archivos.mx", "archivos..mx", "0.0.0.0", "::", "fe80::1%eth0",
		"1.2.3", "archivos.aaq.mx/", strings.Repeat("a", 64) + ".mx"} {
		_, err := config.Load("", []string{"CUSTODIA_PUBLIC_HOST=" + bad})
		if keys := problemKeys(t, err); len(keys) != 1 || keys[0] != "public_host" {
			t.Errorf("public_host %q: problems %v, want one for public_host", bad, err)
		} else if !strings.Contains(err.Error(), "CUSTODIA_PUBLIC_HOST") {
			t.Errorf("public_host %q: the problem does not name the variable: %v", bad, err)
		}
	}
	file := writeConfig(t, `public_host = "archivos.aaq.mx"`+"\n")
	if c, err := config.Load(file, nil); err != nil || c.PublicHost != "archivos.aaq.mx" {
		t.Errorf("public_host from the file: %q, %v", c.PublicHost, err)
	}
}

// PASV announces ftp.public_host, or else public_host when that is an
// IPv4 address; a DNS name or an IPv6 address leaves PASV announcing the
// address the client reached.
func TestPassiveHostFollowsPublicHost(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		public, ftp, want string
	}{
		{"", "", ""},
		{"203.0.113.10", "", "203.0.113.10"},
		{"203.0.113.10", "198.51.100.7", "198.51.100.7"},
		{"archivos.aaq.mx", "", ""},
		{"archivos.aaq.mx", "198.51.100.7", "198.51.100.7"},
		{"2001:db8::10", "", ""},
	} {
		cfg, err := config.Load("", []string{"CUSTODIA_PUBLIC_HOST=" + c.public, "CUSTODIA_FTP_PUBLIC_HOST=" + c.ftp})
		if err != nil {
			t.Fatalf("public_host %q, ftp.public_host %q: %v", c.public, c.ftp, err)
		}
		if got := cfg.PassiveHost(); got != c.want {
			t.Errorf("public_host %q, ftp.public_host %q: PASV announces %q, want %q", c.public, c.ftp, got, c.want)
		}
	}
}

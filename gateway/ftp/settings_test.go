package ftp

import (
	"crypto/tls"
	"testing"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/oaq/custodia/gateway"
)

// TestSettingsRequireTLS: the TLS mode handed to ftpserverlib is the one
// configured, so that the library refuses USER before AUTH TLS (our
// AuthUser refuses it again, should the library let it through).
func TestSettingsRequireTLS(t *testing.T) {
	t.Parallel()
	core, err := gateway.New(gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		what string
		o    Options
		want ftpserver.TLSRequirement
	}{
		{"TLS required", Options{TLSRequired: true}, ftpserver.MandatoryEncryption},
		{"implicit TLS", Options{Implicit: true}, ftpserver.ImplicitEncryption},
		{"TLS optional", Options{}, ftpserver.ClearOrEncrypted},
	} {
		c.o.Core, c.o.TLS = core, &tls.Config{}
		s, err := New(c.o)
		if err != nil {
			t.Fatal(err)
		}
		if got := s.settings(nil).TLSRequired; got != c.want {
			t.Errorf("with %s, ftpserverlib is told TLS mode %v, want %v.", c.what, got, c.want)
		}
	}
}

package ftp_test

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
)

// PASV announces the top-level public_host when it is an IPv4 address,
// ftp.public_host over it when both are set, and the address the client
// reached when public_host is a DNS name (never resolved by the gateway).
func TestFTPPassiveAnnouncesPublicHost(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		env  []string
		want string
	}{
		{[]string{"CUSTODIA_PUBLIC_HOST=203.0.113.10"}, "(203,0,113,10,"},
		{[]string{"CUSTODIA_PUBLIC_HOST=203.0.113.10", "CUSTODIA_FTP_PUBLIC_HOST=198.51.100.7"}, "(198,51,100,7,"},
		{[]string{"CUSTODIA_PUBLIC_HOST=archivos.example"}, "(127,0,0,1,"},
	} {
		tg := testkit.Start(t, c.env...)
		tg.Fixture()
		r := tg.RawFTPConn(tg.FTPAddr, false)
		r.Login("ana")
		if msg := r.Expect(227, "PASV"); !strings.Contains(msg, c.want) {
			t.Errorf("%v: PASV replied %q, want the address %s", c.env, msg, c.want)
		}
	}
}

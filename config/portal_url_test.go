package config

import "testing"

// TestPortalURLFollowsWebListen: the link the e-mail carries names the
// portal's own port, and no link is made up for a portal that is off.
func TestPortalURLFollowsWebListen(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ public, listen, explicit, want string }{
		{"portal.oaq.mx", ":8444", "", "https://portal.oaq.mx:8444/"},
		{"portal.oaq.mx", "0.0.0.0:9443", "", "https://portal.oaq.mx:9443/"},
		{"2001:db8::1", ":9443", "", "https://[2001:db8::1]:9443/"},
		{"portal.oaq.mx", "off", "", ""},
		{"portal.oaq.mx", "127.0.0.1:0", "", ""},
		{"", ":8444", "", ""},
		{"", "off", "https://archivos.oaq.mx/", "https://archivos.oaq.mx/"},
	} {
		cfg := Default()
		cfg.PublicHost, cfg.Web.Listen, cfg.Notify.PortalURL = c.public, c.listen, c.explicit
		if got := cfg.PortalURL(); got != c.want {
			t.Errorf("public_host %q, web.listen %q, portal_url %q: link %q, want %q", c.public, c.listen, c.explicit, got, c.want)
		}
	}
}

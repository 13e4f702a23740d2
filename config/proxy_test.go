package config_test

import (
	"strings"
	"testing"

	"github.com/oaq/custodia/config"
)

// proxy_protocol.trusted takes addresses and CIDR prefixes, from the
// environment as a comma-separated list; anything else is refused by name.
func TestProxyProtocolTrusted(t *testing.T) {
	t.Parallel()
	cfg, err := config.Load("", []string{"CUSTODIA_PROXY_PROTOCOL_TRUSTED=10.0.0.5, 10.1.2.0/24,::ffff:192.0.2.1,2001:db8::/48"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range cfg.ProxyProtocol.Prefixes() {
		got = append(got, p.String())
	}
	if want := "10.0.0.5/32 10.1.2.0/24 192.0.2.1/32 2001:db8::/48"; strings.Join(got, " ") != want {
		t.Errorf("trusted proxies %v, want %s", got, want)
	}
	if len(config.Config{}.ProxyProtocol.Prefixes()) != 0 {
		t.Error("the PROXY protocol is on by default")
	}
	_, err = config.Load("", []string{"CUSTODIA_PROXY_PROTOCOL_TRUSTED=10.0.0.5,haproxy.internal"})
	if err == nil || !strings.Contains(err.Error(), "proxy_protocol.trusted") || !strings.Contains(err.Error(), "haproxy.internal") {
		t.Errorf("a host name among the trusted proxies: %v, want a problem naming proxy_protocol.trusted and the entry", err)
	}
}

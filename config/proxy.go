package config

import (
	"net/netip"
	"strings"
	"time"
)

// ProxyProtocol names the proxies (HAProxy, a load balancer) whose
// connections to SFTP, FTP (control and passive data), WebDAV and the
// portal begin with a PROXY protocol header (v1 or v2) naming the client.
// Trusted empty: off. A trusted proxy's connection without a header is
// dropped; a header from any other address is refused.
type ProxyProtocol struct {
	Trusted       []string `toml:"trusted"`        // addresses or CIDR prefixes, e.g. 10.0.0.5, 10.0.1.0/24
	HeaderTimeout Duration `toml:"header_timeout"` // a proxy's header must arrive within it
}

func defaultProxyProtocol() ProxyProtocol {
	return ProxyProtocol{HeaderTimeout: Duration{5 * time.Second}}
}

// Prefixes are the trusted proxies as prefixes (an address is its /32 or
// /128). Entries that do not parse are left out; Validate reports them.
func (p ProxyProtocol) Prefixes() []netip.Prefix {
	var out []netip.Prefix
	for _, t := range p.Trusted {
		if pr, err := parseProxy(t); err == nil {
			out = append(out, pr)
		}
	}
	return out
}

func parseProxy(s string) (netip.Prefix, error) {
	s = strings.TrimSpace(s)
	if strings.Contains(s, "/") {
		p, err := netip.ParsePrefix(s)
		return p.Masked(), err
	}
	a, err := netip.ParseAddr(s)
	if err != nil {
		return netip.Prefix{}, err
	}
	a = a.Unmap()
	return netip.PrefixFrom(a, a.BitLen()), nil
}

func (p ProxyProtocol) validate() Problems {
	var ps Problems
	for _, t := range p.Trusted {
		if _, err := parseProxy(t); err != nil {
			ps = append(ps, Problem{"proxy_protocol.trusted", "\"" + t + "\" is not an IP address or CIDR prefix (e.g. 10.0.0.5 or 10.0.1.0/24)"})
		}
	}
	return append(ps, positive("proxy_protocol.header_timeout", p.HeaderTimeout)...)
}

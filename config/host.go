package config

import (
	"fmt"
	"net/netip"
	"strings"
)

// CheckHost checks that h names a host the way clients type it: an IPv4
// or IPv6 address (no brackets, no zone) or a DNS name, with no port and
// no scheme.
func CheckHost(h string) error {
	if h == "" {
		return fmt.Errorf("empty: want an IP address or a DNS name")
	}
	if strings.Contains(h, "://") {
		return fmt.Errorf("%q: want a host alone, without a scheme", h)
	}
	if a, err := netip.ParseAddr(h); err == nil {
		if a.Zone() != "" || a.IsUnspecified() || a.IsMulticast() {
			return fmt.Errorf("%q: not an address clients can connect to", h)
		}
		return nil
	}
	if strings.ContainsAny(h, "[]:") {
		return fmt.Errorf("%q: want a host alone, without a port or brackets", h)
	}
	if !dnsName(h) {
		return fmt.Errorf("%q: want an IPv4 or IPv6 address or a DNS name (letters, digits and '-' in dot-separated labels)", h)
	}
	return nil
}

// dnsName reports whether h is a host name as RFC 1123 allows: at most
// 253 characters of dot-separated labels of 1 to 63 letters, digits and
// inner hyphens, not all digits at the end (that would be an IP address).
func dnsName(h string) bool {
	if len(h) > 253 {
		return false
	}
	labels := strings.Split(h, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return strings.Trim(labels[len(labels)-1], "0123456789") != ""
}

func (c Config) validatePublicHost() Problems {
	if c.PublicHost == "" {
		return nil
	}
	if err := CheckHost(c.PublicHost); err != nil {
		return Problems{{"public_host", err.Error()}}
	}
	return nil
}

// PassiveHost is the IPv4 address FTP announces in PASV replies:
// ftp.public_host, or else public_host when it is an IPv4 address; ""
// announces the address the client reached. A DNS name is not resolved
// here, as the gateway's resolver may answer with the inside address a
// NAT hides.
func (c Config) PassiveHost() string {
	if c.FTP.PublicHost != "" {
		return c.FTP.PublicHost
	}
	if a, err := netip.ParseAddr(c.PublicHost); err == nil && a.Is4() {
		return c.PublicHost
	}
	return ""
}

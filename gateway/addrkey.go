package gateway

import "net/netip"

// AddrKey is what the per-address limits and the defender count as one
// address: an IPv4 address itself, and an IPv6 address's /64, since one
// IPv6 client (one home, one office, one cloud machine) is given a whole
// /64 and may take any address in it.
func AddrKey(a netip.Addr) netip.Prefix {
	a = a.Unmap()
	if !a.IsValid() {
		return netip.Prefix{}
	}
	if a.Is6() {
		p, _ := a.Prefix(64)
		return p
	}
	return netip.PrefixFrom(a, 32)
}

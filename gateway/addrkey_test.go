package gateway

import (
	"net/netip"
	"testing"
)

// TestAddrKeyGroupsIPv6By64: an IPv4 address is its own key (mapped or
// not), an IPv6 address counts as its /64.
func TestAddrKeyGroupsIPv6By64(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ addr, want string }{
		{"198.51.100.7", "198.51.100.7/32"},
		{"::ffff:198.51.100.7", "198.51.100.7/32"},
		{"127.0.0.2", "127.0.0.2/32"},
		{"2001:db8:1:2:aaaa::1", "2001:db8:1:2::/64"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"},
		{"2001:db8:1:3::1", "2001:db8:1:3::/64"},
		{"::1", "::/64"},
	} {
		if got := AddrKey(netip.MustParseAddr(c.addr)); got.String() != c.want {
			t.Errorf("AddrKey(%s) = %s, want %s.", c.addr, got, c.want)
		}
	}
	if k := AddrKey(netip.Addr{}); k.IsValid() {
		t.Errorf("AddrKey of no address = %s, want an invalid prefix.", k)
	}
}

// TestDefenderBansIPv6By64: failures from different addresses of one /64
// add up to a ban of the whole /64, which another /64 does not share;
// lifting it by any of its addresses lifts it.
func TestDefenderBansIPv6By64(t *testing.T) {
	t.Parallel()
	d := clockedDefender(newClock())
	for i, a := range []string{"2001:db8:0:7::1", "2001:db8:0:7::2", "2001:db8:0:7:8000::3"} {
		banned := d.Fail(netip.MustParseAddr(a))
		if last := i == defenderOpts().MaxFailures-1; banned != last {
			t.Fatalf("failure %d from %s: banned %v, want %v.", i+1, a, banned, last)
		}
	}
	for _, a := range []string{"2001:db8:0:7::1", "2001:db8:0:7:ffff::9"} {
		if !d.Banned(netip.MustParseAddr(a)) {
			t.Errorf("%s is not banned although its /64 failed three times.", a)
		}
	}
	if other := netip.MustParseAddr("2001:db8:0:8::1"); d.Banned(other) {
		t.Errorf("%s is banned: the ban spread beyond its /64.", other)
	}
	bans := d.Bans()
	if len(bans) != 1 || bans[0].Prefix.String() != "2001:db8:0:7::/64" || bans[0].Addr.String() != "2001:db8:0:7::" {
		t.Errorf("Bans lists %+v, want the one /64 2001:db8:0:7::/64.", bans)
	}
	if !d.Lift(netip.MustParseAddr("2001:db8:0:7::abcd")) || d.Banned(netip.MustParseAddr("2001:db8:0:7::1")) {
		t.Errorf("lifting the ban by another address of its /64 did not lift it.")
	}
}

package gateway

import (
	"net/netip"
	"testing"
	"time"
)

// fakeClock is a defender's clock that a test moves by hand.
type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time          { return c.t }
func (c *fakeClock) add(d time.Duration)     { c.t = c.t.Add(d) }
func newClock() *fakeClock                   { return &fakeClock{t: time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)} }
func clockedDefender(c *fakeClock) *Defender { return withClock(NewDefender(defenderOpts()), c) }

// defenderOpts: three failures within a minute ban for ten minutes.
func defenderOpts() DefenderOptions {
	return DefenderOptions{MaxFailures: 3, Window: time.Minute, BanTime: 10 * time.Minute}
}

func withClock(d *Defender, c *fakeClock) *Defender {
	d.now = c.now
	return d
}

// TestDefenderBansAfterFailuresInWindow: MaxFailures failures within the
// window ban the address for BanTime, and the ban then ends.
func TestDefenderBansAfterFailuresInWindow(t *testing.T) {
	t.Parallel()
	clock := newClock()
	d := clockedDefender(clock)
	addr := netip.MustParseAddr("198.51.100.7")
	for i := 1; i < defenderOpts().MaxFailures; i++ {
		if d.Fail(addr) {
			t.Fatalf("failure %d of %d already banned %s.", i, defenderOpts().MaxFailures, addr)
		}
		clock.add(10 * time.Second)
	}
	if d.Banned(addr) {
		t.Errorf("%s is banned before its third failure.", addr)
	}
	if !d.Fail(addr) {
		t.Errorf("the third failure within a minute did not ban %s.", addr)
	}
	if !d.Banned(addr) {
		t.Errorf("%s is not banned after three failures within a minute.", addr)
	}
	if bans := d.Bans(); len(bans) != 1 || bans[0].Addr != addr || !bans[0].Until.Equal(clock.t.Add(defenderOpts().BanTime)) {
		t.Errorf("Bans lists %+v, want %s until %s.", bans, addr, clock.t.Add(defenderOpts().BanTime))
	}
	clock.add(defenderOpts().BanTime - time.Second)
	if !d.Banned(addr) {
		t.Errorf("the ban of %s ended a second before its ban time.", addr)
	}
	clock.add(time.Second)
	if d.Banned(addr) {
		t.Errorf("%s is still banned once the ban time has passed.", addr)
	}
	if d.Fail(addr) {
		t.Errorf("one failure after a ban ended banned %s again: the failures before the ban must not count.", addr)
	}
}

// TestDefenderWindowExpires: failures older than the window do not count.
func TestDefenderWindowExpires(t *testing.T) {
	t.Parallel()
	clock := newClock()
	d := clockedDefender(clock)
	addr := netip.MustParseAddr("198.51.100.8")
	for i := range 6 {
		if d.Fail(addr) {
			t.Fatalf("failure %d, each 40 s after the last, banned %s: only two at a time fall within a minute.", i+1, addr)
		}
		clock.add(40 * time.Second)
	}
	if d.Banned(addr) {
		t.Errorf("%s is banned for failures spread wider than the window.", addr)
	}
}

// TestDefenderIsPerAddress: a ban holds for the one IPv4 address, also
// when it arrives as an IPv4-mapped IPv6 address, and no other.
func TestDefenderIsPerAddress(t *testing.T) {
	t.Parallel()
	clock := newClock()
	d := clockedDefender(clock)
	bad := netip.MustParseAddr("203.0.113.5")
	for range defenderOpts().MaxFailures {
		d.Fail(netip.MustParseAddr("::ffff:203.0.113.5"))
	}
	if !d.Banned(bad) {
		t.Errorf("three failures from ::ffff:203.0.113.5 did not ban 203.0.113.5: a mapped address is the same client.")
	}
	for _, other := range []string{"203.0.113.6", "203.0.113.4", "198.51.100.5"} {
		if d.Banned(netip.MustParseAddr(other)) {
			t.Errorf("banning %s also banned %s: IPv4 bans are per address.", bad, other)
		}
	}
	d.Fail(netip.MustParseAddr("203.0.113.6"))
	d.Fail(netip.MustParseAddr("203.0.113.6"))
	if d.Banned(netip.MustParseAddr("203.0.113.6")) {
		t.Errorf("two failures of 203.0.113.6 banned it: another address's failures were counted.")
	}
	if !d.Lift(bad) || d.Banned(bad) {
		t.Errorf("lifting the ban of %s did not end it.", bad)
	}
}

// TestDefenderDisabled: MaxFailures 0 never bans.
func TestDefenderDisabled(t *testing.T) {
	t.Parallel()
	d := NewDefender(DefenderOptions{Window: time.Minute, BanTime: time.Minute})
	addr := netip.MustParseAddr("192.0.2.9")
	for range 50 {
		d.Fail(addr)
	}
	if d.Banned(addr) {
		t.Errorf("a disabled defender banned %s.", addr)
	}
}

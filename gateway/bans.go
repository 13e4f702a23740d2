package gateway

import (
	"net/netip"
	"sort"
	"time"
)

// Ban is an address the defender refuses, until when. For IPv6 the ban
// covers the address's /64 (Prefix), and Addr is the /64's first address.
type Ban struct {
	Addr   netip.Addr
	Prefix netip.Prefix // Addr/32 for IPv4, the /64 for IPv6
	Until  time.Time
}

// Bans lists the addresses banned now, soonest to end first.
func (d *Defender) Bans() []Ban {
	if !d.enabled() {
		return nil
	}
	if d.opts.Store != nil {
		return d.sharedBans()
	}
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Ban
	for a, p := range d.peers {
		if now.Before(p.bannedUntil) {
			out = append(out, Ban{Addr: a.Addr(), Prefix: a, Until: p.bannedUntil})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Until.Equal(out[j].Until) {
			return out[i].Until.Before(out[j].Until)
		}
		return out[i].Addr.Less(out[j].Addr) || out[i].Addr == out[j].Addr && out[i].Prefix.Bits() < out[j].Prefix.Bits()
	})
	return out
}

// Lift ends a ban and forgets the address's failures (for IPv6, its
// /64's); false when the address was not banned.
func (d *Defender) Lift(addr netip.Addr) bool {
	if !d.enabled() {
		return false
	}
	key := AddrKey(addr)
	if d.opts.Store != nil {
		return d.sharedLift(key)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[key]
	if p == nil || !d.now().Before(p.bannedUntil) {
		return false
	}
	delete(d.peers, key)
	return true
}

// Banned reports whether the defender refuses addr now.
func (c *Core) Banned(addr netip.Addr) bool { return c.defender.Banned(addr) }

// BannedUntil reports whether the defender refuses addr now, and until
// when.
func (c *Core) BannedUntil(addr netip.Addr) (time.Time, bool) { return c.defender.BannedUntil(addr) }

// Bans lists the defender's current bans.
func (c *Core) Bans() []Ban { return c.defender.Bans() }

// Lift ends the ban of addr.
func (c *Core) Lift(addr netip.Addr) bool { return c.defender.Lift(addr) }

package gateway

import (
	"net/netip"
	"sort"
	"time"
)

// Ban is an address the defender refuses, until when.
type Ban struct {
	Addr  netip.Addr
	Until time.Time
}

// Bans lists the addresses banned now, soonest to end first.
func (d *Defender) Bans() []Ban {
	if !d.enabled() {
		return nil
	}
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []Ban
	for a, p := range d.peers {
		if now.Before(p.bannedUntil) {
			out = append(out, Ban{Addr: a, Until: p.bannedUntil})
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if !out[i].Until.Equal(out[j].Until) {
			return out[i].Until.Before(out[j].Until)
		}
		return out[i].Addr.Less(out[j].Addr)
	})
	return out
}

// Lift ends a ban and forgets the address's failures; false when the
// address was not banned.
func (d *Defender) Lift(addr netip.Addr) bool {
	if !d.enabled() {
		return false
	}
	addr = addr.Unmap()
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[addr]
	if p == nil || !d.now().Before(p.bannedUntil) {
		return false
	}
	delete(d.peers, addr)
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

package gateway

import (
	"net/netip"
	"sync"
	"time"
)

// DefenderOptions configure the defender. MaxFailures 0 disables it.
type DefenderOptions struct {
	MaxFailures int           // failed logins within Window that ban an address
	Window      time.Duration // how long a failure counts
	BanTime     time.Duration // how long a ban lasts
}

// maxTracked bounds the addresses the defender remembers.
const maxTracked = 100_000

// Defender bans an address after repeated failed logins, across every
// protocol that shares it.
type Defender struct {
	opts DefenderOptions
	now  func() time.Time

	mu    sync.Mutex
	peers map[netip.Addr]*peer
}

type peer struct {
	failures    []time.Time
	bannedUntil time.Time
}

// NewDefender returns a defender.
func NewDefender(o DefenderOptions) *Defender {
	return &Defender{opts: o, now: time.Now, peers: make(map[netip.Addr]*peer)}
}

func (d *Defender) enabled() bool { return d != nil && d.opts.MaxFailures > 0 }

// Banned reports whether addr is banned now.
func (d *Defender) Banned(addr netip.Addr) bool {
	if !d.enabled() {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[addr.Unmap()]
	return p != nil && d.now().Before(p.bannedUntil)
}

// Fail counts a failed login from addr and reports whether it is now banned.
func (d *Defender) Fail(addr netip.Addr) bool {
	if !d.enabled() {
		return false
	}
	addr = addr.Unmap()
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.peers) >= maxTracked {
		d.prune(now)
	}
	p := d.peers[addr]
	if p == nil {
		if len(d.peers) >= maxTracked {
			return false
		}
		p = &peer{}
		d.peers[addr] = p
	}
	if now.Before(p.bannedUntil) {
		return true
	}
	cutoff := now.Add(-d.opts.Window)
	kept := p.failures[:0]
	for _, t := range p.failures {
		if t.After(cutoff) {
			kept = append(kept, t)
		}
	}
	p.failures = append(kept, now)
	if len(p.failures) >= d.opts.MaxFailures {
		p.bannedUntil = now.Add(d.opts.BanTime)
		p.failures = nil
		return true
	}
	return false
}

// prune forgets addresses with no ban and no recent failure.
func (d *Defender) prune(now time.Time) {
	cutoff := now.Add(-d.opts.Window)
	for a, p := range d.peers {
		recent := len(p.failures) > 0 && p.failures[len(p.failures)-1].After(cutoff)
		if !now.Before(p.bannedUntil) && !recent {
			delete(d.peers, a)
		}
	}
}

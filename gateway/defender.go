package gateway

import (
	"log/slog"
	"net/netip"
	"sync"
	"time"

	"github.com/oaq/custodia/store"
)

// DefenderOptions configure the defender. MaxFailures 0 disables it.
type DefenderOptions struct {
	MaxFailures int           // failed logins within Window that ban an address
	Window      time.Duration // how long a failure counts
	BanTime     time.Duration // how long a ban lasts
	Logger      *slog.Logger  // one WARN line per ban; nil: none
	// Store, when set, holds the failures and bans, so that every
	// gateway over it shares them (defender_shared.go); nil: this
	// process's memory.
	Store *store.Store
}

// maxTracked bounds the addresses the defender remembers.
const maxTracked = 100_000

// Defender bans an address after repeated failed logins, across every
// protocol that shares it, and with a Store across every gateway over
// that store. An IPv6 address counts as its /64 (AddrKey).
type Defender struct {
	opts DefenderOptions
	now  func() time.Time
	log  *slog.Logger

	mu    sync.Mutex
	peers map[netip.Prefix]*peer
}

type peer struct {
	failures    []time.Time
	bannedUntil time.Time
}

// NewDefender returns a defender.
func NewDefender(o DefenderOptions) *Defender {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Defender{opts: o, now: time.Now, log: log, peers: make(map[netip.Prefix]*peer)}
}

func (d *Defender) enabled() bool { return d != nil && d.opts.MaxFailures > 0 }

// Banned reports whether addr is banned now.
func (d *Defender) Banned(addr netip.Addr) bool {
	_, banned := d.BannedUntil(addr)
	return banned
}

// BannedUntil reports whether addr is banned now, and until when.
func (d *Defender) BannedUntil(addr netip.Addr) (time.Time, bool) {
	if !d.enabled() {
		return time.Time{}, false
	}
	if d.opts.Store != nil {
		return d.sharedBannedUntil(addr)
	}
	return d.localBannedUntil(addr)
}

// localBannedUntil is BannedUntil from this process's own table.
func (d *Defender) localBannedUntil(addr netip.Addr) (time.Time, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	p := d.peers[AddrKey(addr)]
	if p == nil || !d.now().Before(p.bannedUntil) {
		return time.Time{}, false
	}
	return p.bannedUntil, true
}

// Fail counts a failed login from addr and reports whether it is now
// banned. The failure that starts a ban logs it, once, at WARN.
func (d *Defender) Fail(addr netip.Addr) bool {
	if !d.enabled() {
		return false
	}
	key := AddrKey(addr)
	var banned, started bool
	var until time.Time
	if d.opts.Store != nil {
		banned, started, until = d.sharedFail(key, d.now())
	} else {
		banned, started, until = d.fail(key, d.now())
	}
	if started {
		d.log.Warn("address banned after failed logins", "remote", addr.Unmap(), "banned", key.String(), "failures", d.opts.MaxFailures,
			"until", until.UTC().Format(time.RFC3339))
	}
	return banned
}

// fail counts the failure; started is true when it starts a ban.
func (d *Defender) fail(key netip.Prefix, now time.Time) (banned, started bool, until time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.peers) >= maxTracked {
		d.prune(now)
	}
	p := d.peers[key]
	if p == nil {
		if len(d.peers) >= maxTracked {
			return false, false, time.Time{}
		}
		p = &peer{}
		d.peers[key] = p
	}
	if now.Before(p.bannedUntil) {
		return true, false, p.bannedUntil
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
		return true, true, p.bannedUntil
	}
	return false, false, time.Time{}
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

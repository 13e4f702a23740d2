package gateway

import (
	"context"
	"net/netip"
	"time"

	"github.com/oaq/custodia/store"
)

// The defender over a store: failures and bans are rows, so a ban made
// by one gateway refuses the address on every gateway over the store at
// its next connection (no cache: the check is one lookup by primary key).
// When the store cannot count a failure (it failed, or stalled past the
// deadline under load, just when an attacker makes it busy), this
// gateway counts it in its own table, as a defender without a store
// does, and a ban there holds on this gateway beside the shared ones, so
// a slow store never lets failures go uncounted. When the ban cannot be
// read, the address counts as not banned unless this gateway's own table
// bans it, and the fault is logged: the login that follows reads the
// account from the same store and fails closed there, so nobody gets in
// without the store, and a passing fault refuses nobody. Attempts with
// no address (the command line's signatures) count together, as in
// memory.

// storeTimeout bounds each of the defender's and the registry's store
// calls.
const storeTimeout = 5 * time.Second

func (d *Defender) rule() store.DefenderRule {
	return store.DefenderRule{Max: d.opts.MaxFailures, Window: d.opts.Window, BanTime: d.opts.BanTime}
}

func (d *Defender) sharedBannedUntil(addr netip.Addr) (time.Time, bool) {
	key := AddrKey(addr)
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	until, banned, err := d.opts.Store.BannedUntil(ctx, key.String(), d.now())
	if err != nil {
		d.log.Warn("defender: ban not checked", "remote", addr.Unmap(), "err", err)
	}
	if local, ok := d.localBannedUntil(addr); ok && (!banned || local.After(until)) {
		return local, true
	}
	return until, banned
}

func (d *Defender) sharedFail(key netip.Prefix, now time.Time) (banned, started bool, until time.Time) {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	banned, started, until, err := d.opts.Store.FailLogin(ctx, key.String(), now, d.rule())
	if err != nil {
		d.log.Warn("defender: failed login counted on this gateway only", "banned", key.String(), "err", err)
		return d.fail(key, now)
	}
	return banned, started, until
}

func (d *Defender) sharedBans() []Ban {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	rows, err := d.opts.Store.Bans(ctx, d.now())
	if err != nil {
		d.log.Warn("defender: bans not listed", "err", err)
	}
	out := make([]Ban, 0, len(rows))
	shared := map[netip.Prefix]bool{}
	for _, r := range rows {
		p, err := netip.ParsePrefix(r.Prefix)
		if err != nil && r.Prefix != (netip.Prefix{}).String() {
			continue
		}
		shared[p] = true
		out = append(out, Ban{Addr: p.Addr(), Prefix: p, Until: r.Until})
	}
	now := d.now()
	d.mu.Lock()
	defer d.mu.Unlock()
	for key, p := range d.peers { // bans this gateway made while the store failed
		if now.Before(p.bannedUntil) && !shared[key] {
			out = append(out, Ban{Addr: key.Addr(), Prefix: key, Until: p.bannedUntil})
		}
	}
	return out
}

func (d *Defender) sharedLift(key netip.Prefix) bool {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	d.mu.Lock()
	p := d.peers[key]
	local := p != nil && d.now().Before(p.bannedUntil)
	delete(d.peers, key)
	d.mu.Unlock()
	lifted, err := d.opts.Store.LiftBan(ctx, key.String(), d.now())
	if err != nil {
		d.log.Warn("defender: ban not lifted", "banned", key.String(), "err", err)
		return local
	}
	return lifted || local
}

// Prune forgets, in the store, failures older than the window and bans
// that ended; the core's heartbeat calls it. Nothing to do in memory,
// where the table prunes itself when full.
func (d *Defender) Prune(ctx context.Context) error {
	if !d.enabled() || d.opts.Store == nil {
		return nil
	}
	return d.opts.Store.PruneDefender(ctx, d.now(), d.opts.Window)
}

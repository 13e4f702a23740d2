package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/netip"
	"time"

	"github.com/oaq/custodia/store"
)

// The registry over a store. Each core is a gateway with an id made at
// its start; it lists each of its sessions as a row and beats a
// heartbeat (Run). Sessions lists this process's sessions from memory
// (the live connection to close stays here) and those of every other
// gateway whose heartbeat is younger than DeadAfter; a gateway that died
// drops out of the list at once and its rows are deleted by the next
// heartbeat of any gateway. A kick of another gateway's session marks
// its row; the owning gateway polls for such marks at every heartbeat and
// ends the session as a local kick does.

// SharedOptions configure the shared registry. Zero values take the
// defaults.
type SharedOptions struct {
	// ID names this gateway among those sharing the store: the same id
	// as its presence lease and its uploads' (server passes the store's
	// ForGateway id). Empty: a random one. One process per id: a start
	// takes the id's rows of an earlier run for dead and removes them.
	ID string
	// Heartbeat is how often Run beats, polls for kicks and reports byte
	// counts: the bound on how long a kick from another gateway takes.
	// Default 1 s.
	Heartbeat time.Duration
	// DeadAfter is how long after its last heartbeat a gateway counts as
	// dead: its sessions are no longer listed, and are deleted. Default
	// 10 s; at least three heartbeats.
	DeadAfter time.Duration
}

// gatewayID is the core's identity in the store.
type gatewayID struct {
	id        string
	started   time.Time
	beat      time.Duration
	deadAfter time.Duration
}

func (r *registry) gateway() string {
	if r.core == nil {
		return ""
	}
	return r.core.gw.id
}

// GatewayID is this gateway's id (SharedOptions.ID): the registry names
// the gateway of each session by it, and /healthz shows it.
func (c *Core) GatewayID() string { return c.gw.id }

func (c *Core) startShared(o SharedOptions) error {
	id := o.ID
	if id == "" {
		var b [8]byte
		rand.Read(b[:])
		id = hex.EncodeToString(b[:])
	}
	c.gw = gatewayID{id: id, started: c.now(), beat: o.Heartbeat, deadAfter: o.DeadAfter}
	if c.gw.beat <= 0 {
		c.gw.beat = time.Second
	}
	if c.gw.deadAfter <= 0 {
		c.gw.deadAfter = 10 * time.Second
	}
	if c.gw.deadAfter < 3*c.gw.beat {
		return fmt.Errorf("gateway: a gateway counts as dead %s after its last heartbeat, less than three heartbeats (%s)",
			c.gw.deadAfter, c.gw.beat)
	}
	if c.st == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if o.ID != "" { // an earlier run under this id left its sessions behind
		if err := c.st.GatewayGone(ctx, id); err != nil {
			return err
		}
	}
	_, err := c.st.Heartbeat(ctx, c.gw.id, c.gw.started, c.now())
	return err
}

// dead is the heartbeat time at or before which a gateway is dead.
func (c *Core) dead() time.Time { return c.now().Add(-c.gw.deadAfter) }

// share lists a new local session in the store.
func (c *Core) share(s *LiveSession) {
	if c.st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	remote := ""
	if s.remote.IsValid() {
		remote = s.remote.String()
	}
	if err := c.st.PutLiveSession(ctx, store.NewLiveSession(c.gw.id, s.id, s.user, s.protocol, remote, s.started)); err != nil {
		c.log.Warn("session not listed for the other gateways", "session", s.id, "err", err)
	}
}

// unshare takes a local session's row out of the store.
func (c *Core) unshare(id string) {
	if c.st == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := c.st.EndLiveSession(ctx, c.gw.id, id); err != nil {
		c.log.Warn("ended session still listed for the other gateways", "session", id, "err", err)
	}
}

// otherSessions lists the live sessions of the other live gateways,
// but for those listed here (local): a browser's session that this
// gateway serves may be another gateway's row too.
func (c *Core) otherSessions(local []SessionInfo) []SessionInfo {
	if c.st == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	rows, err := c.st.LiveSessions(ctx, c.dead())
	if err != nil {
		c.log.Warn("other gateways' sessions not listed", "err", err)
		return nil
	}
	here := make(map[string]bool, len(local))
	for _, l := range local {
		here[l.ID] = true
	}
	var out []SessionInfo
	for _, r := range rows {
		if r.Gateway == c.gw.id || here[r.ID] {
			continue // listed from memory, with its live counts
		}
		remote, _ := netip.ParseAddr(r.Remote)
		out = append(out, SessionInfo{ID: r.ID, User: r.User, Protocol: r.Protocol, Remote: remote,
			Started: r.StartedAt(), BytesIn: r.BytesIn, BytesOut: r.BytesOut, Gateway: r.Gateway, Active: r.ActiveAt()})
	}
	return out
}

// kickElsewhere asks the gateway holding session id to end it.
func (c *Core) kickElsewhere(id string) bool {
	if c.st == nil {
		return false
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	ok, err := c.st.RequestKick(ctx, id, c.now(), c.dead())
	if err != nil {
		c.log.Warn("session not kicked", "session", id, "err", err)
		return false
	}
	return ok
}

// Run beats the gateway's heartbeat every SharedOptions.Heartbeat until
// ctx ends: it ends the local sessions another gateway kicked, reports
// the byte counts of the sessions that moved bytes, deletes the rows of
// dead gateways and prunes the defender's old rows. When ctx ends it
// takes this gateway and its sessions out of the store. Without a store
// it only waits for ctx.
func (c *Core) Run(ctx context.Context) {
	if c.st == nil {
		<-ctx.Done()
		return
	}
	tk := time.NewTicker(c.gw.beat)
	defer tk.Stop()
	for n := 0; ; n++ {
		select {
		case <-ctx.Done():
			gone, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
			defer cancel()
			if err := c.st.GatewayGone(gone, c.gw.id); err != nil {
				c.log.Warn("gateway not taken out of the store", "err", err)
			}
			return
		case <-tk.C:
			c.beat(ctx, n%30 == 0)
		}
	}
}

// beat is one heartbeat; prune also prunes the defender's rows.
func (c *Core) beat(parent context.Context, prune bool) {
	ctx, cancel := context.WithTimeout(parent, storeTimeout)
	defer cancel()
	now := c.now()
	revived, err := c.st.Heartbeat(ctx, c.gw.id, c.gw.started, now)
	if err != nil {
		c.log.Warn("heartbeat not recorded", "err", err)
		return
	}
	if revived { // silent long enough to be cleaned: list the sessions again
		c.log.Warn("gateway was taken for dead by the others; listing its sessions again", "sessions", len(c.local()))
		for _, s := range c.local() {
			c.share(s)
			c.sessions.mu.Lock()
			s.reportedIn, s.reportedOut = -1, -1 // and their counts at once
			c.sessions.mu.Unlock()
		}
	}
	if err := c.KickPoll(ctx); err != nil {
		c.log.Warn("kicks not polled", "err", err)
	}
	if err := c.st.RecordActivity(ctx, c.gw.id, now, c.activity(now)); err != nil {
		c.log.Warn("session activity not recorded", "err", err)
	}
	if err := c.st.CleanDeadGateways(ctx, c.dead()); err != nil {
		c.log.Warn("dead gateways not cleaned", "err", err)
	}
	if prune {
		if err := c.defender.Prune(ctx); err != nil {
			c.log.Warn("defender rows not pruned", "err", err)
		}
	}
}

// KickPoll ends the local sessions whose kick another gateway asked for,
// as Kick does; Run calls it at every heartbeat.
func (c *Core) KickPoll(ctx context.Context) error {
	ids, err := c.st.KicksFor(ctx, c.gw.id)
	if err != nil {
		return err
	}
	for _, id := range ids {
		if !c.Kick(id) {
			c.unshare(id) // it ended meanwhile; its row goes all the same
		}
	}
	return nil
}

// local returns the sessions of this process.
func (c *Core) local() []*LiveSession {
	c.sessions.mu.Lock()
	defer c.sessions.mu.Unlock()
	out := make([]*LiveSession, 0, len(c.sessions.m))
	for _, s := range c.sessions.m {
		out = append(out, s)
	}
	return out
}

// activity returns the sessions whose counts moved since the last call
// (only Run calls it), and marks them active at now.
func (c *Core) activity(now time.Time) []store.SessionActivity {
	c.sessions.mu.Lock()
	defer c.sessions.mu.Unlock()
	var out []store.SessionActivity
	for _, s := range c.sessions.m {
		in, o := s.in.Load(), s.out.Load()
		if in == s.reportedIn && o == s.reportedOut {
			continue
		}
		s.reportedIn, s.reportedOut = in, o
		s.active.Store(now.UnixNano())
		out = append(out, store.SessionActivity{ID: s.id, BytesIn: in, BytesOut: o})
	}
	return out
}

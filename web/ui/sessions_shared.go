package ui

import (
	"context"
	"encoding/hex"
	"errors"
	"net/netip"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
)

// Sessions over a store. The store's row is the session: a login writes
// it, every lookup reads it (so a logout, kick or timeout on any gateway
// ends the session everywhere at its next request), and a use marks it
// (at most once a second). The process keeps, for the sessions its
// requests used, what cannot be shared: the context that a kick or
// logout cancels, with the requests in flight. A session this gateway
// did not open is listed in its core's registry when it first serves it
// (so a kick reaches the gateway that serves it); the sweep ends here the
// sessions whose row is gone (ended on another gateway) within
// SweepInterval.

// storeTimeout bounds each store call of a lookup.
const storeTimeout = 5 * time.Second

type shared struct {
	st       *store.Store
	core     *gateway.Core
	protocol string
	log      func(msg string, err error)
}

// NewSharedSessions returns the table of a front end (its protocol:
// "web", "console") whose sessions live in st, shared by every gateway
// over it; core lists in its registry those this process serves. warn
// logs a store failure (a session then lives only here, or a lookup
// finds none).
func NewSharedSessions(c Cookie, st *store.Store, core *gateway.Core, protocol string, idle, max time.Duration,
	warn func(msg string, err error)) *Sessions {
	t := NewSessions(c, idle, max)
	t.shared = &shared{st: st, core: core, protocol: protocol, log: warn}
	return t
}

func hashOf(key [32]byte) string { return hex.EncodeToString(key[:]) }

func addrText(a netip.Addr) string {
	if !a.IsValid() {
		return ""
	}
	return a.String()
}

// store writes a new session's row.
func (t *Sessions) store(s *Session) {
	if t.shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	row := store.NewWebSession(hashOf(s.key), t.cookie.Name, s.ID, s.User, s.Hash, s.CSRF, addrText(s.Remote), s.Start)
	if err := t.shared.st.PutWebSession(ctx, row, maxSessions); err != nil {
		t.shared.log("web session kept by this gateway only", err)
	}
}

// unstore deletes a session's row.
func (t *Sessions) unstore(s *Session) {
	if t.shared == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	if err := t.shared.st.EndWebSession(ctx, hashOf(s.key)); err != nil {
		t.shared.log("ended web session left in the store", err)
	}
}

// forget ends a session in this process only.
func (t *Sessions) forget(key [32]byte) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if s := t.m[key]; s != nil {
		t.endLocked(s)
	}
}

func (t *Sessions) lookupShared(key [32]byte, remote netip.Addr, now time.Time) *Session {
	ctx, cancel := context.WithTimeout(context.Background(), storeTimeout)
	defer cancel()
	sh := t.shared
	row, err := sh.st.WebSessionOf(ctx, t.cookie.Name, hashOf(key))
	if err != nil {
		if !errors.Is(err, store.ErrNotFound) {
			sh.log("web session not looked up", err)
		}
		t.forget(key) // ended elsewhere (or unknown: fail closed)
		return nil
	}
	if now.Sub(row.UsedAt()) > t.idle || now.Sub(row.StartedAt()) > t.max {
		if err := sh.st.EndWebSession(ctx, row.Hash); err != nil {
			sh.log("expired web session left in the store", err)
		}
		t.forget(key)
		return nil
	}
	if row.Remote != addrText(remote) {
		return nil
	}
	if now.Sub(row.UsedAt()) >= time.Second {
		if err := sh.st.TouchWebSession(ctx, row.Hash, now); err != nil {
			sh.log("web session use not recorded", err)
		}
	}
	t.mu.Lock()
	if s := t.m[key]; s != nil {
		s.used = now
		t.mu.Unlock()
		return s
	}
	// First served here: the session opened on another gateway.
	sctx, scancel := context.WithCancel(context.Background())
	s := &Session{key: key, ID: row.Session, User: row.User, Hash: row.PasswordHash, CSRF: row.CSRF, Remote: remote,
		Start: row.StartedAt(), used: now, ctx: sctx, cancel: scancel}
	if len(t.m) >= maxSessions {
		t.dropOldestLocked()
	}
	t.m[key] = s
	t.mu.Unlock()
	live := sh.core.Register(s.ID, s.User, sh.protocol, remote, func() { t.End(s) })
	t.setLive(s, live)
	return s
}

// dropOldestLocked ends here the session least recently used here.
func (t *Sessions) dropOldestLocked() {
	var oldest *Session
	for _, o := range t.m {
		if oldest == nil || o.used.Before(oldest.used) {
			oldest = o
		}
	}
	if oldest != nil {
		t.endLocked(oldest)
	}
}

// sweepShared deletes the expired rows of this front end and ends here
// the sessions whose row is gone.
func (t *Sessions) sweepShared(ctx context.Context, now time.Time) {
	ctx, cancel := context.WithTimeout(ctx, storeTimeout)
	defer cancel()
	left, err := t.shared.st.ExpireWebSessions(ctx, t.cookie.Name, now.Add(-t.idle), now.Add(-t.max))
	if err != nil {
		t.shared.log("web sessions not swept", err)
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for key, s := range t.m {
		if !left[hashOf(key)] {
			t.endLocked(s)
		}
	}
}

package webdav

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/oaq/custodia/gateway"
)

// newCredential registers a session and returns its credential, the way
// a full login does.
func newCredential(core *gateway.Core, c *credCache, id string) *credential {
	remote := netip.MustParseAddr("192.0.2.7")
	ctx, cancel := context.WithCancel(context.Background())
	cr := &credential{key: c.id(id, "password", remote), user: id, ctx: ctx, cancel: cancel}
	cr.live = core.Register(id, id, protocol, remote, func() { c.kick(cr) })
	return cr
}

func listed(core *gateway.Core, id string) bool {
	for _, s := range core.Sessions() {
		if s.ID == id {
			return true
		}
	}
	return false
}

// A WebDAV session lives while its credential is remembered: credTTL
// after its last request, never while a request is in flight.
func TestWebDAVSessionEndsWhenItsCredentialIsForgotten(t *testing.T) {
	t.Parallel()
	core, err := gateway.New(gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := newCredCache()
	now := time.Now()

	idle := newCredential(core, c, "idle")
	c.add(idle, idle.live, now)
	c.release(idle)
	busy := newCredential(core, c, "busy")
	c.add(busy, busy.live, now) // a long PUT, still in flight
	c.sweep(now.Add(credTTL / 2))
	if !listed(core, "idle") || !listed(core, "busy") {
		t.Fatal("a sweep before credTTL ended a session")
	}
	later := now.Add(credTTL + time.Second)
	c.sweep(later)
	if listed(core, "idle") {
		t.Error("a credential unused for credTTL is still a listed session after a sweep")
	}
	if c.acquire(idle.key, later) != nil {
		t.Error("an expired credential is still remembered")
	}
	if !listed(core, "busy") || c.m[busy.key] == nil {
		t.Error("a credential with a request in flight expired")
	}
	c.release(busy)
	c.sweep(later.Add(credTTL + time.Second))
	if listed(core, "busy") {
		t.Error("a credential unused for credTTL after its last request is still listed")
	}

	// A kick forgets the credential and cancels its session's context.
	k := newCredential(core, c, "kicked")
	c.add(k, k.live, now)
	if !core.Kick("kicked") {
		t.Fatal("Kick of a live WebDAV session reported false")
	}
	if k.ctx.Err() == nil || c.acquire(k.key, now) != nil || listed(core, "kicked") {
		t.Error("a kicked credential is still remembered, listed or its context alive")
	}
	c.release(k)

	// A credential kicked before it was remembered is never remembered.
	early := newCredential(core, c, "early")
	core.Kick("early")
	c.add(early, early.live, now)
	if c.acquire(early.key, now) != nil {
		t.Error("a credential kicked during its login was remembered")
	}
	c.release(early)

	// Shutdown ends every session.
	last := newCredential(core, c, "last")
	c.add(last, last.live, now)
	c.release(last)
	c.forgetAll()
	if n := len(core.Sessions()); n != 0 {
		t.Errorf("%d sessions listed after forgetAll, want 0", n)
	}
}

// Register kicks a session at once, from another goroutine, when the
// account cannot be read or is no longer admitted after the password
// check; that kick can come before login holds the session's handle. It
// crashed the server (a nil LiveSession ended) in a soak run, where the
// store was slow. The kick must cancel the session, and the late add must
// neither remember the credential nor leave the session listed.
func TestWebDAVKickBeforeLoginHoldsItsSession(t *testing.T) {
	t.Parallel()
	core, err := gateway.New(gateway.Options{})
	if err != nil {
		t.Fatal(err)
	}
	c := newCredCache()
	remote := netip.MustParseAddr("192.0.2.7")
	ctx, cancel := context.WithCancel(context.Background())
	cr := &credential{key: c.id("early", "password", remote), user: "early", ctx: ctx, cancel: cancel}
	c.kick(cr) // the registry's kill, before Register returned
	if ctx.Err() == nil {
		t.Error("the kick did not cancel the session's requests")
	}
	live := core.Register("early", "early", protocol, remote, func() { c.kick(cr) })
	core.Kick("early") // what the registry did: the entry leaves at once
	c.add(cr, live, time.Now())
	if c.m[cr.key] != nil {
		t.Error("a credential kicked before its login finished is remembered")
	}
	c.release(cr)
	if listed(core, "early") {
		t.Error("a session kicked before its login finished is still listed")
	}
}

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
	c.add(idle, now)
	c.release(idle)
	busy := newCredential(core, c, "busy")
	c.add(busy, now) // a long PUT, still in flight
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
	c.add(k, now)
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
	c.add(early, now)
	if c.acquire(early.key, now) != nil {
		t.Error("a credential kicked during its login was remembered")
	}
	c.release(early)

	// Shutdown ends every session.
	last := newCredential(core, c, "last")
	c.add(last, now)
	c.release(last)
	c.forgetAll()
	if n := len(core.Sessions()); n != 0 {
		t.Errorf("%d sessions listed after forgetAll, want 0", n)
	}
}

package gateway

import (
	"context"
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oaq/custodia/store"
)

// sharedStore is one store that several gateways of a test share.
func sharedStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, name := range []string{"ana", "juan"} {
		if _, err := st.CreateUser(context.Background(), store.NewUser{Name: name, Role: store.RoleStaff,
			Department: "operaciones", PasswordHash: "$argon2id$v=19$m=65536,t=1,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA"}); err != nil {
			t.Fatal(err)
		}
	}
	return st
}

// sharedDefender is a defender over st on clock (three failures within a
// minute ban for ten minutes).
func sharedDefender(st *store.Store, clock *fakeClock) *Defender {
	o := defenderOpts()
	o.Store = st
	return withClock(NewDefender(o), clock)
}

// TestSharedDefenderBanHoldsOnEveryGateway: two defenders over one store
// (two gateways) count failures together, each refuses an address the
// other banned (an IPv6 address as its /64), list the same bans, a lift
// on one lifts it on both, and the ban ends for both at its time.
func TestSharedDefenderBanHoldsOnEveryGateway(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	clock := newClock()
	a, b := sharedDefender(st, clock), sharedDefender(st, clock)
	v4 := netip.MustParseAddr("198.51.100.7")

	if a.Fail(v4) || b.Fail(v4) {
		t.Fatalf("two failures banned %s, want three", v4)
	}
	clock.add(10 * time.Second)
	if !a.Fail(v4) {
		t.Errorf("the third failure (two counted by the other gateway) did not ban %s", v4)
	}
	if !b.Banned(v4) {
		t.Errorf("gateway b does not refuse %s, banned by gateway a", v4)
	}
	if bans := b.Bans(); len(bans) != 1 || bans[0].Addr != v4 || !bans[0].Until.Equal(clock.t.Add(10*time.Minute)) {
		t.Errorf("gateway b lists the bans %+v, want %s until %s", bans, v4, clock.t.Add(10*time.Minute))
	}

	v6 := netip.MustParseAddr("2001:db8:1:2::10")
	for i, d := range []*Defender{a, b, a} {
		d.Fail(netip.MustParseAddr("2001:db8:1:2::" + string(rune('a'+i))))
	}
	if !b.Banned(v6) || !a.Banned(netip.MustParseAddr("2001:db8:1:2:ffff::1")) {
		t.Errorf("three failures from one /64 over two gateways did not ban the /64 on both")
	}
	if a.Banned(netip.MustParseAddr("2001:db8:1:3::10")) {
		t.Errorf("a ban of 2001:db8:1:2::/64 refuses the next /64")
	}

	if !b.Lift(v6) {
		t.Fatalf("gateway b could not lift the ban of %s", v6)
	}
	if a.Banned(v6) {
		t.Errorf("gateway a still refuses %s after gateway b lifted its ban", v6)
	}
	if a.Lift(v6) {
		t.Errorf("a second lift of %s reported true", v6)
	}
	if a.Fail(v6) {
		t.Errorf("one failure after a lift banned %s again: a lift forgets the failures", v6)
	}

	clock.add(10 * time.Minute)
	if a.Banned(v4) || b.Banned(v4) {
		t.Errorf("%s is still refused once its ban time has passed", v4)
	}
	if err := a.Prune(context.Background()); err != nil {
		t.Fatal(err)
	}
	if bans := b.Bans(); len(bans) != 0 {
		t.Errorf("after the ban time the gateways list the bans %+v, want none", bans)
	}
}

// twoCores are two gateways' cores over one store.
func twoCores(t *testing.T, st *store.Store) (*Core, *Core) {
	t.Helper()
	var cs [2]*Core
	for i := range cs {
		c, err := New(Options{Store: st, Shared: SharedOptions{Heartbeat: 50 * time.Millisecond, DeadAfter: 5 * time.Second}})
		if err != nil {
			t.Fatal(err)
		}
		cs[i] = c
	}
	return cs[0], cs[1]
}

// run runs c's heartbeat until the test ends.
func run(t *testing.T, c *Core) context.CancelFunc {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); c.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return cancel
}

func listed(c *Core, id string) (SessionInfo, bool) {
	for _, s := range c.Sessions() {
		if s.ID == id {
			return s, true
		}
	}
	return SessionInfo{}, false
}

// TestSharedRegistryListsAndKicksAcrossGateways: a session held by one
// gateway is listed by the other (with its gateway id and, after a
// heartbeat, its byte counts); a kick from the other gateway leaves the
// list at once and reaches the holder, which runs the session's kill
// once, within a few heartbeats.
func TestSharedRegistryListsAndKicksAcrossGateways(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	a, b := twoCores(t, st)
	run(t, a)
	run(t, b)
	if a.GatewayID() == "" || a.GatewayID() == b.GatewayID() {
		t.Fatalf("gateway ids %q and %q: want two different ids", a.GatewayID(), b.GatewayID())
	}
	var kills atomic.Int32
	remote := netip.MustParseAddr("192.0.2.9")
	s := a.Register("s1", "ana", "sftp", remote, func() { kills.Add(1) })
	defer s.End()
	s.CountIn(1234)

	got, ok := listed(b, "s1")
	if !ok || got.Gateway != a.GatewayID() || got.User != "ana" || got.Protocol != "sftp" || got.Remote != remote {
		t.Fatalf("gateway b lists %+v (found %v), want ana's sftp session from %s held by gateway %s", got, ok, remote, a.GatewayID())
	}
	if !pollFor(10*time.Second, func() bool { got, _ := listed(b, "s1"); return got.BytesIn == 1234 }) {
		t.Errorf("gateway b never saw the session's 1234 bytes in after the holder's heartbeats")
	}

	if !b.Kick("s1") {
		t.Fatal("gateway b's kick of gateway a's session reported false")
	}
	if _, ok := listed(b, "s1"); ok {
		t.Error("a kicked session is still listed by the gateway that kicked it")
	}
	if b.Kick("s1") {
		t.Error("a second kick of the same session reported true")
	}
	if !pollFor(10*time.Second, func() bool { return kills.Load() == 1 }) {
		t.Fatalf("gateway a never ended its session kicked from gateway b (kill ran %d times)", kills.Load())
	}
	if _, ok := listed(a, "s1"); ok {
		t.Error("gateway a still lists its session kicked from gateway b")
	}
	if pollFor(100*time.Millisecond, func() bool { return kills.Load() > 1 }) {
		t.Errorf("the kick ran the session's kill %d times, want once", kills.Load())
	}

	// KickUser reaches every gateway.
	var kills2 atomic.Int32
	s2 := a.Register("s2", "juan", "ftp", remote, func() { kills2.Add(1) })
	defer s2.End()
	if n := b.KickUser("JUAN"); n != 1 {
		t.Errorf("KickUser on gateway b kicked %d sessions, want juan's one on gateway a", n)
	}
	if !pollFor(10*time.Second, func() bool { return kills2.Load() == 1 }) {
		t.Error("a KickUser from gateway b never ended juan's session on gateway a")
	}
}

// TestSharedRegistryForgetsDeadGateway: the sessions of a gateway whose
// heartbeat stopped are no longer listed, and their rows are deleted; a
// gateway that stops takes its rows with it.
func TestSharedRegistryForgetsDeadGateway(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	a, b := twoCores(t, st)
	run(t, b)
	// a never beats after New: it is a gateway that died.
	a.Register("dead1", "ana", "sftp", netip.MustParseAddr("192.0.2.1"), func() {})
	if _, ok := listed(b, "dead1"); !ok {
		t.Fatal("gateway b does not list the session of gateway a while a's heartbeat is fresh")
	}
	if !pollFor(15*time.Second, func() bool { _, ok := listed(b, "dead1"); return !ok }) {
		t.Fatal("gateway b still lists the session of gateway a long after a's heartbeat stopped")
	}
	if !pollFor(15*time.Second, func() bool {
		rows, err := st.LiveSessions(context.Background(), time.Time{})
		return err == nil && len(rows) == 0
	}) {
		t.Error("the dead gateway's session rows were never deleted")
	}
	if b.Kick("dead1") {
		t.Error("a kick of a dead gateway's session reported true")
	}

	c, _ := twoCores(t, st)
	stop := run(t, c)
	c.Register("live1", "ana", "sftp", netip.MustParseAddr("192.0.2.2"), func() {})
	stop()
	if !pollFor(10*time.Second, func() bool { _, ok := listed(b, "live1"); return !ok }) {
		t.Error("a gateway that stopped still has its session listed")
	}
}

// TestSharedRegistryGatewayBackFromSilence: a gateway taken for dead (its
// rows cleaned after a silence, say a stalled database) lists its live
// sessions again, with their counts, at its next heartbeat.
func TestSharedRegistryGatewayBackFromSilence(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	a, b := twoCores(t, st)
	s := a.Register("back1", "ana", "sftp", netip.MustParseAddr("192.0.2.3"), func() {})
	defer s.End()
	s.CountOut(99)
	// Every gateway's heartbeat is older than an hour from now: both are
	// cleaned, as a gateway that outlived a silence would find.
	if err := st.CleanDeadGateways(context.Background(), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, ok := listed(b, "back1"); ok {
		t.Fatal("a cleaned gateway's session is still listed")
	}
	run(t, a)
	run(t, b)
	if !pollFor(15*time.Second, func() bool { got, ok := listed(b, "back1"); return ok && got.BytesOut == 99 }) {
		t.Error("the session of a gateway back from a silence is not listed again, with its 99 bytes out, by the other gateway")
	}
}

// TestSharedRegistryRestartForgetsEarlierRun: a gateway that died and
// starts again under its id (its data dir's) within DeadAfter does not
// list the sessions of its earlier run as live: they ended with it.
func TestSharedRegistryRestartForgetsEarlierRun(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	opts := Options{Store: st, Shared: SharedOptions{ID: "gw-a", Heartbeat: 50 * time.Millisecond, DeadAfter: time.Minute}}
	first, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	first.Register("before1", "ana", "sftp", netip.MustParseAddr("192.0.2.4"), func() {})
	// first dies without a word; the same gateway starts again.
	again, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	if again.GatewayID() != "gw-a" {
		t.Fatalf("GatewayID() = %q, want the configured gw-a", again.GatewayID())
	}
	_, other := twoCores(t, st)
	if _, ok := listed(other, "before1"); ok {
		t.Error("another gateway lists a session of gw-a's earlier run after gw-a started again")
	}
}

// TestSharedDefenderCountsWhenTheStoreFails: failures the store cannot
// count (it failed, or stalled under an attacker's load) are counted by
// the gateway itself, which bans the address, lists the ban and lifts it.
func TestSharedDefenderCountsWhenTheStoreFails(t *testing.T) {
	t.Parallel()
	st := sharedStore(t)
	clock := &fakeClock{t: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)}
	d := sharedDefender(st, clock)
	st.Close() // every store call fails from here on
	addr := netip.MustParseAddr("192.0.2.77")
	for range 3 {
		d.Fail(addr)
	}
	if !d.Banned(addr) {
		t.Fatal("three failures the store could not count left the address unbanned")
	}
	if bans := d.Bans(); len(bans) != 1 || bans[0].Addr != addr {
		t.Errorf("bans listed while the store fails: %+v, want the one this gateway made", bans)
	}
	if !d.Lift(addr) || d.Banned(addr) {
		t.Error("the gateway's own ban was not lifted")
	}
}

package gateway

import (
	"net/netip"
	"slices"
	"sync/atomic"
	"testing"
	"time"
)

func TestSessionRegistry(t *testing.T) {
	t.Parallel()
	c, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	clock := time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC)
	c.now = func() time.Time { return clock }
	remote := netip.MustParseAddr("::ffff:192.0.2.7")
	var kills atomic.Int32
	kill := func() { kills.Add(1) }

	b := c.Register("b", "ana", "ftp", remote, kill)
	a := c.Register("a", "juan", "sftp", remote, kill)
	clock = clock.Add(-time.Minute)
	old := c.Register("z", "carla", "webdav", remote, kill)
	a.CountIn(10)
	a.CountIn(5)
	a.CountOut(7)

	var ids []string
	for _, s := range c.Sessions() {
		ids = append(ids, s.ID)
	}
	if !slices.Equal(ids, []string{"z", "a", "b"}) {
		t.Errorf("Sessions lists %q, want oldest first, then by id: z, a, b", ids)
	}
	if s := c.Sessions()[1]; s.User != "juan" || s.Protocol != "sftp" || s.Remote != remote.Unmap() ||
		s.BytesIn != 15 || s.BytesOut != 7 {
		t.Errorf("the registry lists %+v, want juan over sftp from 192.0.2.7 with 15 bytes in, 7 out", s)
	}

	if c.Kick("nobody") {
		t.Error("Kick of an unknown id reported true")
	}
	if !c.Kick("b") || kills.Load() != 1 {
		t.Errorf("Kick of a live session: kill ran %d times, want 1", kills.Load())
	}
	if c.Kick("b") || kills.Load() != 1 {
		t.Error("a second Kick of the same session reported true or ran kill again")
	}
	b.End() // the front end ends the kicked session as it goes
	old.End()
	old.End()
	if got := len(c.Sessions()); got != 1 {
		t.Errorf("%d sessions listed after a kick and an end, want 1", got)
	}

	// An id registered again replaces the entry; the old handle's End
	// leaves the new one listed.
	again := c.Register("a", "juan", "sftp", remote, kill)
	a.End()
	if len(c.Sessions()) != 1 {
		t.Error("the End of a replaced handle took the new session off the list")
	}
	again.End()
	if len(c.Sessions()) != 0 {
		t.Error("a session is still listed after End")
	}
}

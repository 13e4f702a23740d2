package store

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestLeaseExpiresAndIsTakenOver: two holders over one store; the second
// is refused while the first's lease runs, takes it over once it expired,
// and the first then finds it lost.
func TestLeaseExpiresAndIsTakenOver(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachDB(t, func(t *testing.T, s *Store) {
		var clock atomic.Int64
		clock.Store(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixNano())
		s.now = func() time.Time { return time.Unix(0, clock.Load()) }
		advance := func(d time.Duration) { clock.Add(int64(d)) }

		if err := s.TryLease(ctx, "hook:a", "gw1", time.Minute); err != nil {
			t.Fatalf("gw1 could not take a free lease: %v", err)
		}
		if err := s.TryLease(ctx, "hook:a", "gw2", time.Minute); !errors.Is(err, ErrLeaseHeld) {
			t.Fatalf("gw2 took a lease gw1 holds: err = %v, want ErrLeaseHeld", err)
		}
		if err := s.TryLease(ctx, "hook:b", "gw2", time.Minute); err != nil {
			t.Fatalf("gw2 could not take another name: %v", err)
		}
		if err := s.TryLease(ctx, "hook:b", "gw2", time.Minute); err != nil {
			t.Fatalf("gw2 could not take again a lease it holds: %v", err)
		}
		advance(50 * time.Second)
		if err := s.RenewLease(ctx, "hook:a", "gw1", time.Minute); err != nil {
			t.Fatalf("gw1 could not renew its lease: %v", err)
		}
		advance(50 * time.Second) // 100 s after it was taken, 50 s after the renewal
		if err := s.TryLease(ctx, "hook:a", "gw2", time.Minute); !errors.Is(err, ErrLeaseHeld) {
			t.Fatalf("gw2 took a renewed lease: err = %v, want ErrLeaseHeld", err)
		}
		advance(11 * time.Second) // gw1 stopped renewing: expired
		if err := s.TryLease(ctx, "hook:a", "gw2", time.Minute); err != nil {
			t.Fatalf("gw2 could not take over an expired lease: %v", err)
		}
		if err := s.RenewLease(ctx, "hook:a", "gw1", time.Minute); !errors.Is(err, ErrLeaseLost) {
			t.Fatalf("gw1 renewed a lease taken over by gw2: err = %v, want ErrLeaseLost", err)
		}
		if err := s.ReleaseLease(ctx, "hook:a", "gw1"); err != nil {
			t.Fatal(err)
		}
		ls, err := s.Leases(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if len(ls) != 2 || ls[0].Name != "hook:a" || ls[0].Holder != "gw2" || ls[1].Holder != "gw2" {
			t.Fatalf("leases = %+v, want hook:a and hook:b held by gw2 (gw1's release of a lease it lost is no release)", ls)
		}
		if want := time.Unix(0, clock.Load()).Add(time.Minute); !ls[0].Expires.Equal(want) || !ls[0].Acquired.Equal(time.Unix(0, clock.Load())) {
			t.Fatalf("hook:a acquired %v expires %v, want acquired now and expiring %v", ls[0].Acquired, ls[0].Expires, want)
		}
		if err := s.ReleaseLease(ctx, "hook:a", "gw2"); err != nil {
			t.Fatal(err)
		}
		if err := s.TryLease(ctx, "hook:a", "gw1", time.Minute); err != nil {
			t.Fatalf("gw1 could not take a released lease: %v", err)
		}
	})
}

// TestHoldRenewsAndEndsWhenLost: a held lease is renewed while its work
// runs, so another holder never gets it; when it is taken away the work's
// context ends; release lets the other take it at once.
func TestHoldRenewsAndEndsWhenLost(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachDB(t, func(t *testing.T, s *Store) {
		const ttl = 2 * time.Second // renewals every 500 ms; the hold ends if they stall for 1.5 s
		held, release, err := s.Hold(ctx, "backup:db", "gw1", ttl)
		if err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(2 * ttl)
		for time.Now().Before(deadline) { // bounded: two TTLs of tries by gw2
			if err := s.TryLease(ctx, "backup:db", "gw2", ttl); !errors.Is(err, ErrLeaseHeld) {
				t.Fatalf("gw2 took a lease gw1 holds and renews: err = %v", err)
			}
			if held.Err() != nil {
				t.Fatal("gw1's hold ended while it renewed")
			}
			time.Sleep(ttl / 10)
		}
		release()
		if err := s.TryLease(ctx, "backup:db", "gw2", ttl); err != nil {
			t.Fatalf("gw2 could not take a released lease: %v", err)
		}
		if err := s.ReleaseLease(ctx, "backup:db", "gw2"); err != nil {
			t.Fatal(err)
		}

		held, release, err = s.Hold(ctx, "backup:db", "gw1", ttl)
		if err != nil {
			t.Fatal(err)
		}
		defer release()
		if _, err := s.db.Exec(`UPDATE leases SET holder = 'gw2' WHERE name = 'backup:db'`); err != nil {
			t.Fatal(err)
		}
		select {
		case <-held.Done():
		case <-time.After(10 * ttl):
			t.Fatal("gw1's hold did not end when gw2 took its lease")
		}
	})
}

// TestBackupRunClaimedOnce: the first gateway to claim a job's run due at
// a time gets it; another asking for the same run does not; the next
// scheduled time is a new claim.
func TestBackupRunClaimedOnce(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachDB(t, func(t *testing.T, s *Store) {
		due := time.Date(2026, 3, 1, 1, 30, 0, 0, time.UTC)
		for _, c := range []struct {
			holder, kind string
			due          time.Time
			want         bool
		}{
			{"gw1", "full", due, true},
			{"gw2", "full", due, false},
			{"gw1", "full", due, false},
			{"gw2", "incremental", due, true},
			{"gw2", "full", due.AddDate(0, 0, 1), true},
		} {
			got, err := s.ClaimBackupRun(ctx, "database", c.kind, c.due, c.holder)
			if err != nil || got != c.want {
				t.Errorf("%s claims database %s due %s: %v %v, want %v", c.holder, c.kind, c.due, got, err, c.want)
			}
		}
	})
}

// TestPendingUploadsOfALiveGatewayAreLeftAlone: a gateway starting beside
// another does not settle the uploads the other is putting in place; it
// settles its own previous run's, the command line's, and those of a
// gateway whose presence lease expired.
func TestPendingUploadsOfALiveGatewayAreLeftAlone(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	base := openTest(t)
	var clock atomic.Int64
	clock.Store(time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC).UnixNano())
	base.now = func() time.Time { return time.Unix(0, clock.Load()) }
	gw1, gw2 := base.ForGateway("host1:/srv/custodia"), base.ForGateway("host2:/srv/custodia")
	if err := gw1.TryLease(ctx, PresenceLease("host1:/srv/custodia"), "host1:/srv/custodia", time.Minute); err != nil {
		t.Fatal(err)
	}
	begin := func(s *Store, vpath string) {
		t.Helper()
		if _, err := s.BeginUpload(ctx, AuditEntry{User: "juan", Action: "write", VPath: vpath, SPath: "/dossiers" + vpath}); err != nil {
			t.Fatal(err)
		}
	}
	begin(gw1, "/ACME/gw1.pdf")
	begin(base, "/ACME/cli.pdf")
	begin(gw2, "/ACME/gw2.pdf")
	paths := func(s *Store) string {
		t.Helper()
		ps, err := s.PendingUploads(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, p := range ps {
			out = append(out, p.Entry.VPath)
		}
		return strings.Join(out, " ")
	}
	if got, want := paths(gw2), "/ACME/cli.pdf /ACME/gw2.pdf"; got != want {
		t.Errorf("gw2 beside a live gw1 would settle %q, want %q", got, want)
	}
	if got, want := paths(gw1), "/ACME/gw1.pdf /ACME/cli.pdf /ACME/gw2.pdf"; got != want { // gw2 holds no presence lease
		t.Errorf("gw1 would settle %q, want %q", got, want)
	}
	clock.Add(int64(61 * time.Second)) // gw1 stopped renewing: gone
	if got, want := paths(gw2), "/ACME/gw1.pdf /ACME/cli.pdf /ACME/gw2.pdf"; got != want {
		t.Errorf("gw2 after gw1's presence expired would settle %q, want %q", got, want)
	}
}

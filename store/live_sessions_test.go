package store

import (
	"context"
	"slices"
	"testing"
	"time"
)

// TestKickSurvivesAnotherGatewayListingTheSession: a portal session kicked
// while another gateway starts serving it (and lists it as its own) is
// still kicked there: listing a session again keeps its pending kick.
func TestKickSurvivesAnotherGatewayListingTheSession(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	eachDB(t, func(t *testing.T, s *Store) {
		now := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
		for _, gw := range []string{"gw1", "gw2"} {
			if _, err := s.Heartbeat(ctx, gw, now, now); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.PutLiveSession(ctx, NewLiveSession("gw1", "web1", "ana", "web", "192.0.2.9", now)); err != nil {
			t.Fatal(err)
		}
		if ok, err := s.RequestKick(ctx, "web1", now, now.Add(-time.Minute)); err != nil || !ok {
			t.Fatalf("kick of web1: %v %v", ok, err)
		}
		if err := s.PutLiveSession(ctx, NewLiveSession("gw2", "web1", "ana", "web", "192.0.2.9", now)); err != nil {
			t.Fatal(err)
		}
		ids, err := s.KicksFor(ctx, "gw2")
		if err != nil || !slices.Contains(ids, "web1") {
			t.Errorf("gw2's kicks after it listed the kicked session web1: %v %v, want web1", ids, err)
		}
	})
}

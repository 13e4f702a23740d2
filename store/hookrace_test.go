package store

import (
	"context"
	"errors"
	"testing"
)

// TestHookSkipRacesATryInFlight: an administrator skips the event a hook
// is stuck on while the dispatcher is trying it once more. If that try
// then fails, the cursor (already past the event) shows no failure and a
// second skip finds nothing; if it succeeds, the event was delivered and
// its dead letter goes, so a retry cannot send it twice.
func TestHookSkipRacesATryInFlight(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		if _, err := s.HookCursor(ctx, "notify"); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{"/ACME/a.pdf", "/ACME/b.pdf"} {
			if err := s.Audit(ctx, upload("juan", p)); err != nil {
				t.Fatal(err)
			}
		}
		evs, err := s.EventsAfter(ctx, 0, 10)
		if err != nil || len(evs) != 2 {
			t.Fatalf("the outbox holds %+v, %v; want two uploads", evs, err)
		}
		first, second := evs[0].Seq, evs[1].Seq
		cursor := func() HookCursor {
			t.Helper()
			c, err := s.HookCursor(ctx, "notify")
			if err != nil {
				t.Fatal(err)
			}
			return c
		}

		// The try in flight fails after the skip.
		if err := s.HookFailed(ctx, "notify", first, "timeout"); err != nil {
			t.Fatal(err)
		}
		if seq, err := s.HookSkip(ctx, "notify"); err != nil || seq != first {
			t.Fatalf("skip: %d, %v; want event %d", seq, err, first)
		}
		if err := s.HookFailed(ctx, "notify", first, "timeout again"); err != nil { // the try that was in flight
			t.Fatal(err)
		}
		if c := cursor(); c.LastID != first || c.Attempts != 0 || c.LastError != "" || c.Failures != 2 {
			t.Errorf("after a skipped event's late failure the cursor is %+v: want at %d with no failing try shown, "+
				"and both failures counted", c, first)
		}
		if seq, err := s.HookSkip(ctx, "notify"); !errors.Is(err, ErrNotFound) {
			t.Errorf("a second skip of the same event: %d, %v; want ErrNotFound", seq, err)
		}

		// The try in flight succeeds after the skip.
		if err := s.HookFailed(ctx, "notify", second, "timeout"); err != nil {
			t.Fatal(err)
		}
		if seq, err := s.HookSkip(ctx, "notify"); err != nil || seq != second {
			t.Fatalf("skip: %d, %v; want event %d", seq, err, second)
		}
		if err := s.HookDelivered(ctx, "notify", second); err != nil { // the try that was in flight
			t.Fatal(err)
		}
		ds, err := s.DeadLetters(ctx, "notify")
		if err != nil {
			t.Fatal(err)
		}
		if len(ds) != 1 || ds[0].Seq != first {
			t.Errorf("dead letters %+v: want only event %d; %d was delivered", ds, first, second)
		}
		if err := s.RetryDeadLetter(ctx, "notify", second); !errors.Is(err, ErrNotFound) {
			t.Errorf("a retry of the delivered event %d: %v; want ErrNotFound (it would be sent twice)", second, err)
		}
		if c := cursor(); c.LastID != second || c.Attempts != 0 || c.LastError != "" {
			t.Errorf("after the late delivery the cursor is %+v, want at %d with nothing failing", c, second)
		}
	})
}

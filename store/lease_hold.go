package store

import (
	"context"
	"errors"
	"time"
)

// Hold takes the lease name for holder (ErrLeaseHeld when another process
// holds it) and keeps it while the work runs: it renews it every quarter
// of ttl. The returned context ends when the lease is lost: taken over,
// or not renewed for three quarters of ttl (a stalled database), so that
// the work stops a quarter of ttl before another process may take over.
// It ends too when release is called; release stops the renewal and
// gives the lease up; call it once.
func (s *Store) Hold(ctx context.Context, name, holder string, ttl time.Duration) (held context.Context, release func(), err error) {
	at := s.now()
	if err := s.TryLease(ctx, name, holder, ttl); err != nil {
		return nil, nil, err
	}
	held, cancel := context.WithCancel(ctx)
	margin := ttl / 4
	// Work stops at the latest a margin before the lease's expiry, counted
	// from the start of the last renewal that succeeded (a renewal that
	// hangs past it does not extend the work).
	expiry := time.AfterFunc(at.Add(ttl-margin).Sub(s.now()), cancel)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		t := time.NewTicker(margin)
		defer t.Stop()
		for {
			select {
			case <-held.Done():
				return
			case <-t.C:
			}
			at := s.now()
			err := s.RenewLease(held, name, holder, ttl)
			if errors.Is(err, ErrLeaseLost) {
				return
			}
			if err == nil && held.Err() == nil {
				expiry.Reset(at.Add(ttl - margin).Sub(s.now()))
			}
		}
	}()
	release = func() {
		cancel()
		<-done
		expiry.Stop()
		s.ReleaseLease(context.WithoutCancel(ctx), name, holder) // if it fails, the lease expires
	}
	return held, release, nil
}

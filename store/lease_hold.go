package store

import (
	"context"
	"errors"
	"time"
)

// Hold takes the lease name for holder (ErrLeaseHeld when another process
// holds it) and keeps it while the work runs: it renews it every quarter
// of ttl. The returned context ends when the lease is lost (taken over,
// or not renewed in time: then the work must stop, since another process
// may take over) or when release is called. release stops the renewal and
// gives the lease up; call it once.
func (s *Store) Hold(ctx context.Context, name, holder string, ttl time.Duration) (held context.Context, release func(), err error) {
	at := s.now()
	if err := s.TryLease(ctx, name, holder, ttl); err != nil {
		return nil, nil, err
	}
	held, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer cancel()
		valid := at.Add(ttl) // the lease is ours at least until then
		t := time.NewTicker(ttl / 4)
		defer t.Stop()
		for {
			select {
			case <-held.Done():
				return
			case <-t.C:
			}
			at := s.now()
			err := s.RenewLease(held, name, holder, ttl)
			switch {
			case err == nil:
				valid = at.Add(ttl)
			case errors.Is(err, ErrLeaseLost):
				return
			case !s.now().Add(ttl / 4).Before(valid): // the next try would come after it expired
				return
			}
		}
	}()
	release = func() {
		cancel()
		<-done
		s.ReleaseLease(context.WithoutCancel(ctx), name, holder)
	}
	return held, release, nil
}

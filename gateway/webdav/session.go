package webdav

import (
	"context"
	"time"
)

// sweep forgets expired credentials every sweepEvery until stop closes or
// ctx ends.
func (s *Server) sweep(ctx context.Context, stop <-chan struct{}) {
	t := time.NewTicker(sweepEvery)
	defer t.Stop()
	for {
		select {
		case now := <-t.C:
			s.creds.sweep(now)
		case <-stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

package webdav

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/oaq/custodia/gateway"
)

// errKicked is the cause of a request context cancelled by a kick.
var errKicked = errors.New("session kicked")

// bindSession derives a request's context from its session's: when the
// session is kicked, the request's context is cancelled with errKicked and
// its connection is closed, so that a body still arriving (a PUT, which is
// then discarded) or a response still leaving fails at once, and the
// connection is never used again. (Cutting it with past deadlines instead
// left a kept-alive connection whose own context net/http had cancelled
// when its background read failed: the client's next request on it, a new
// login, failed with "context canceled".) unbind detaches the request;
// once it returns, a kick no longer touches the connection.
func bindSession(req, session context.Context, w http.ResponseWriter) (ctx context.Context, unbind func()) {
	ctx, cancel := context.WithCancelCause(req)
	var mu sync.Mutex
	detached := false
	stop := context.AfterFunc(session, func() {
		mu.Lock()
		defer mu.Unlock()
		if detached {
			return
		}
		cancel(errKicked)
		if c := gateway.ConnOf(req); c != nil {
			c.Close()
			return
		}
		rc := http.NewResponseController(w)
		past := time.Unix(1, 0)
		rc.SetReadDeadline(past)
		rc.SetWriteDeadline(past)
	})
	return ctx, func() {
		stop()
		mu.Lock()
		detached = true
		mu.Unlock()
		cancel(nil)
	}
}

// kicked reports whether ctx was cancelled by a kick of its session.
func kicked(ctx context.Context) bool { return errors.Is(context.Cause(ctx), errKicked) }

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

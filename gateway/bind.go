package gateway

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"
)

// ErrSessionEnded is the cause of a request context cancelled because its
// session was kicked or logged out (BindSession).
var ErrSessionEnded = errors.New("session ended (kicked or logged out)")

// BindSession derives an HTTP request's context from its session's: when
// the session ends, the request's context is cancelled with
// ErrSessionEnded and its connection is closed, so a body still arriving
// or a response still leaving fails at once and the connection is never
// used again. (Cutting it with past deadlines instead left a kept-alive
// connection whose own context net/http had cancelled when its background
// read failed: the client's next request on it, a new login, failed with
// "context canceled".) Without a connection in its context (not served by
// HTTPServer), the request's reads and writes are cut short instead.
// unbind detaches the request; it must run before the handler returns.
func BindSession(req, session context.Context, w http.ResponseWriter) (ctx context.Context, unbind func()) {
	ctx, cancel := context.WithCancelCause(req)
	var mu sync.Mutex
	detached := false
	stop := context.AfterFunc(session, func() {
		mu.Lock()
		defer mu.Unlock()
		if detached {
			return
		}
		cancel(ErrSessionEnded)
		if c := ConnOf(req); c != nil {
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

// SessionEnded reports whether ctx was cancelled because its session
// ended (BindSession).
func SessionEnded(ctx context.Context) bool {
	return errors.Is(context.Cause(ctx), ErrSessionEnded)
}

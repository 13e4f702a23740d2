package gateway

import (
	"context"
	"net"
)

// connKey is the context key of the connection a request arrived on.
type connKey struct{}

// WithConn returns ctx carrying the connection c that its request
// arrived on: a successful Login or Reverify under it tells the limits
// that c logged in (LoggedIn). HTTPServer sets it for every connection.
func WithConn(ctx context.Context, c net.Conn) context.Context {
	return context.WithValue(ctx, connKey{}, c)
}

// ConnOf returns the connection a request arrived on (WithConn), nil when
// its context carries none.
func ConnOf(ctx context.Context) net.Conn {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	return c
}

// loggedInCtx reports the login of the connection ctx carries, if any;
// false when that connection had already given up its slot (LoggedIn).
func loggedInCtx(ctx context.Context) bool {
	if c, ok := ctx.Value(connKey{}).(net.Conn); ok {
		return LoggedIn(c)
	}
	return true
}

// checkingCtx marks the connection ctx carries, if any, as having its
// login checked, so that it is not evicted for a newcomer meanwhile; done
// ends the mark.
func checkingCtx(ctx context.Context) (done func()) {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	lc := limitedOf(c)
	if lc == nil {
		return func() {}
	}
	lc.lim.checking(lc.slot, true)
	return func() { lc.lim.checking(lc.slot, false) }
}

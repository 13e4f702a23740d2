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

// loggedInCtx reports the login of the connection ctx carries, if any.
func loggedInCtx(ctx context.Context) {
	if c, ok := ctx.Value(connKey{}).(net.Conn); ok {
		LoggedIn(c)
	}
}

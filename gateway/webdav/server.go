// Package webdav serves the storage view over WebDAV (x/net/webdav) for
// the departments' mapped drives: HTTPS with Basic authentication, one
// lock table for the whole server, every request authorized before the
// WebDAV handler runs.
package webdav

import (
	"context"
	"crypto/tls"
	"log"
	"log/slog"
	"net"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
)

// protocol names WebDAV in audit rows and logins.
const protocol = "webdav"

// Options configure a Server.
type Options struct {
	Core *gateway.Core
	// Store holds the lock table, which every gateway sharing it honours.
	Store        *store.Store
	TLS          *tls.Config // nil: plain HTTP, for a TLS-terminating reverse proxy
	DesktopFiles DesktopPolicy
	IdleTimeout  time.Duration // keep-alive connections idle this long are closed
	// ReadTimeout bounds every network read: a request's headers must
	// arrive within it, and a body must bring bytes within it (the
	// deadline moves on as they arrive, so a slow upload that keeps
	// sending goes on).
	ReadTimeout time.Duration
	Logger      *slog.Logger
}

// Server is the WebDAV front end. Its lock table and remembered
// credentials (its sessions, see credTTL) outlive requests and
// connections.
type Server struct {
	o     Options
	log   *slog.Logger
	creds *credCache
	locks *locks
	http  *gateway.HTTPServer
}

// New returns a server; Serve starts it.
func New(o Options) *Server {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.DesktopFiles == "" {
		o.DesktopFiles = DesktopDiscard
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 2 * time.Minute
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	s := &Server{o: o, log: o.Logger, creds: newCredCache(), locks: newLocks(o.Store)}
	s.http = gateway.NewHTTPServer(gateway.HTTPOptions{
		Handler:           secureHeaders(s),
		TLS:               o.TLS,
		ReadHeaderTimeout: o.ReadTimeout,
		BodyReadTimeout:   o.ReadTimeout,
		IdleTimeout:       o.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(slogWriter{o.Logger}, "", 0),
	})
	return s
}

// Serve accepts connections on ln until Shutdown; requests run under ctx.
// Banned addresses and connections over the limits are closed before TLS.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop, swept := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(swept)
		s.sweep(ctx, stop)
	}()
	defer func() {
		close(stop)
		<-swept
	}()
	return s.http.Serve(ctx, s.o.Core.Listener(ln, nil))
}

// Shutdown stops accepting, lets requests in flight finish until ctx
// ends, then closes what is left and ends every session.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.creds.forgetAll()
	return err
}

// Addr returns the listening address, once Serve runs.
func (s *Server) Addr() net.Addr { return s.http.Addr() }

// slogWriter sends net/http's own messages (TLS handshake errors) to the
// server's log at debug level.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Debug("webdav http", "msg", string(p))
	return len(p), nil
}

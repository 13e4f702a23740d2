package gateway

import (
	"context"
	"crypto/tls"
	"errors"
	"log"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"time"
)

// HTTPOptions configure an HTTPServer. A zero timeout is no timeout, as in
// net/http; each front end sets its own.
type HTTPOptions struct {
	Handler           http.Handler
	TLS               *tls.Config // nil: plain HTTP
	ReadHeaderTimeout time.Duration
	ReadTimeout       time.Duration
	WriteTimeout      time.Duration
	IdleTimeout       time.Duration // keep-alive connections idle this long are closed
	// BodyReadTimeout bounds each read of a request body: the body must
	// bring bytes within it, and the deadline moves on as they arrive, so
	// a slow upload that keeps sending goes on while a stalled one (or a
	// body announced and never sent) ends. The body a handler leaves
	// unread (net/http discards it after the reply) has no more than this.
	BodyReadTimeout time.Duration
	MaxHeaderBytes  int
	ErrorLog        *log.Logger // net/http's own messages; nil: the log package
}

// HTTPServer is the lifecycle of a front end over net/http (admin API,
// WebDAV): Serve, Shutdown, Addr.
type HTTPServer struct {
	http *http.Server
	tls  *tls.Config

	mu sync.Mutex
	ln net.Listener
}

// NewHTTPServer returns a server; Serve starts it.
func NewHTTPServer(o HTTPOptions) *HTTPServer {
	h := o.Handler
	if o.BodyReadTimeout > 0 {
		h = bodyDeadlines(h, o.BodyReadTimeout)
	}
	return &HTTPServer{
		http: &http.Server{
			Handler:           h,
			ConnContext:       WithConn,
			ReadHeaderTimeout: o.ReadHeaderTimeout,
			ReadTimeout:       o.ReadTimeout,
			WriteTimeout:      o.WriteTimeout,
			IdleTimeout:       o.IdleTimeout,
			MaxHeaderBytes:    o.MaxHeaderBytes,
			ErrorLog:          o.ErrorLog,
		},
		tls: o.TLS,
	}
}

// Serve accepts connections on ln (over TLS when configured) until
// Shutdown, and then returns nil; requests run under ctx. After Shutdown
// it returns nil at once.
func (s *HTTPServer) Serve(ctx context.Context, ln net.Listener) error {
	s.mu.Lock()
	s.ln = ln
	s.mu.Unlock()
	s.http.BaseContext = func(net.Listener) context.Context { return ctx }
	if s.tls != nil {
		ln = tls.NewListener(ln, s.tls)
	}
	if err := s.http.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops accepting and lets requests in flight finish until ctx
// ends; then it closes every connection and returns ctx's error.
func (s *HTTPServer) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	if err != nil {
		s.http.Close()
	}
	return err
}

// Addr returns the listening address, once Serve runs.
func (s *HTTPServer) Addr() net.Addr {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return nil
	}
	return s.ln.Addr()
}

// RemoteOf is the address an HTTP request came from (IPv4-mapped
// addresses unmapped), or the zero Addr when RemoteAddr is not an
// address (never so for a request this package's servers accept).
func RemoteOf(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

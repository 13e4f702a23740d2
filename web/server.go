// Package web is the portal: server-rendered pages over HTTPS where
// clients, correspondents, staff and managers log in with their custodia
// account and work on the same storage view as over SFTP. It adds no rule
// of its own: logins go through gateway.Core (defender, hash pool, audit,
// session registry), every file operation through storage.View.
//
// It is built on package web/ui, which it shares with the admin console:
// the session table and cookie, CSRF checks, the security headers and
// Content-Security-Policy, the page renderer and the catalogues.
package web

import (
	"context"
	"crypto/tls"
	"log"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/ui"
)

// protocol names the portal in audit rows, logins and the session list.
const protocol = "web"

// Options configure a Server.
type Options struct {
	Core *gateway.Core
	TLS  *tls.Config // the shared certificate; required: the session cookie is Secure
	// IdleTimeout ends a session unused this long; MaxSession ends it
	// this long after its login, used or not.
	IdleTimeout time.Duration
	MaxSession  time.Duration
	// ReadTimeout bounds every network read: a request's headers must
	// arrive within it, and a body must bring bytes within it.
	ReadTimeout time.Duration
	// Uploads, when not nil, serves /uploads/ for logged-in sessions (the
	// resumable uploads). A request reaches it only from a live session,
	// from a page of this origin, and, unless it is a GET, HEAD or
	// OPTIONS, with the session's CSRF token in the header ui.CSRFHeader
	// (pages carry it in <meta name="csrf-token">); its context carries
	// the session's view (ViewOf) and user (UserOf).
	Uploads http.Handler
	// Store, when not nil, serves the upload pages (/u/…) and the
	// receipts of their batches (letter.ReceiptFor reads the audit
	// trail); Organization heads the receipts.
	Store        *store.Store
	Organization string
	Logger       *slog.Logger

	// Restores, when not nil, serves managers the restore requests that
	// wait for their approval (/approvals).
	Restores Restores
}

// Server is the portal front end.
type Server struct {
	o        Options
	log      *slog.Logger
	sessions *ui.Sessions
	pages    *ui.Pages
	http     *gateway.HTTPServer
}

// New returns a server; Serve starts it.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 15 * time.Minute
	}
	if o.MaxSession <= 0 {
		o.MaxSession = 8 * time.Hour
	}
	if o.ReadTimeout <= 0 {
		o.ReadTimeout = 30 * time.Second
	}
	pg, err := newPages(o.Logger)
	if err != nil {
		return nil, err
	}
	s := &Server{o: o, log: o.Logger, sessions: ui.NewSessions(portalCookie, o.IdleTimeout, o.MaxSession), pages: pg}
	if o.Store != nil { // every gateway over the store knows the portal's sessions
		s.sessions = ui.NewSharedSessions(portalCookie, o.Store, o.Core, protocol, o.IdleTimeout, o.MaxSession,
			func(msg string, err error) { o.Logger.Warn(msg, "proto", protocol, "err", err) })
	}
	s.http = gateway.NewHTTPServer(gateway.HTTPOptions{
		Handler:           ui.SecureHeaders(s.routes()),
		TLS:               o.TLS,
		ReadHeaderTimeout: o.ReadTimeout,
		BodyReadTimeout:   o.ReadTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          log.New(slogWriter{o.Logger}, "", 0),
	})
	return s, nil
}

// routes maps the portal's paths to handlers.
func (s *Server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", Assets())
	mux.HandleFunc("GET /login", s.loginPage)
	mux.HandleFunc("POST /login", s.login)
	mux.Handle("POST /logout", s.authed(s.logout))
	mux.Handle("GET /{$}", http.RedirectHandler("/f/", http.StatusSeeOther))
	mux.Handle("GET /f/{path...}", s.authed(s.browse))
	mux.Handle("GET /d/{path...}", s.authed(s.download))
	mux.Handle("GET /approvals", s.authed(s.approvals))
	mux.Handle("POST /approvals/{id}", s.authed(s.decide))
	mux.Handle("POST /zip", s.authed(s.zip))
	mux.Handle("POST /mkdir/{path...}", s.authed(s.mkdir))
	mux.Handle("GET /rename/{path...}", s.authed(s.renamePage))
	mux.Handle("POST /rename/{path...}", s.authed(s.rename))
	mux.Handle("GET /delete/{path...}", s.authed(s.deletePage))
	mux.Handle("POST /delete/{path...}", s.authed(s.delete))
	if s.o.Uploads != nil {
		mux.Handle("/uploads/", s.authed(func(w http.ResponseWriter, r *http.Request, q *request) {
			if !ui.SameOrigin(r) || !ui.SafeMethod(r.Method) && !ui.ValidToken(r.Header.Get(ui.CSRFHeader), q.s.CSRF) {
				s.forbidden(w, r)
				return
			}
			s.o.Uploads.ServeHTTP(w, r)
		}))
	}
	if s.o.Store != nil {
		mux.Handle("GET /u/{path...}", s.authed(s.upload))
		mux.Handle("POST /u/{path...}", s.authed(s.uploadForm))
		mux.Handle("POST /receipt", s.authed(s.receiptForm))
		mux.Handle("GET /receipt.pdf", s.authed(s.receiptPDF))
	}
	mux.HandleFunc("/", s.notFound)
	return mux
}

// Serve accepts connections on ln until Shutdown; requests run under ctx.
// Banned addresses and connections over the limits are closed before TLS,
// and a connection that does not log in (or bring a live session) within
// the login deadline is closed.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop, swept := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(swept)
		s.sessions.Sweep(ctx, stop, ui.SweepInterval)
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
	s.sessions.EndAll()
	return err
}

// Addr returns the listening address, once Serve runs.
func (s *Server) Addr() net.Addr { return s.http.Addr() }

// slogWriter sends net/http's own messages (TLS handshake errors) to the
// server's log at debug level.
type slogWriter struct{ l *slog.Logger }

func (w slogWriter) Write(p []byte) (int, error) {
	w.l.Debug("web http", "msg", string(p))
	return len(p), nil
}

// Package admin is the HTTP JSON API the systems team runs custodia with:
// users, client accounts, policies, live sessions, the audit log,
// credential letters, upload receipts, defender bans, hooks, backups and restore requests
// under /api/v1, plus /healthz, /readyz and /metrics, and the admin
// console's pages under /admin/ (console_*.go). Only admins may use them.
package admin

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/account"
	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/letter"
	"github.com/oaq/custodia/store"
)

// protocol names the API in audit rows and logins.
const protocol = "admin"

// Options configure the API.
type Options struct {
	Store       *store.Store
	Core        *gateway.Core
	Enforcer    *authz.Enforcer
	Departments []string
	TLS         *tls.Config // nil: plain HTTP, allowed on loopback only (cmd checks)
	Metrics     http.Handler
	Ready       func(context.Context) error // nil when ready
	// Organization heads credential letters; Letters are the ways into the
	// server they name, with host as every address's host ("": the
	// configured public_host, or this machine's name; letter.ErrHost when
	// clients could not reach it).
	Organization string
	Letters      func(host string) (letter.Endpoints, error)
	// AddClientFolders creates a new client account's folders.
	AddClientFolders func(id string) error
	TokenTTL         time.Duration // a login's bearer token; 0 means an hour
	Backups          Backups       // restore requests and approvals
	// ConsoleIdle ends a console session unused this long; ConsoleMax
	// ends it this long after its login, used or not (the portal's
	// web.idle_timeout and web.max_session).
	ConsoleIdle, ConsoleMax time.Duration
	Logger                  *slog.Logger
}

// Backups is the backup runner as the API and the console use it
// (backup.Runner, adapted by the server): restore requests and managers'
// approvals, the jobs, a run started now, a verification.
type Backups interface {
	Request(ctx context.Context, id, prefix, reason, requester, filedBy string) (store.RestoreRequest, error)
	Approve(ctx context.Context, id string, approver *store.User) (store.RestoreRequest, error)
	Reject(ctx context.Context, id string, by store.RestoreActor, note string) (store.RestoreRequest, error)
	Cancel(ctx context.Context, id string, by store.RestoreActor, note string) (store.RestoreRequest, error)
	// Jobs are the configured jobs, in the configuration's order.
	Jobs() []BackupJob
	// Start begins a run of job (kind "full" or "incremental") and returns
	// its backup, running, without waiting for the run; while the job runs
	// it fails with store.ErrBackupBusy, without recipients with
	// store.ErrBackupsOff.
	Start(ctx context.Context, job, kind string) (store.Backup, error)
	// Verify decrypts backup id with ids and checks its checksum and every
	// file against its manifest; the runner audits the outcome.
	Verify(ctx context.Context, id string, ids []age.Identity) (Verified, error)
}

// BackupJob is a configured backup job.
type BackupJob struct {
	Name, Source                       string
	Full, Incremental                  string // cron expressions; "" for none
	KeepDaily, KeepMonthly, KeepYearly int    // retention
}

// Verified is what a verification read: the archive's files and their
// bytes, and how many paths an incremental deletes.
type Verified struct {
	Files, Bytes int64
	Deleted      int
}

// Server is the admin API.
type Server struct {
	o      Options
	log    *slog.Logger
	http   *gateway.HTTPServer
	now    func() time.Time
	logins chan struct{} // argon2id checks running at once
	// accounts is the one way accounts change, as from the command line.
	accounts *account.Service
	console  *console // the pages under /admin/
}

// route is one endpoint; the OpenAPI document lists exactly these.
type route struct {
	method, pattern string
	public          bool // no bearer token needed
	h               func(w http.ResponseWriter, r *http.Request, c *caller) error
}

func (s *Server) routes() []route {
	return []route{
		{"GET", "/healthz", true, s.healthz},
		{"GET", "/readyz", true, s.readyz},
		{"GET", "/metrics", true, s.metrics},
		{"GET", "/api/v1/openapi.json", true, s.openapi},
		{"POST", "/api/v1/login", true, s.login},
		{"POST", "/api/v1/logout", false, s.logout},
		{"GET", "/api/v1/keys", false, s.listKeys},
		{"POST", "/api/v1/keys", false, s.createKey},
		{"DELETE", "/api/v1/keys/{id}", false, s.revokeKey},
		{"GET", "/api/v1/users", false, s.listUsers},
		{"POST", "/api/v1/users", false, s.createUser},
		{"GET", "/api/v1/users/{name}", false, s.getUser},
		{"PATCH", "/api/v1/users/{name}", false, s.updateUser},
		{"DELETE", "/api/v1/users/{name}", false, s.deleteUser},
		{"POST", "/api/v1/users/{name}/keys", false, s.addUserKey},
		{"DELETE", "/api/v1/users/{name}/keys/{fingerprint}", false, s.removeUserKey},
		{"POST", "/api/v1/users/{name}/password", false, s.resetPassword},
		{"POST", "/api/v1/users/{name}/letter", false, s.letter},
		{"GET", "/api/v1/users/{name}/receipt", false, s.receipt},
		{"GET", "/api/v1/clients", false, s.listClients},
		{"POST", "/api/v1/clients", false, s.createClient},
		{"PATCH", "/api/v1/clients/{id}", false, s.updateClient},
		{"GET", "/api/v1/clients/{id}/downloads", false, s.clientDownloads},
		{"GET", "/api/v1/policies", false, s.listPolicies},
		{"POST", "/api/v1/policies", false, s.addPolicy},
		{"DELETE", "/api/v1/policies", false, s.removePolicy},
		{"POST", "/api/v1/policies/explain", false, s.explain},
		{"GET", "/api/v1/sessions", false, s.listSessions},
		{"DELETE", "/api/v1/sessions/{id}", false, s.kickSession},
		{"GET", "/api/v1/audit", false, s.queryAudit},
		{"GET", "/api/v1/bans", false, s.listBans},
		{"DELETE", "/api/v1/bans/{addr}", false, s.liftBan},
		{"GET", "/api/v1/hooks", false, s.listHooks},
		{"GET", "/api/v1/hooks/{name}/dead-letters", false, s.listDeadLetters},
		{"POST", "/api/v1/hooks/{name}/skip", false, s.skipHook},
		{"POST", "/api/v1/hooks/{name}/dead-letters/{seq}/retry", false, s.retryDeadLetter},
		{"GET", "/api/v1/backups", false, s.listBackups},
		{"GET", "/api/v1/restores", false, s.listRestores},
		{"POST", "/api/v1/restores", false, s.requestRestore},
		{"POST", "/api/v1/restores/{id}/approve", false, s.approveRestore},
		{"POST", "/api/v1/restores/{id}/reject", false, s.rejectRestore},
		{"POST", "/api/v1/restores/{id}/cancel", false, s.cancelRestore},
	}
}

// New returns the API and the console; Serve starts them.
func New(o Options) (*Server, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.TokenTTL <= 0 {
		o.TokenTTL = time.Hour
	}
	if o.ConsoleIdle <= 0 {
		o.ConsoleIdle = 15 * time.Minute
	}
	if o.ConsoleMax <= 0 {
		o.ConsoleMax = 8 * time.Hour
	}
	s := &Server{o: o, log: o.Logger, now: time.Now, logins: make(chan struct{}, maxLogins),
		accounts: &account.Service{Store: o.Store}}
	if o.Core != nil {
		s.accounts.Sessions = o.Core
	}
	if o.Enforcer != nil {
		s.accounts.Rules = o.Enforcer
	}
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.method+" "+rt.pattern, s.handle(rt))
	}
	var err error
	if s.console, err = newConsole(s); err != nil {
		return nil, err
	}
	mux.Handle(ConsolePrefix, s.console)
	mux.Handle("/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.writeProblem(w, r, fail(http.StatusNotFound, "", "no such endpoint: %s %s", r.Method, r.URL.Path))
	}))
	s.http = gateway.NewHTTPServer(gateway.HTTPOptions{
		Handler: mux, TLS: o.TLS, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: 5 * time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 32 << 10,
	})
	return s, nil
}

// handle authenticates a route's request (unless public) and answers its
// error as a problem.
func (s *Server) handle(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// A banned address cannot log in (the gateway's login refuses it),
		// but a valid token still works from it: an admin behind the same
		// NAT as an attacker must be able to lift the ban.
		remote := gateway.RemoteOf(r)
		c := &caller{remote: remote}
		// Beyond loopback the metrics are for authenticated scrapers (an
		// API key as bearer token); on loopback a token sent is checked
		// all the same.
		public := rt.public && !(rt.pattern == "/metrics" && (s.o.TLS != nil || r.Header.Get("Authorization") != ""))
		if !public {
			var err error
			if c, err = s.authenticate(r, remote); err == nil {
				err = inScope(rt, c)
			}
			if err != nil {
				if ae := (*apiError)(nil); errors.As(err, &ae) && ae.status == http.StatusUnauthorized {
					w.Header().Set("WWW-Authenticate", `Bearer realm="custodia"`)
				}
				s.writeProblem(w, r, err)
				return
			}
		}
		if err := refuseUntypedBody(r); err != nil {
			s.writeProblem(w, r, err)
			return
		}
		if err := rt.h(w, r, c); err != nil {
			s.writeProblem(w, r, err)
		}
	})
}

// Serve accepts connections until Shutdown; requests run under ctx.
// Console sessions past their timeouts leave the registry meanwhile.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	stop, swept := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(swept)
		s.console.sweep(ctx, stop)
	}()
	defer func() {
		close(stop)
		<-swept
	}()
	return s.http.Serve(ctx, ln)
}

// Shutdown lets requests in flight finish until ctx ends, then ends
// every console session.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.http.Shutdown(ctx)
	s.console.sessions.EndAll()
	return err
}

// Addr returns the listening address, once Serve runs.
func (s *Server) Addr() net.Addr { return s.http.Addr() }

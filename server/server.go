// Package server is custodia's composition root: it opens a data dir's
// store, policies and files, and starts the front ends (SFTP, FTPS,
// WebDAV, the web portal, the admin API), the event dispatcher and the backup schedule
// that a configuration asks for. `custodia serve` is Start, a wait for a
// signal, and Shutdown; tests start the same thing on 127.0.0.1:0.
package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/events"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/notify"
	"github.com/oaq/custodia/store"
)

// ShutdownGrace is how long `custodia serve` lets requests in flight
// finish when it stops.
const ShutdownGrace = 10 * time.Second

// Server is a started gateway.
type Server struct {
	cfg       config.Config
	lock      *DirLock // held from Start to Shutdown
	state     *State
	listeners []listener
	cancel    context.CancelFunc
	done      chan error // one result per listener
	log       *slog.Logger
	tls       *tls.Config // the TLS front ends' certificate, once loaded
	core      *gateway.Core
	metrics   *prometheus.Registry
	events    chan struct{} // closed when the event dispatcher has stopped
	backups   chan struct{} // closed when the backup schedule has stopped
	runner    *backup.Runner
	grants    chan struct{} // closed when the sweep of expired restore grants has stopped
	watched   chan struct{} // closed when the policy reloads have stopped
	presence  chan struct{} // closed when the gateway's presence lease is given up
	beats     chan struct{} // closed when the core's heartbeat has stopped
	firstPass string        // the first admin's generated password, when Start created it
}

// listener is a started front end.
type listener struct {
	name     string // sftp, ftp, ftps-implicit, webdav, web, admin
	ln       net.Listener
	shutdown func(context.Context) error
	up       *atomic.Bool // false once its Serve returned
}

// Addr returns the address the front end called name (sftp, ftp,
// ftps-implicit, webdav, web, admin) listens on, or "" when it is off.
func (s *Server) Addr(name string) string {
	for _, l := range s.listeners {
		if l.name == name {
			return l.ln.Addr().String()
		}
	}
	return ""
}

// Store is the server's store.
func (s *Server) Store() *store.Store { return s.state.Store }

// Core is what the front ends share: logins, the defender, live sessions.
func (s *Server) Core() *gateway.Core { return s.core }

// FirstAdminPassword is the generated password of the user "admin" that
// Start created on an empty store, or "" when the store had users. It is
// never logged: the caller shows it once.
func (s *Server) FirstAdminPassword() string { return s.firstPass }

// serve starts a front end on its listener.
func (s *Server) serve(ctx context.Context, name string, ln net.Listener, run func(context.Context, net.Listener) error, shutdown func(context.Context) error) {
	up := new(atomic.Bool)
	up.Store(true)
	s.listeners = append(s.listeners, listener{name: name, ln: ln, shutdown: shutdown, up: up})
	go func() {
		err := run(ctx, ln)
		up.Store(false)
		s.done <- err
	}()
}

// listen opens a front end's listener, naming its key on failure.
func listen(key, addr string) (net.Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", key, addr, err)
	}
	return ln, nil
}

// Options are what Start needs besides the configuration.
type Options struct {
	Logger *slog.Logger // nil: discard
	// Manage runs the management commands the data dir's owner sends over
	// its socket while the server runs; nil: no socket.
	Manage Manager
}

// Start opens the data dir cfg names and starts everything it configures;
// Shutdown undoes it. On an empty store it creates the first admin once
// every listener is bound (FirstAdminPassword).
func Start(parent context.Context, cfg config.Config, o Options) (srv *Server, err error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	raiseFileLimit(log)
	for _, w := range cfg.Warnings() { // loads, but will not do what it says
		log.Warn("config: "+w.String(), "key", w.Key)
	}
	lock, err := lockDataDir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			lock.Unlock()
		}
	}()
	state, err := open(parent, cfg, true)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			state.Close()
		}
	}()
	// This gateway's uploads are its own among the gateways sharing the
	// database: it settles its previous run's at start, and the others
	// leave them alone while its presence lease lives.
	id, err := GatewayID(cfg)
	if err != nil {
		return nil, err
	}
	state.Store = state.Store.ForGateway(id)
	if err := reconcile(parent, state, log); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	presence := holdPresence(ctx, state.Store, id, log)
	watched := make(chan struct{}) // closed when the policy reloads have stopped
	go func() {
		defer close(watched)
		state.Enforcer.Watch(ctx, 2*time.Second, func(err error) { log.Error("policy reload failed", "err", err) })
	}()
	defer func() {
		if err != nil {
			cancel()
			<-watched // before the store closes
			<-presence
		}
	}()

	// One registry for the process, served by the admin API's /metrics.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	if err := startAntivirus(ctx, cfg, state.Files, reg, log); err != nil {
		return nil, err
	}
	core, err := gateway.New(coreOptions(cfg, state, defender(cfg, state.Store, log), log, reg))
	if err != nil {
		return nil, err
	}
	mailer, err := Notifier(cfg, state.Store, reg, log)
	if err != nil {
		return nil, err
	}
	hooks, err := startingHooks(ctx, cfg, state.Store, mailer) // checked before anything listens
	if err != nil {
		return nil, err
	}
	backups, err := BackupRunner(cfg, state.Store, state.Files, state.Enforcer, reg, log) // its targets checked before anything listens
	if err != nil {
		return nil, err
	}
	// s, not srv: a failed start returns a nil srv, and must still stop
	// what it started.
	s := &Server{cfg: cfg, lock: lock, state: state, cancel: cancel, done: make(chan error, 7), log: log, core: core, metrics: reg,
		watched: watched, presence: presence}
	defer func() {
		if err != nil {
			ctx, cancel := context.WithTimeout(context.Background(), ShutdownGrace)
			defer cancel()
			s.stopListeners(ctx)
		}
	}()
	s.runner = backups
	if err := s.startListeners(ctx, o.Manage); err != nil {
		return nil, err
	}
	if s.firstPass, err = firstAdmin(ctx, state.Store); err != nil {
		return nil, err
	}
	s.beats = make(chan struct{})
	go func() {
		defer close(s.beats)
		core.Run(ctx) // the shared registry's heartbeat and kick poll
	}()
	s.startEvents(ctx, hooks, mailer)
	s.startBackups(ctx, backups)
	if len(s.listeners) == 0 {
		log.Warn("every listener is off: nothing is served")
	}
	return s, nil
}

// lockDataDir makes the data dir if needed and takes its lock. It waits
// a moment for a lock just released: a process this one started may
// hold the lock's file for the instant between its fork and its exec.
func lockDataDir(dir string) (*DirLock, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, err
	}
	lock, err := LockWait(dir, time.Second)
	if err != nil {
		return nil, fmt.Errorf("%w: another custodia serve (or a management command) uses %s", err, dir)
	}
	return lock, nil
}

// reconcile settles, before anything serves the tree, every upload a
// crash left between its rename and its audit row: it gets its row and
// event, and a WARN line.
func reconcile(ctx context.Context, state *State, log *slog.Logger) error {
	settled, err := state.Files.Reconcile(ctx, state.Store)
	if err != nil {
		return err
	}
	for _, e := range settled {
		msg := "upload recovered at start: in place after a crash, now audited"
		if e.Result != store.ResultOK {
			msg = "upload found incomplete at start: audited as failed"
		}
		log.Warn(msg, "user", e.User, "proto", e.Protocol, "action", e.Action, "vpath", e.VPath, "bytes", e.Bytes, "sha256", e.SHA256)
	}
	return nil
}

// startingHooks are the configuration's hooks, each with its cursor: a
// new hook starts after the events that exist now, before the listeners
// add any, so none of those is lost to it. The e-mail notifier, when
// configured, is one of them.
func startingHooks(ctx context.Context, cfg config.Config, st *store.Store, mailer *notify.Notifier) ([]events.Hook, error) {
	hooks, err := Hooks(cfg)
	if err != nil {
		return nil, err
	}
	if mailer != nil {
		hooks = append(hooks, mailer.Hook())
	}
	for _, h := range hooks {
		if _, err := st.HookCursor(ctx, h.Name); err != nil {
			return nil, err
		}
	}
	return hooks, nil
}

// startListeners starts every front end the configuration enables, the
// admin API and the management socket.
func (s *Server) startListeners(ctx context.Context, manage Manager) error {
	for _, start := range []func(context.Context) error{s.startSFTP, s.startFTP, s.startWebDAV, s.startWeb} {
		if err := start(ctx); err != nil {
			return err
		}
	}
	if err := s.startAdmin(ctx, s.runner); err != nil {
		return err
	}
	return s.startManage(ctx, manage)
}

// defender is the configuration's defender over the store (which every
// gateway over it shares), or nil when it is off.
func defender(cfg config.Config, st *store.Store, log *slog.Logger) *gateway.Defender {
	if !cfg.Defender.Enabled {
		return nil
	}
	return gateway.NewDefender(gateway.DefenderOptions{
		MaxFailures: cfg.Defender.MaxFailures, Window: cfg.Defender.Window.Duration,
		BanTime: cfg.Defender.BanTime.Duration, Logger: log, Store: st,
	})
}

// Shutdown stops the listeners (sessions end, uploads in flight are
// discarded; requests in flight have until ctx ends), waits for the
// dispatcher and the backup schedule, and closes the store.
func (s *Server) Shutdown(ctx context.Context) error {
	errs := s.stopListeners(ctx)
	s.cancel()
	if s.beats != nil {
		<-s.beats // it takes this gateway's rows out of the store
	}
	if s.events != nil {
		<-s.events // the dispatcher stops between deliveries
	}
	if s.backups != nil {
		<-s.backups // a running backup is abandoned, never counted
	}
	s.runner.Close() // so is one started from the console
	if s.grants != nil {
		<-s.grants
	}
	<-s.watched
	<-s.presence
	errs = append(errs, s.state.Close(), s.lock.Unlock())
	s.log.Info("stopped")
	return errors.Join(errs...)
}

// stopListeners shuts every front end down and collects their results.
func (s *Server) stopListeners(ctx context.Context) []error {
	var errs []error
	for _, l := range s.listeners {
		if err := l.shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", l.name, err))
		}
	}
	for range s.listeners {
		errs = append(errs, <-s.done)
	}
	s.listeners = nil
	return errs
}

// firstAdmin creates user "admin" on an empty store and returns its
// generated password; "" when the store has users, or when another
// gateway sharing the database created the first admin at the same time
// (only that one prints the password).
func firstAdmin(ctx context.Context, st *store.Store) (string, error) {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return "", err
	}
	pw := gateway.GeneratePassword()
	hash, err := gateway.HashPassword(pw)
	if err != nil {
		return "", err
	}
	if _, err := st.CreateUser(ctx, store.NewUser{Name: "admin", Role: store.RoleAdmin, PasswordHash: hash}); err != nil {
		if errors.Is(err, store.ErrConflict) {
			return "", nil // another gateway on the same database made it meanwhile
		}
		return "", err
	}
	return pw, nil
}

// Config is the configuration the server runs with.
func (s *Server) Config() config.Config { return s.cfg }

// State is the server's opened data dir, for management commands run in
// the server: it stays open until Shutdown.
func (s *Server) State() *State { return s.state }

// Backups is the server's backup runner: its jobs, targets and metrics,
// for backup commands run in the server.
func (s *Server) Backups() *backup.Runner { return s.runner }

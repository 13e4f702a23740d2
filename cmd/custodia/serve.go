package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/gateway/sftp"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

func (a *app) serveCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "serve",
		Short: "run the gateway (creates schema, keys, default policies and a first admin on an empty data dir)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			g, err := a.start(cmd.Context())
			if err != nil {
				return err
			}
			<-cmd.Context().Done()
			return g.stop()
		},
	}
}

// running is a started gateway.
type running struct {
	st      *store.Store
	files   *storage.Files
	servers []server
	cancel  context.CancelFunc
	done    chan error // one result per server
	log     *slog.Logger
	tls     *tls.Config // the TLS front ends' certificate, once loaded
	core    *gateway.Core
	metrics *prometheus.Registry
	events  chan struct{} // closed when the event dispatcher has stopped
	backups chan struct{} // closed when the backup schedule has stopped
}

// server is a started front end.
type server struct {
	name     string // sftp, ftp, ftps-implicit, webdav, admin
	ln       net.Listener
	shutdown func(context.Context) error
	up       *atomic.Bool // false once its Serve returned
}

// addr returns the address a front end listens on, or "".
func (g *running) addr(name string) string {
	for _, s := range g.servers {
		if s.name == name {
			return s.ln.Addr().String()
		}
	}
	return ""
}

// serve starts a front end on its listener.
func (g *running) serve(ctx context.Context, name string, ln net.Listener, run func(context.Context, net.Listener) error, shutdown func(context.Context) error) {
	up := new(atomic.Bool)
	up.Store(true)
	g.servers = append(g.servers, server{name: name, ln: ln, shutdown: shutdown, up: up})
	go func() {
		err := run(ctx, ln)
		up.Store(false)
		g.done <- err
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

func (a *app) logger() *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(a.cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if a.cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(a.err, opts))
	}
	return slog.New(slog.NewTextHandler(a.err, opts))
}

// start opens everything and starts the listeners; stop undoes it.
func (a *app) start(parent context.Context) (g *running, err error) {
	st, enf, files, err := a.openAll(parent)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			files.Close()
			st.Close()
		}
	}()
	log := a.logger()
	if err := a.firstAdmin(parent, st); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(parent))
	defer func() {
		if err != nil {
			cancel()
		}
	}()
	go enf.Watch(ctx, 2*time.Second, func(err error) { log.Error("policy reload failed", "err", err) })

	var defender *gateway.Defender
	if a.cfg.Defender.Enabled {
		defender = gateway.NewDefender(gateway.DefenderOptions{
			MaxFailures: a.cfg.Defender.MaxFailures, Window: a.cfg.Defender.Window.Duration,
			BanTime: a.cfg.Defender.BanTime.Duration,
		})
	}
	// One registry for the process, served by the admin API's /metrics.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	core, err := gateway.New(gateway.Options{
		Store: st, Files: files, Decider: enf, Defender: defender, Logger: log, Metrics: reg,
		Limits: gateway.Limits{Total: a.cfg.Limits.MaxConnections, PerAddr: a.cfg.Limits.MaxConnectionsPerIP},
	})
	if err != nil {
		return nil, err
	}
	hooks, err := a.hooks() // checked before anything listens
	if err != nil {
		return nil, err
	}
	for _, h := range hooks {
		// A new hook starts after the events that exist now, before the
		// listeners add any: none of those is lost to it.
		if _, err := st.HookCursor(ctx, h.Name); err != nil {
			return nil, err
		}
	}
	backups, err := a.backupRunner(st, enf, reg) // its targets checked before anything listens
	if err != nil {
		return nil, err
	}
	// run, not g: a failed start returns a nil g, and must still stop what
	// it started.
	run := &running{st: st, files: files, cancel: cancel, done: make(chan error, 5), log: log, core: core,
		metrics: reg}
	g = run
	defer func() {
		if err != nil {
			run.stopServers()
		}
	}()
	if err := a.startSFTP(ctx, g, core); err != nil {
		return nil, err
	}
	if err := a.startFTP(ctx, g, core); err != nil {
		return nil, err
	}
	if err := a.startWebDAV(ctx, g, core); err != nil {
		return nil, err
	}
	if err := a.startAdmin(ctx, g, core, enf, backups); err != nil {
		return nil, err
	}
	a.startEvents(ctx, g, hooks)
	a.startBackups(ctx, g, backups)
	if len(g.servers) == 0 {
		log.Warn("every listener is off: nothing is served")
	}
	return g, nil
}

func (a *app) startSFTP(ctx context.Context, g *running, core *gateway.Core) error {
	if !config.Enabled(a.cfg.SFTP.Listen) {
		g.log.Warn("sftp listener is off")
		return nil
	}
	keyFile := a.cfg.SFTP.HostKey
	if keyFile == "" {
		keyFile = filepath.Join(a.cfg.KeysDir(), "ssh_host_ed25519_key")
	}
	hostKey, err := sftp.LoadOrCreateHostKey(keyFile)
	if err != nil {
		return err
	}
	srv, err := sftp.New(sftp.Options{
		Core: core, HostKey: hostKey, IdleTimeout: a.cfg.SFTP.IdleTimeout.Duration,
		LoginTimeout: a.cfg.SFTP.LoginTimeout.Duration, MaxAuthTries: a.cfg.SFTP.MaxAuthTries,
		LegacyClients: a.cfg.SFTP.LegacyClients, Logger: g.log,
	})
	if err != nil {
		return err
	}
	ln, err := listen("sftp.listen", a.cfg.SFTP.Listen)
	if err != nil {
		return err
	}
	if a.cfg.SFTP.LegacyClients {
		g.log.Warn("sftp.legacy_clients is on: AES-CTR with SHA-2 MACs is offered besides AES-GCM and chacha20-poly1305")
	}
	g.log.Info("sftp listening", "addr", ln.Addr().String(),
		"host_key", ssh.FingerprintSHA256(hostKey.PublicKey()), "data", a.cfg.DataDir)
	g.serve(ctx, "sftp", ln, srv.Serve, srv.Shutdown)
	return nil
}

// stop shuts the listeners down and closes the store.
func (g *running) stop() error {
	errs := g.stopServers()
	g.cancel()
	if g.events != nil {
		<-g.events // the dispatcher stops between deliveries
	}
	if g.backups != nil {
		<-g.backups // a running backup is abandoned, never counted
	}
	errs = append(errs, g.files.Close(), g.st.Close())
	g.log.Info("stopped")
	return errors.Join(errs...)
}

// stopServers shuts every front end down and collects their results.
func (g *running) stopServers() []error {
	var errs []error
	sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for _, s := range g.servers {
		if err := s.shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", s.name, err))
		}
	}
	for range g.servers {
		errs = append(errs, <-g.done)
	}
	g.servers = nil
	return errs
}

// firstAdmin creates user "admin" on an empty store and prints its
// generated password once, on stdout; it is never logged.
func (a *app) firstAdmin(ctx context.Context, st *store.Store) error {
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return err
	}
	pw := gateway.GeneratePassword()
	hash, err := gateway.HashPassword(pw)
	if err != nil {
		return err
	}
	if _, err := st.CreateUser(ctx, store.NewUser{Name: "admin", Role: store.RoleAdmin, PasswordHash: hash}); err != nil {
		return err
	}
	fmt.Fprintf(a.out, "custodia: created the first user, admin, with password: %s\n", pw)
	fmt.Fprintln(a.out, "custodia: this password is shown only once; change it with: custodia user passwd admin")
	return nil
}

package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"time"

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
	st     *store.Store
	files  *storage.Files
	sftp   *sftp.Server
	sftpLn net.Listener
	cancel context.CancelFunc
	done   chan error
	log    *slog.Logger
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
	core, err := gateway.New(gateway.Options{Store: st, Files: files, Decider: enf, Defender: defender, Logger: log})
	if err != nil {
		return nil, err
	}
	g = &running{st: st, files: files, cancel: cancel, done: make(chan error, 1), log: log}
	if !config.Enabled(a.cfg.SFTP.Listen) {
		log.Warn("sftp listener is off")
		close(g.done)
		return g, nil
	}
	keyFile := a.cfg.SFTP.HostKey
	if keyFile == "" {
		keyFile = filepath.Join(a.cfg.KeysDir(), "ssh_host_ed25519_key")
	}
	hostKey, err := sftp.LoadOrCreateHostKey(keyFile)
	if err != nil {
		return nil, err
	}
	g.sftp, err = sftp.New(sftp.Options{
		Core: core, HostKey: hostKey, IdleTimeout: a.cfg.SFTP.IdleTimeout.Duration,
		LoginTimeout: a.cfg.SFTP.LoginTimeout.Duration, MaxAuthTries: a.cfg.SFTP.MaxAuthTries,
		LegacyClients: a.cfg.SFTP.LegacyClients, Logger: log,
	})
	if err != nil {
		return nil, err
	}
	g.sftpLn, err = net.Listen("tcp", a.cfg.SFTP.Listen)
	if err != nil {
		return nil, fmt.Errorf("sftp.listen %s: %w", a.cfg.SFTP.Listen, err)
	}
	if a.cfg.SFTP.LegacyClients {
		log.Warn("sftp.legacy_clients is on: AES-CTR with SHA-2 MACs is offered besides AES-GCM and chacha20-poly1305")
	}
	log.Info("sftp listening", "addr", g.sftpLn.Addr().String(),
		"host_key", ssh.FingerprintSHA256(hostKey.PublicKey()), "data", a.cfg.DataDir)
	go func() { g.done <- g.sftp.Serve(ctx, g.sftpLn) }()
	return g, nil
}

// stop shuts the listeners down and closes the store.
func (g *running) stop() error {
	var errs []error
	if g.sftp != nil {
		sctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		errs = append(errs, g.sftp.Shutdown(sctx))
		cancel()
	}
	errs = append(errs, <-g.done)
	g.cancel()
	errs = append(errs, g.files.Close(), g.st.Close())
	g.log.Info("stopped")
	return errors.Join(errs...)
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

package server

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oaq/custodia/admin"
	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/config"
)

// loopbackOnly reports whether a listen address accepts connections from
// this machine only.
func loopbackOnly(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}

func (s *Server) startAdmin(ctx context.Context, backups *backup.Runner) error {
	c := s.cfg.Admin
	if !config.Enabled(c.Listen) {
		return nil
	}
	// Beyond loopback the API takes passwords and tokens over the network:
	// TLS with the gateway's certificate, always.
	var tlsConf *tls.Config
	if !loopbackOnly(c.Listen) {
		var err error
		if tlsConf, err = s.tlsConfig(); err != nil {
			return err
		}
	}
	if _, err := s.LetterEndpointsFor(""); err != nil {
		s.log.Warn("credential letters cannot be written without naming a host", "err", err)
	}
	srv, err := admin.New(admin.Options{
		Store: s.state.Store, Core: s.core, Enforcer: s.state.Enforcer, Departments: s.cfg.Departments, TLS: tlsConf,
		TokenTTL:         c.TokenTTL.Duration,
		Ready:            s.ready,
		Metrics:          promhttp.HandlerFor(s.metrics, promhttp.HandlerOpts{}),
		AddClientFolders: s.state.Files.AddClient,
		Backups:          adminBackups{backups},
		Organization:     s.cfg.Organization,
		Letters:          s.LetterEndpointsFor,
		// The console's sessions last as the portal's.
		ConsoleIdle: s.cfg.Web.IdleTimeout.Duration, ConsoleMax: s.cfg.Web.MaxSession.Duration,
		Logger: s.log,
	})
	if err != nil {
		return err
	}
	ln, err := listen("admin.listen", c.Listen)
	if err != nil {
		return err
	}
	scheme := "https"
	if tlsConf == nil {
		scheme = "http"
	}
	s.log.Info("admin api listening", "addr", ln.Addr().String(), "scheme", scheme)
	s.serve(ctx, "admin", ln, srv.Serve, srv.Shutdown)
	return nil
}

// ready is /readyz: the store answers and every listener is open.
func (s *Server) ready(ctx context.Context) error {
	if _, err := s.state.Store.CountUsers(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, l := range s.listeners {
		if !l.up.Load() {
			return fmt.Errorf("%s stopped serving", l.name)
		}
	}
	return nil
}

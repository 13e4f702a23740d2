package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/netip"
	"os"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/oaq/custodia/admin"
	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
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

func (a *app) startAdmin(ctx context.Context, g *running, core *gateway.Core, enf *authz.Enforcer, backups *backup.Runner) error {
	c := a.cfg.Admin
	if !config.Enabled(c.Listen) {
		return nil
	}
	// Beyond loopback the API takes passwords and tokens over the network:
	// TLS with the gateway's certificate, always.
	var tlsConf *tls.Config
	if !loopbackOnly(c.Listen) {
		var err error
		if tlsConf, err = a.tlsConfig(g); err != nil {
			return err
		}
	}
	srv := admin.New(admin.Options{
		Store: g.st, Core: core, Enforcer: enf, Departments: a.cfg.Departments, TLS: tlsConf,
		TokenTTL:         c.TokenTTL.Duration,
		Ready:            g.ready,
		Metrics:          promhttp.HandlerFor(g.metrics, promhttp.HandlerOpts{}),
		AddClientFolders: g.files.AddClient,
		Backups:          backups,
		Letter: func(_ context.Context, u *store.User, password string) ([]byte, error) {
			return a.serverLetter(g, u, password)
		},
		Logger: g.log,
	})
	ln, err := listen("admin.listen", c.Listen)
	if err != nil {
		return err
	}
	scheme := "https"
	if tlsConf == nil {
		scheme = "http"
	}
	g.log.Info("admin api listening", "addr", ln.Addr().String(), "scheme", scheme)
	g.serve(ctx, "admin", ln, srv.Serve, srv.Shutdown)
	return nil
}

// ready is /readyz: the store answers and every listener is open.
func (g *running) ready(ctx context.Context) error {
	if _, err := g.st.CountUsers(ctx); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	for _, s := range g.servers {
		if !s.up.Load() {
			return fmt.Errorf("%s stopped serving", s.name)
		}
	}
	return nil
}

// serverLetter is the credential letter the running server writes: the
// addresses its listeners really have, with this machine's name for those
// on every interface.
func (a *app) serverLetter(g *running, u *store.User, password string) ([]byte, error) {
	host, err := os.Hostname()
	if err != nil {
		return nil, err
	}
	live := *a
	for _, l := range []struct {
		name string
		dst  *string
	}{{"sftp", &live.cfg.SFTP.Listen}, {"ftp", &live.cfg.FTP.Listen}, {"webdav", &live.cfg.WebDAV.Listen}} {
		if addr := g.addr(l.name); addr != "" {
			*l.dst = addr
		}
	}
	l, err := live.letterFor(u, host, false)
	if err != nil {
		return nil, err
	}
	l.Password = password
	return admin.RenderLetter(l)
}

package main

import (
	"context"
	"crypto/tls"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/gateway/ftp"
)

// tlsConfig loads (or generates) the certificate the TLS front ends share
// and logs its fingerprint, once.
func (a *app) tlsConfig(g *running) (*tls.Config, error) {
	if g.tls != nil {
		return g.tls, nil
	}
	cert, generated, err := gateway.LoadCertificate(a.cfg.TLS.Cert, a.cfg.TLS.Key, a.cfg.KeysDir())
	if err != nil {
		return nil, err
	}
	if generated {
		g.log.Info("generated a self-signed TLS certificate; set tls.cert and tls.key to use your own")
	}
	g.log.Info("tls certificate", "sha256", gateway.Fingerprint(cert), "subject", cert.Leaf.Subject.String(),
		"expires", cert.Leaf.NotAfter.Format("2006-01-02"))
	g.tls = gateway.TLSConfig(cert)
	return g.tls, nil
}

func (a *app) startFTP(ctx context.Context, g *running, core *gateway.Core) error {
	c := a.cfg.FTP
	explicit, implicit := config.Enabled(c.Listen), config.Enabled(c.ImplicitListen)
	if !explicit && !implicit {
		return nil
	}
	var tlsConf *tls.Config
	if c.TLS != config.TLSOff {
		var err error
		if tlsConf, err = a.tlsConfig(g); err != nil {
			return err
		}
	}
	switch c.TLS {
	case config.TLSOptional:
		g.log.Warn("ftp.tls is optional: FTP clients may log in and transfer in clear text")
	case config.TLSOff:
		g.log.Warn("ftp.tls is off: FTP passwords and files cross the network in clear text")
	}
	start, end, _ := c.PassiveRange()
	opts := ftp.Options{
		Core: core, TLS: tlsConf, TLSRequired: c.TLS == config.TLSRequired, PassivePorts: [2]int{start, end},
		PublicHost: c.PublicHost, ActiveMode: c.ActiveMode, IdleTimeout: c.IdleTimeout.Duration, Logger: g.log,
	}
	for _, l := range []struct {
		name, key, addr string
		on, implicit    bool
	}{
		{"ftp", "ftp.listen", c.Listen, explicit, false},
		{"ftps-implicit", "ftp.implicit_listen", c.ImplicitListen, implicit, true},
	} {
		if !l.on {
			continue
		}
		o := opts
		o.Implicit = l.implicit
		srv, err := ftp.New(o)
		if err != nil {
			return err
		}
		ln, err := listen(l.key, l.addr)
		if err != nil {
			return err
		}
		g.log.Info(l.name+" listening", "addr", ln.Addr().String(), "tls", c.TLS, "passive_ports", c.PassivePorts)
		g.serve(ctx, l.name, ln, srv.Serve, srv.Shutdown)
	}
	return nil
}

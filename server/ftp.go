package server

import (
	"context"
	"crypto/tls"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway/ftp"
)

func (s *Server) startFTP(ctx context.Context) error {
	c := s.cfg.FTP
	explicit, implicit := config.Enabled(c.Listen), config.Enabled(c.ImplicitListen)
	if !explicit && !implicit {
		return nil
	}
	var tlsConf *tls.Config
	if c.TLS != config.TLSOff {
		var err error
		if tlsConf, err = s.tlsConfig(); err != nil {
			return err
		}
	}
	switch c.TLS {
	case config.TLSOptional:
		s.log.Warn("ftp.tls is optional: FTP clients may log in and transfer in clear text")
	case config.TLSOff:
		s.log.Warn("ftp.tls is off: FTP passwords and files cross the network in clear text")
	}
	ports, _ := c.PassiveRange() // config.Load refuses a bad range
	public, _ := c.PublicPassiveRange()
	opts := ftp.Options{
		Core: s.core, TLS: tlsConf, TLSRequired: c.TLS == config.TLSRequired, PassivePorts: ports, PublicPassivePorts: public,
		PublicHost: s.cfg.PassiveHost(), ActiveMode: c.ActiveMode, IdleTimeout: c.IdleTimeout.Duration, Logger: s.log,
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
		s.log.Info(l.name+" listening", "addr", ln.Addr().String(), "tls", c.TLS, "passive_ports", c.PassivePorts, "public_passive_ports", c.PublicPassivePorts)
		s.serve(ctx, l.name, ln, srv.Serve, srv.Shutdown)
	}
	return nil
}

package server

import (
	"context"
	"crypto/tls"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/gateway/ftp"
)

// tlsConfig loads (or generates) the certificate the TLS front ends share
// and logs its fingerprint, once.
func (s *Server) tlsConfig() (*tls.Config, error) {
	if s.tls != nil {
		return s.tls, nil
	}
	cert, err := gateway.LoadCertificate(s.cfg.TLS.Cert, s.cfg.TLS.Key, s.cfg.KeysDir())
	if err != nil {
		return nil, err
	}
	if cert.Generated {
		s.log.Info("generated a self-signed TLS certificate; set tls.cert and tls.key to use your own")
	}
	s.log.Info("tls certificate", "sha256", gateway.Fingerprint(cert.Certificate), "subject", cert.Leaf.Subject.String(),
		"expires", cert.Leaf.NotAfter.Format("2006-01-02"))
	s.tls = gateway.TLSConfig(cert.Certificate)
	return s.tls, nil
}

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
	opts := ftp.Options{
		Core: s.core, TLS: tlsConf, TLSRequired: c.TLS == config.TLSRequired, PassivePorts: ports,
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
		s.log.Info(l.name+" listening", "addr", ln.Addr().String(), "tls", c.TLS, "passive_ports", c.PassivePorts)
		s.serve(ctx, l.name, ln, srv.Serve, srv.Shutdown)
	}
	return nil
}

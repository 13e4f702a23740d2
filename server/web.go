package server

import (
	"context"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/web"
)

// startWeb starts the portal on its own HTTPS listener with the shared
// certificate; its sessions live in this process's memory.
func (s *Server) startWeb(ctx context.Context) error {
	c := s.cfg.Web
	if !config.Enabled(c.Listen) {
		return nil
	}
	tlsConf, err := s.tlsConfig()
	if err != nil {
		return err
	}
	srv, err := web.New(web.Options{
		Core: s.core, TLS: tlsConf, IdleTimeout: c.IdleTimeout.Duration, MaxSession: c.MaxSession.Duration,
		ReadTimeout: c.ReadTimeout.Duration, Logger: s.log,
	})
	if err != nil {
		return err
	}
	ln, err := listen("web.listen", c.Listen)
	if err != nil {
		return err
	}
	s.log.Info("web portal listening", "addr", ln.Addr().String(), "scheme", "https")
	s.serve(ctx, "web", ln, srv.Serve, srv.Shutdown)
	return nil
}

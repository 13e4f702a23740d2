package server

import (
	"context"
	"crypto/tls"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway/webdav"
)

func (s *Server) startWebDAV(ctx context.Context) error {
	c := s.cfg.WebDAV
	if !config.Enabled(c.Listen) {
		return nil
	}
	var tlsConf *tls.Config
	if c.TLS == config.TLSOff {
		s.log.Warn("webdav.tls is off: WebDAV serves plain HTTP, passwords and files in clear text unless a TLS-terminating proxy is in front")
	} else {
		var err error
		if tlsConf, err = s.tlsConfig(); err != nil {
			return err
		}
	}
	srv := webdav.New(webdav.Options{
		Core: s.core, Store: s.state.Store, TLS: tlsConf, DesktopFiles: webdav.DesktopPolicy(c.DesktopFiles), ReadTimeout: c.ReadTimeout.Duration,
		Logger: s.log,
	})
	ln, err := listen("webdav.listen", c.Listen)
	if err != nil {
		return err
	}
	scheme := "https"
	if tlsConf == nil {
		scheme = "http"
	}
	s.log.Info("webdav listening", "addr", ln.Addr().String(), "scheme", scheme, "desktop_files", c.DesktopFiles)
	s.serve(ctx, "webdav", ln, srv.Serve, srv.Shutdown)
	return nil
}

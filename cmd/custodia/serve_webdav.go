package main

import (
	"context"
	"crypto/tls"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/gateway/webdav"
)

func (a *app) startWebDAV(ctx context.Context, g *running, core *gateway.Core) error {
	c := a.cfg.WebDAV
	if !config.Enabled(c.Listen) {
		return nil
	}
	var tlsConf *tls.Config
	if c.TLS == config.TLSOff {
		g.log.Warn("webdav.tls is off: WebDAV serves plain HTTP, passwords and files in clear text unless a TLS-terminating proxy is in front")
	} else {
		var err error
		if tlsConf, err = a.tlsConfig(g); err != nil {
			return err
		}
	}
	srv := webdav.New(webdav.Options{
		Core: core, TLS: tlsConf, DesktopFiles: webdav.DesktopPolicy(c.DesktopFiles), Logger: g.log,
	})
	ln, err := listen("webdav.listen", c.Listen)
	if err != nil {
		return err
	}
	scheme := "https"
	if tlsConf == nil {
		scheme = "http"
	}
	g.log.Info("webdav listening", "addr", ln.Addr().String(), "scheme", scheme, "desktop_files", c.DesktopFiles)
	g.serve(ctx, "webdav", ln, srv.Serve, srv.Shutdown)
	return nil
}

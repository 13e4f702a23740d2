package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web"
	"github.com/oaq/custodia/web/tus"
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
	uploads, err := tus.New(tus.Options{Files: s.state.Files, Caller: sessionView, BasePath: "/uploads/", Logger: s.log})
	if err != nil {
		return err
	}
	o := web.Options{
		Core: s.core, TLS: tlsConf, IdleTimeout: c.IdleTimeout.Duration, MaxSession: c.MaxSession.Duration,
		ReadTimeout: c.ReadTimeout.Duration, Logger: s.log, Uploads: uploads,
		Store: s.state.Store, Organization: s.cfg.Organization,
	}
	if s.runner != nil {
		o.Restores = webRestores{s.runner}
	}
	srv, err := web.New(o)
	if err != nil {
		uploads.Close()
		return err
	}
	ln, err := listen("web.listen", c.Listen)
	if err != nil {
		uploads.Close()
		return err
	}
	s.log.Info("web portal listening", "addr", ln.Addr().String(), "scheme", "https")
	s.serve(ctx, "web", ln, srv.Serve, func(ctx context.Context) error {
		err := srv.Shutdown(ctx)
		return errors.Join(err, uploads.Close())
	})
	return nil
}

// sessionView is the storage view of the portal session a resumable
// upload's request belongs to (the portal lets only a live session's
// requests through to the upload handler).
func sessionView(r *http.Request) (*storage.View, error) {
	if v := web.ViewOf(r.Context()); v != nil {
		return v, nil
	}
	return nil, errors.New("web: no session")
}

// webRestores is the backup runner as the portal's approvals page asks
// for it: a manager rejects as themself.
type webRestores struct{ r *backup.Runner }

func (w webRestores) Waiting(ctx context.Context, u *store.User) ([]store.RestoreRequest, error) {
	return w.r.Waiting(ctx, u)
}

func (w webRestores) Approve(ctx context.Context, id string, u *store.User) (store.RestoreRequest, error) {
	return w.r.Approve(ctx, id, u)
}

func (w webRestores) Reject(ctx context.Context, id string, u *store.User, note string) (store.RestoreRequest, error) {
	return w.r.Reject(ctx, id, store.RestoreActor{Name: u.Name, User: u}, note)
}

var _ web.Restores = webRestores{}

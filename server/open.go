package server

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"os"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// State is an opened data dir: the store, the policy enforcer over it and
// the files tree.
type State struct {
	Store    *store.Store
	Enforcer *authz.Enforcer
	Files    *storage.Files
}

// OpenStore opens the data dir's database, creating the dir if needed.
func OpenStore(ctx context.Context, cfg config.Config) (*store.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
		return nil, err
	}
	return store.Open(ctx, cfg.DBFile())
}

// Open opens the store, the enforcer and the files tree of cfg's data dir.
func Open(ctx context.Context, cfg config.Config) (*State, error) {
	st, err := OpenStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	enf, err := authz.New(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	files, err := storage.OpenFiles(cfg.FilesDir(), cfg.Departments)
	if err != nil {
		st.Close()
		return nil, err
	}
	return &State{Store: st, Enforcer: enf, Files: files}, nil
}

// Close closes the files tree and the store.
func (s *State) Close() error {
	return errors.Join(s.Files.Close(), s.Store.Close())
}

// Logger is the log the configuration asks for (level, text or JSON),
// written to w.
func Logger(cfg config.Config, w io.Writer) *slog.Logger {
	var level slog.Level
	level.UnmarshalText([]byte(cfg.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if cfg.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

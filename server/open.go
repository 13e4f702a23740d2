package server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"

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

// ErrNoDataDir is returned when a data dir has no store: only `custodia
// serve` and `custodia init` create one.
var ErrNoDataDir = errors.New("no custodia data dir")

func openStore(ctx context.Context, cfg config.Config, create bool) (*store.Store, error) {
	if create {
		if err := os.MkdirAll(cfg.DataDir, 0o750); err != nil {
			return nil, err
		}
	} else if err := CheckDataDir(cfg); err != nil {
		return nil, err
	}
	return store.OpenURL(ctx, cfg.Database.URL, cfg.DBFile())
}

// CheckDataDir says, wrapping ErrNoDataDir, when cfg's data dir has no
// store (on PostgreSQL: no files tree), where it looked and how to point
// elsewhere.
func CheckDataDir(cfg config.Config) error {
	if cfg.Database.Postgres() {
		if _, err := os.Stat(cfg.FilesDir()); errors.Is(err, fs.ErrNotExist) {
			dir, _ := filepath.Abs(cfg.DataDir)
			return fmt.Errorf("%w at %s (no %s there): start `custodia serve` or run `custodia init` to make one, "+
				"or point --data, CUSTODIA_DATA_DIR or data_dir at the right one", ErrNoDataDir, dir, filepath.Base(cfg.FilesDir()))
		}
		return nil
	}
	if _, err := os.Stat(cfg.DBFile()); errors.Is(err, fs.ErrNotExist) {
		dir, _ := filepath.Abs(cfg.DataDir)
		return fmt.Errorf("%w at %s (no %s there): start `custodia serve` or run `custodia init` to make one, "+
			"or point --data, CUSTODIA_DATA_DIR or data_dir at the right one", ErrNoDataDir, dir, filepath.Base(cfg.DBFile()))
	}
	return nil
}

// Open opens the store, the enforcer and the files tree of an existing
// data dir.
func Open(ctx context.Context, cfg config.Config) (*State, error) {
	return open(ctx, cfg, false)
}

func open(ctx context.Context, cfg config.Config, create bool) (*State, error) {
	st, err := openStore(ctx, cfg, create)
	if err != nil {
		return nil, err
	}
	enf, err := authz.New(ctx, st)
	if err != nil {
		st.Close()
		return nil, err
	}
	files, err := openFiles(ctx, cfg)
	if err != nil {
		st.Close()
		return nil, err
	}
	files.SetLimits(uploadLimits(cfg, st))
	return &State{Store: st, Enforcer: enf, Files: files}, nil
}

// openFiles opens the files tree on the backend the configuration names.
func openFiles(ctx context.Context, cfg config.Config) (*storage.Files, error) {
	if cfg.Storage.Backend != "s3" {
		return storage.OpenFiles(cfg.FilesDir(), cfg.Departments)
	}
	o := cfg.Storage.S3
	id, err := GatewayID(cfg)
	if err != nil {
		return nil, err
	}
	return storage.OpenFilesS3(ctx, cfg.FilesDir(), cfg.Departments, storage.S3Options{
		Endpoint: o.Endpoint, Bucket: o.Bucket, Prefix: o.Prefix, Region: o.Region,
		AccessKey: o.AccessKey, SecretKey: o.SecretKey, Insecure: o.Insecure, Gateway: id, IgnoreTimes: o.Times == config.TimesIgnore,
	})
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

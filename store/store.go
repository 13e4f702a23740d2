// Package store keeps custodia's state in SQL: users, client accounts,
// assignments, SSH keys, Casbin policy rules and the append-only audit log.
// SQLite (modernc.org/sqlite, no cgo) is the embedded default; PostgreSQL
// (pgx's stdlib driver) is chosen by a postgres:// URL. The SQL is the
// same on both; the migrations' DDL is translated by dialect.go.
package store

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// Sentinel errors. Every method wraps them with %w so callers use errors.Is.
var (
	ErrNotFound = errors.New("not found")
	ErrConflict = errors.New("already exists")
)

// timeLayout is fixed-width so that stored times sort as text.
const timeLayout = "2006-01-02T15:04:05.000000000Z"

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

func parseTime(s string) (time.Time, error) { return time.Parse(timeLayout, s) }

// Store is the SQL state of one gateway. It is safe for concurrent use.
type Store struct {
	db    *sqlx.DB
	pg    *pgInfo // nil on SQLite
	now   func() time.Time
	audit *AuditEntry // written in the transaction of every change (Audited)
	// gateway names the gateway this store serves among those sharing the
	// database (ForGateway); "" for the command line.
	gateway string
	group   *commitGroup // the uploads' transactions, run together (group.go)
}

// Audited is the store whose changes each write e (and its event, if it
// is one) in the same transaction as the change: a change is never
// without its audit row, nor the row without its change. Use it for one
// change; reads and Close are the same store's.
func (s *Store) Audited(e AuditEntry) *Store {
	c := *s
	c.audit = &e
	return &c
}

// Open opens (creating if needed) the SQLite database at file, applies
// pending migrations and returns the store. WAL mode lets the CLI write
// while the server runs; synchronous=FULL makes a committed transaction
// survive a power cut, which an acknowledged upload's audit row needs.
func Open(ctx context.Context, file string) (*Store, error) {
	q := url.Values{}
	for _, p := range []string{
		"journal_mode(WAL)",
		"busy_timeout(10000)",
		"foreign_keys(1)",
		"synchronous(FULL)",
	} {
		q.Add("_pragma", p)
	}
	q.Set("_txlock", "immediate")
	// The database holds password hashes: only its owner may read it.
	f, err := os.OpenFile(file, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", file, err)
	}
	f.Close()
	conn, err := newCachingConnector("file:" + file + "?" + q.Encode())
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", file, err)
	}
	db := sqlx.NewDb(sql.OpenDB(conn), "sqlite")
	db.SetMaxOpenConns(8)
	db.SetMaxIdleConns(8) // a connection kept keeps its prepared statements
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", file, err)
	}
	s := &Store{db: db, now: time.Now, group: &commitGroup{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

func (s *Store) migrate(ctx context.Context) error {
	// In a transaction: on PostgreSQL it takes the write lock, so that
	// gateways starting at once on one database migrate one at a time.
	if err := s.tx(ctx, func(tx *sqlx.Tx) error {
		_, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version BIGINT PRIMARY KEY, applied_at TEXT NOT NULL)`)
		return err
	}); err != nil {
		return fmt.Errorf("store: migrations table: %w", err)
	}
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("store: list migrations: %w", err)
	}
	sort.Strings(names)
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("store: migration %s: bad version prefix", name)
		}
		body, err := migrationFiles.ReadFile(name)
		if err != nil {
			return fmt.Errorf("store: read migration %s: %w", name, err)
		}
		err = s.tx(ctx, func(tx *sqlx.Tx) error {
			var n int
			if err := tx.GetContext(ctx, &n, `SELECT COUNT(*) FROM schema_migrations WHERE version = $1`, version); err != nil {
				return err
			}
			if n > 0 {
				return nil
			}
			ddl := string(body)
			if s.pg != nil {
				if ddl, err = toPostgres(ddl); err != nil {
					return err
				}
			}
			if _, err := tx.ExecContext(ctx, ddl); err != nil {
				return err
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version, applied_at) VALUES ($1, $2)`,
				version, formatTime(s.now()))
			return err
		})
		if err != nil {
			return fmt.Errorf("store: migration %s: %w", name, err)
		}
	}
	return nil
}

// tx runs fn in one transaction, committing when fn returns nil.
func (s *Store) tx(ctx context.Context, fn func(*sqlx.Tx) error) error {
	tx, err := s.db.BeginTxx(ctx, nil)
	if err != nil {
		return wrapDBError(err)
	}
	if err := s.lockWrites(ctx, tx); err != nil {
		tx.Rollback()
		return wrapDBError(err)
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return wrapDBError(err)
	}
	if s.audit != nil {
		if err := s.insertAudit(ctx, tx, *s.audit); err != nil {
			tx.Rollback()
			return wrapDBError(err)
		}
	}
	return wrapDBError(tx.Commit())
}

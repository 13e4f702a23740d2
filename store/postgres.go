package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/jmoiron/sqlx"
	"github.com/oaq/custodia/internal/dburl"
)

// pgInfo is what a store on PostgreSQL keeps of its URL: the URL itself
// (it may hold a password: never in a log or an error) and its redacted
// form.
type pgInfo struct {
	url      string
	redacted string
}

// writeLockKey names the advisory lock every PostgreSQL transaction of
// the store takes first (pg_advisory_xact_lock): transactions run one at
// a time, as SQLite's BEGIN IMMEDIATE makes them, so that what the store
// reads and then writes in one transaction (quotas, the outbox's order,
// a migration's version) holds across gateways sharing the database.
const writeLockKey int64 = 0x637573746f646961 // "custodia"

// IsPostgresURL says whether u names a PostgreSQL database.
func IsPostgresURL(u string) bool {
	return strings.HasPrefix(u, "postgres://") || strings.HasPrefix(u, "postgresql://")
}

// RedactURL is u with its password, if any, replaced by "xxxxx".
func RedactURL(u string) string { return dburl.Redact(u) }

// OpenURL opens the store a configuration names: the PostgreSQL database
// of dbURL (postgres://… or postgresql://…), or, when dbURL is empty, the
// SQLite database in file (see Open). Any other URL is an error.
func OpenURL(ctx context.Context, dbURL, file string) (*Store, error) {
	switch {
	case dbURL == "":
		return Open(ctx, file)
	case IsPostgresURL(dbURL):
		return openPostgres(ctx, dbURL)
	}
	return nil, fmt.Errorf("store: database URL %s: want postgres://… or postgresql://…, or none for SQLite in the data dir", RedactURL(dbURL))
}

func openPostgres(ctx context.Context, dbURL string) (*Store, error) {
	info := &pgInfo{url: dbURL, redacted: RedactURL(dbURL)}
	if _, err := url.Parse(dbURL); err != nil {
		return nil, fmt.Errorf("store: database URL %s: not a URL", info.redacted)
	}
	cfg, err := pgx.ParseConfig(dbURL)
	if err != nil {
		// pgx redacts the password in its parse errors; ours says which URL.
		return nil, fmt.Errorf("store: database URL %s: %w", info.redacted, err)
	}
	// As SQLite's busy_timeout: a transaction waits at most this long for
	// the write lock (or any other), then fails instead of hanging.
	if _, set := cfg.RuntimeParams["lock_timeout"]; !set {
		cfg.RuntimeParams["lock_timeout"] = "10s"
	}
	db := sqlx.NewDb(sql.OpenDB(pgTextConnector{stdlib.GetConnector(*cfg)}), "pgx")
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(5 * time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store: open %s: %w", info.redacted, err)
	}
	if err := checkCollation(ctx, db, info); err != nil {
		db.Close()
		return nil, err
	}
	s := &Store{db: db, pg: info, now: time.Now, group: &commitGroup{}}
	if err := s.migrate(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// checkCollation refuses a database whose text does not compare and
// change case as SQLite's does (bytewise; lower() of ASCII only): the C
// (or POSIX) collation and character classes.
func checkCollation(ctx context.Context, db *sqlx.DB, info *pgInfo) error {
	var collate, ctype string
	if err := db.QueryRowContext(ctx, `SELECT datcollate, datctype FROM pg_database WHERE datname = current_database()`).
		Scan(&collate, &ctype); err != nil {
		return fmt.Errorf("store: open %s: %w", info.redacted, err)
	}
	isC := func(l string) bool { return l == "C" || l == "POSIX" }
	if !isC(collate) || !isC(ctype) {
		return fmt.Errorf("store: database %s has LC_COLLATE %q and LC_CTYPE %q: custodia needs C; create it with "+
			"CREATE DATABASE name TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'", info.redacted, collate, ctype)
	}
	return nil
}

// lockWrites takes the store's write lock for the rest of tx on
// PostgreSQL (SQLite's _txlock=immediate already did on BEGIN).
func (s *Store) lockWrites(ctx context.Context, tx *sqlx.Tx) error {
	if s.pg == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `SELECT pg_advisory_xact_lock($1)`, writeLockKey)
	return err
}

// Postgres says whether the store is on PostgreSQL (else SQLite).
func (s *Store) Postgres() bool { return s.pg != nil }

package store

import (
	"database/sql"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// pgUniqueViolation is PostgreSQL's SQLSTATE for a unique or primary key
// constraint that an insert or update would break.
const pgUniqueViolation = "23505"

// wrapDBError folds driver errors into the package sentinels, by the
// drivers' error codes (never their message text, which changes with
// versions and locales): no row is ErrNotFound; a unique or primary key
// violation, on SQLite or PostgreSQL, is ErrConflict.
func wrapDBError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w", ErrNotFound)
	}
	if isUniqueViolation(err) {
		return fmt.Errorf("%w", ErrConflict)
	}
	return err
}

func isUniqueViolation(err error) bool {
	if se, ok := errors.AsType[*sqlite.Error](err); ok {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return true
		}
	}
	if pe, ok := errors.AsType[*pgconn.PgError](err); ok {
		return pe.Code == pgUniqueViolation
	}
	return false
}

package store

import (
	"context"
	"database/sql/driver"
	"reflect"

	"modernc.org/sqlite"
)

// maxCachedStmts bounds the statements one SQLite connection keeps
// prepared; the store runs far fewer distinct ones with arguments.
const maxCachedStmts = 256

// cachingConnector opens SQLite connections that keep each statement
// they run with arguments prepared, keyed by its text, and run it again
// from there: SQLite parses and plans a statement in about as long as it
// takes to run a small one, and an upload runs a dozen (its quotas, its
// pending note, its audit row, charge and event). PostgreSQL needs none
// of this: pgx caches the statements of each connection itself.
type cachingConnector struct{ driver.Connector }

func newCachingConnector(dsn string) (driver.Connector, error) {
	c, err := sqlite.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	return cachingConnector{c}, nil
}

func (c cachingConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &cachingConn{Conn: conn, stmts: map[string]*cachedStmt{}}, nil
}

// sqliteConn is what every connection the SQLite driver opens implements
// (sqlite.NewConnector's documentation lists it); a wrapper forwards all of it.
type sqliteConn interface {
	driver.Conn
	driver.ConnBeginTx
	driver.ConnPrepareContext
	driver.ExecerContext
	driver.QueryerContext
	driver.Pinger
	driver.SessionResetter
	driver.Validator
}

// cachingConn is one SQLite connection and its prepared statements.
// database/sql uses a connection from one goroutine at a time, so the
// map needs no lock.
type cachingConn struct {
	driver.Conn
	stmts map[string]*cachedStmt
}

// cachedStmt is a prepared statement; busy while rows read from it are
// open (a second query of the same text on the connection then prepares
// its own statement, as without the cache).
type cachedStmt struct {
	driver.Stmt
	busy bool
}

func (c *cachingConn) conn() sqliteConn { return c.Conn.(sqliteConn) }

// Unwrap returns the driver's connection (sqlite.Limit looks for it).
func (c *cachingConn) Unwrap() driver.Conn { return c.Conn }

// stmt returns the prepared statement of query, preparing it once; nil
// when it is busy or the cache is full (the caller runs query unprepared).
func (c *cachingConn) stmt(ctx context.Context, query string) (*cachedStmt, error) {
	if s, ok := c.stmts[query]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if len(c.stmts) >= maxCachedStmts {
		return nil, nil
	}
	ds, err := c.conn().PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{Stmt: ds}
	c.stmts[query] = s
	return s, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	if len(args) == 0 { // schema changes and scripts: run once, nothing to keep
		return c.conn().ExecContext(ctx, query, args)
	}
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.conn().ExecContext(ctx, query, args)
	}
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	if len(args) == 0 {
		return c.conn().QueryContext(ctx, query, args)
	}
	s, err := c.stmt(ctx, query)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.conn().QueryContext(ctx, query, args)
	}
	rows, err := s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: rows, s: s}, nil
}

func (c *cachingConn) Close() error {
	for _, s := range c.stmts {
		s.Close()
	}
	c.stmts = nil
	return c.Conn.Close()
}

func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.conn().BeginTx(ctx, opts)
}

func (c *cachingConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	return c.conn().PrepareContext(ctx, query)
}

func (c *cachingConn) Ping(ctx context.Context) error { return c.conn().Ping(ctx) }

func (c *cachingConn) ResetSession(ctx context.Context) error { return c.conn().ResetSession(ctx) }

func (c *cachingConn) IsValid() bool { return c.conn().IsValid() }

// cachedRows are rows of a cached statement: closing them frees it.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

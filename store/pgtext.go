package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"
	"unicode/utf8"
)

// PostgreSQL's text holds valid UTF-8 without NUL; SQLite's holds any
// bytes, and strangers choose some of what the store keeps (a login
// name in a failed login's audit row, a path). So that such a row is
// written, and read back byte for byte, on PostgreSQL too, every string
// the store sends is encoded and every string it reads decoded, below
// database/sql (pgTextConnector): a NUL or a byte that is not UTF-8
// becomes pgEsc followed by the rune pgByteBase+byte, and pgEsc itself
// becomes pgEsc twice. Valid text without pgEsc is unchanged, so
// comparisons, prefixes and lower() mean what they mean on SQLite.
const (
	pgEsc      = '\U0010FFFF' // a noncharacter: no text has it by accident
	pgByteBase = 0x10FE00     // + byte, in the private use plane 16
)

func pgEncode(s string) string {
	clean := true
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == 0 || r == pgEsc || (r == utf8.RuneError && n == 1) {
			clean = false
			break
		}
		i += n
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == pgEsc:
			b.WriteRune(pgEsc)
			b.WriteRune(pgEsc)
		case r == 0 || (r == utf8.RuneError && n == 1):
			b.WriteRune(pgEsc)
			b.WriteRune(rune(pgByteBase + int(s[i])))
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func pgDecode(s string) string {
	if !strings.ContainsRune(s, pgEsc) {
		return s
	}
	var b strings.Builder
	rs := []rune(s)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if r != pgEsc || i+1 == len(rs) {
			b.WriteRune(r)
			continue
		}
		i++
		switch next := rs[i]; {
		case next == pgEsc:
			b.WriteRune(pgEsc)
		case next >= pgByteBase && next < pgByteBase+256:
			b.WriteByte(byte(next - pgByteBase))
		default: // not ours: kept as it is
			b.WriteRune(r)
			b.WriteRune(next)
		}
	}
	return b.String()
}

// pgTextConnector wraps pgx's connector so that string arguments are
// pgEncoded and string results pgDecoded.
type pgTextConnector struct{ driver.Connector }

func (c pgTextConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return pgTextConn{conn}, nil
}

// pgTextConn is a pgx connection that encodes and decodes text. It has
// no Prepare of its own use: the store runs every statement through
// ExecContext and QueryContext.
type pgTextConn struct{ driver.Conn }

var errPgTextPrepare = errors.New("store: prepared statements are not used on PostgreSQL")

func (c pgTextConn) Prepare(string) (driver.Stmt, error) { return nil, errPgTextPrepare }

func (c pgTextConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
}

func (c pgTextConn) Ping(ctx context.Context) error { return c.Conn.(driver.Pinger).Ping(ctx) }

func (c pgTextConn) ResetSession(ctx context.Context) error {
	return c.Conn.(driver.SessionResetter).ResetSession(ctx)
}

func (c pgTextConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

func (c pgTextConn) CheckNamedValue(v *driver.NamedValue) error {
	if err := c.Conn.(driver.NamedValueChecker).CheckNamedValue(v); err != nil {
		return err
	}
	// pgx takes values as they are (sql.NullString, *string, Role…):
	// every kind of string is found and encoded here.
	val := v.Value
	if vr, ok := val.(driver.Valuer); ok {
		var err error
		if val, err = vr.Value(); err != nil {
			return err
		}
	}
	rv := reflect.ValueOf(val)
	if rv.Kind() == reflect.Pointer {
		if rv.IsNil() {
			v.Value = nil
			return nil
		}
		rv = rv.Elem()
	}
	if rv.Kind() == reflect.String {
		v.Value = pgEncode(rv.String())
		return nil
	}
	v.Value = val
	return nil
}

func (c pgTextConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

func (c pgTextConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
	if err != nil {
		return nil, err
	}
	return pgTextRows{rows}, nil
}

type pgTextRows struct{ driver.Rows }

func (r pgTextRows) Next(dest []driver.Value) error {
	if err := r.Rows.Next(dest); err != nil {
		return err
	}
	for i, v := range dest {
		if s, ok := v.(string); ok {
			dest[i] = pgDecode(s)
		}
	}
	return nil
}

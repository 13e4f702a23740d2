package config

import (
	"net/url"
	"strings"

	"github.com/oaq/custodia/internal/dburl"
)

// Database names the store's database.
type Database struct {
	// URL is postgres://user:password@host:port/name?sslmode=… (or
	// postgresql://…) for PostgreSQL, shared by several gateways; empty is
	// SQLite in the data dir (custodia.db). The password is never printed.
	URL string `toml:"url"`
}

// Postgres says whether the store is on PostgreSQL.
func (d Database) Postgres() bool { return d.URL != "" }

// RedactedURL is the URL with its password, if any, replaced by xxxxx:
// what check-config and the logs show.
func (d Database) RedactedURL() string { return dburl.Redact(d.URL) }

func (c Config) validateDatabase() Problems {
	d := c.Database
	if d.URL == "" {
		return nil
	}
	bad := func(msg string) Problems {
		return Problems{{"database.url", dburl.Redact(d.URL) + ": " + msg}}
	}
	u, err := url.Parse(d.URL)
	switch {
	case err != nil:
		// url's errors quote the whole URL, password and all: not shown.
		return Problems{{"database.url", "not a URL; want postgres://user:password@host:port/name"}}
	case u.Scheme != "postgres" && u.Scheme != "postgresql":
		return bad("want postgres://… or postgresql://… (PostgreSQL), or no URL for SQLite in the data dir")
	case u.Host == "" && u.Query().Get("host") == "":
		return bad("names no host")
	case strings.Trim(u.Path, "/") == "":
		return bad("names no database: want postgres://user:password@host:port/name")
	}
	return nil
}

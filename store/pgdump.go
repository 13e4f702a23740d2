package store

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// SnapshotName is the name a database snapshot has in a backup archive:
// custodia.db (a SQLite database) or custodia.pgdump (pg_dump's custom
// format, which pg_restore reads).
func (s *Store) SnapshotName() string {
	if s.pg != nil {
		return "custodia.pgdump"
	}
	return "custodia.db"
}

// ErrNoPgDump is returned when a snapshot of a PostgreSQL store is asked
// for and pg_dump cannot be found.
var ErrNoPgDump = errors.New("pg_dump not found: install PostgreSQL's client (Debian: apt-get install postgresql-client), at least the server's version")

// pgDump writes a consistent dump of the database (one transaction
// snapshot) to file in pg_dump's custom format, without owners or grants
// so that it restores into any database. The password goes to pg_dump in
// its environment, never on its command line.
func (s *Store) pgDump(ctx context.Context, file string) error {
	bin := pgDumpPath()
	if bin == "" {
		return fmt.Errorf("store: snapshot of %s: %w", s.pg.redacted, ErrNoPgDump)
	}
	u, err := url.Parse(s.pg.url)
	if err != nil {
		return fmt.Errorf("store: snapshot of %s: not a URL", s.pg.redacted)
	}
	password, _ := u.User.Password()
	if u.User != nil {
		u.User = url.User(u.User.Username())
	}
	q := u.Query()
	if p := q.Get("password"); p != "" {
		password = p
		q.Del("password")
		u.RawQuery = q.Encode()
	}
	cmd := exec.CommandContext(ctx, bin, "--format=custom", "--no-owner", "--no-privileges",
		"--file="+file, "--dbname="+u.String())
	cmd.Env = append(os.Environ(), "PGPASSWORD="+password, "PGCONNECT_TIMEOUT=30")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if password != "" {
			msg = strings.ReplaceAll(msg, password, "xxxxx")
		}
		if len(msg) > 2000 {
			msg = msg[:2000] + "…"
		}
		return fmt.Errorf("store: snapshot of %s: %s: %v: %s", s.pg.redacted, filepath.Base(bin), err, msg)
	}
	return nil
}

// pgDumpPath is pg_dump: on PATH (Debian's wrapper picks the newest
// installed version), else the newest of /usr/lib/postgresql/*/bin.
func pgDumpPath() string {
	if p, err := exec.LookPath("pg_dump"); err == nil {
		return p
	}
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin/pg_dump")
	sort.Slice(dirs, func(i, j int) bool { return pgMajor(dirs[i]) > pgMajor(dirs[j]) })
	if len(dirs) > 0 {
		return dirs[0]
	}
	return ""
}

func pgMajor(p string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(filepath.Dir(p))))
	return n
}

package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
)

// JobBackups is a job's newest run and its newest good one (nil when no
// run of the job was ever good).
type JobBackups struct {
	Last Backup
	Good *Backup
}

// LastBackups returns, for every job that has run, its newest run and its
// newest run whose status is one of good, in one query that reads two
// rows a job (the index on job and start), however many runs there were.
// Jobs come in name order.
func (s *Store) LastBackups(ctx context.Context, good ...string) ([]JobBackups, error) {
	args := []any{}
	in := make([]string, len(good))
	for i, g := range good {
		args = append(args, g)
		in[i] = "$" + strconv.Itoa(i+1)
	}
	goodCond := "1 = 0"
	if len(good) > 0 {
		goodCond = "status IN (" + strings.Join(in, ", ") + ")"
	}
	q := `WITH jobs AS (SELECT DISTINCT job FROM backups)
		SELECT 'last' AS which, b.* FROM jobs JOIN backups b ON b.id =
			(SELECT id FROM backups WHERE job = jobs.job ORDER BY started_at DESC, id DESC LIMIT 1)
		UNION ALL
		SELECT 'good' AS which, b.* FROM jobs JOIN backups b ON b.id =
			(SELECT id FROM backups WHERE job = jobs.job AND ` + goodCond + ` ORDER BY started_at DESC, id DESC LIMIT 1)`
	q = `SELECT which, ` + backupCols + ` FROM (` + q + `) AS latest ORDER BY job, which DESC`
	var rows []struct {
		Which string `db:"which"`
		Backup
	}
	if err := s.db.SelectContext(ctx, &rows, q, args...); err != nil {
		return nil, fmt.Errorf("store: last backups: %w", err)
	}
	var out []JobBackups
	for _, r := range rows { // per job: 'last', then 'good' if any
		r.parseTimes()
		if r.Which == "last" {
			out = append(out, JobBackups{Last: r.Backup})
			continue
		}
		g := r.Backup
		out[len(out)-1].Good = &g
	}
	return out, nil
}

// RecentBackups returns the newest limit runs, newest first, of a job (""
// for every job's) with a status ("" for any).
func (s *Store) RecentBackups(ctx context.Context, job, status string, limit int) ([]Backup, error) {
	var bs []Backup
	err := s.db.SelectContext(ctx, &bs, `SELECT `+backupCols+` FROM backups
		WHERE ($1 = '' OR job = $1) AND ($2 = '' OR status = $2) ORDER BY started_at DESC, id DESC LIMIT $3`, job, status, limit)
	if err != nil {
		return nil, fmt.Errorf("store: recent backups: %w", err)
	}
	for i := range bs {
		bs[i].parseTimes()
	}
	return bs, nil
}

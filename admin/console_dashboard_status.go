package admin

import (
	"cmp"
	"context"
	"slices"
	"time"

	"github.com/oaq/custodia/store"
)

// backupSection is every configured backup job (a job that never ran
// says so) and every job that has run, with its last run (the store's
// runs, as GET /api/v1/backups?all=true lists them).
type backupSection struct {
	Jobs []backupRow
}

// backupRow is one job: its last run and its last good one.
type backupRow struct {
	Job                   string
	LastStatus, LastKind  string
	LastStarted, LastSize string
	LastError             string
	OK                    bool // the last run is ok
	Running               bool
	GoodAt, SinceGood     string // "" when no run was ever good
}

func (c *console) backupSection(ctx context.Context, now time.Time) (backupSection, error) {
	jbs, err := c.s.o.Store.LastBackups(ctx, store.BackupOK)
	if err != nil {
		return backupSection{}, err
	}
	var s backupSection
	ran := map[string]bool{}
	for _, jb := range jbs {
		b := jb.Last
		ran[b.Job] = true
		r := backupRow{Job: b.Job, LastStatus: b.Status, LastKind: b.Kind, LastStarted: localTime(b.StartedAt),
			LastError: b.Error, OK: b.Status == store.BackupOK, Running: b.Status == store.BackupRunning}
		if b.Status == store.BackupOK {
			r.LastSize = bytesText(b.Size)
		}
		if g := jb.Good; g != nil {
			at := g.FinishedAt
			if at.IsZero() {
				at = g.StartedAt
			}
			r.GoodAt, r.SinceGood = localTime(at), durationText(now.Sub(at))
		}
		s.Jobs = append(s.Jobs, r)
	}
	if c.s.o.Backups != nil {
		for _, j := range c.s.o.Backups.Jobs() {
			if !ran[j.Name] {
				s.Jobs = append(s.Jobs, backupRow{Job: j.Name})
			}
		}
	}
	slices.SortFunc(s.Jobs, func(a, b backupRow) int { return cmp.Compare(a.Job, b.Job) })
	return s, nil
}

// hookSection is the hooks that have seen events (GET /api/v1/hooks) and
// which of them fail.
type hookSection struct {
	Known   int       // hooks with a cursor
	Failing []hookRow // failing on an event now, or with dead letters
}

// hookRow is a failing hook.
type hookRow struct {
	Name        string
	Attempts    int // failed tries of the event it is stuck on (0: not stuck)
	LastError   string
	Since       string // when its state last changed
	DeadLetters int
}

func (c *console) hookSection(ctx context.Context) (hookSection, error) {
	cs, err := c.s.o.Store.HookCursors(ctx)
	if err != nil {
		return hookSection{}, err
	}
	dead, err := c.s.o.Store.DeadLetterCounts(ctx)
	if err != nil {
		return hookSection{}, err
	}
	s := hookSection{Known: len(cs)}
	for _, h := range cs {
		if h.Attempts == 0 && dead[h.Hook] == 0 {
			continue
		}
		s.Failing = append(s.Failing, hookRow{Name: h.Hook, Attempts: h.Attempts, LastError: h.LastError,
			Since: localTime(h.UpdatedAt), DeadLetters: dead[h.Hook]})
	}
	return s, nil
}

package backup

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"github.com/oaq/custodia/internal/schedule"
	"github.com/oaq/custodia/store"
)

// retryDelay is how long a failed run waits before its next try; after
// maxRetries tries in a row, it waits for its schedule instead.
const (
	retryDelay = 15 * time.Minute
	maxRetries = 3
)

// plan is one schedule of one job.
type plan struct {
	job   string
	kind  string
	sched cron.Schedule
	next  time.Time
	due   time.Time // the scheduled time this run is for, when it runs late (missed); zero: next
	fails int
}

// claimKey is the scheduled time of the plan's next run, the same in
// every gateway that shares the database.
func (p *plan) claimKey() time.Time {
	if p.due.IsZero() {
		return p.next
	}
	return p.due
}

// Schedule runs the jobs on their cron schedules until ctx ends, one run
// at a time. A run the server missed (it was stopped) runs at start; a
// full run due at the same time as an incremental one replaces it. A run
// refused because the job is running (from the console or the command
// line) is logged at WARN and audited (a failed backup.run on the job's
// name: there is no backup), and retried as a failed run is.
//
// Several gateways sharing the database each run a schedule: each run
// (job, kind, scheduled time) is claimed in the store first, and only the
// gateway whose claim came first runs it; the others go on to the next.
func (r *Runner) Schedule(ctx context.Context) error {
	if err := r.recoverInterrupted(ctx); err != nil {
		return err
	}
	plans, err := r.plans(ctx)
	if err != nil {
		return err
	}
	for len(plans) > 0 {
		due := plans[0]
		for _, p := range plans[1:] {
			if p.next.Before(due.next) || (p.next.Equal(due.next) && p.kind == Full && p.job == due.job) {
				due = p
			}
		}
		if wait := due.next.Sub(r.o.Now()); wait > 0 {
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
		}
		if ctx.Err() != nil {
			return nil
		}
		claimed, err := r.o.Store.ClaimBackupRun(ctx, due.job, due.kind, due.claimKey(), r.o.Holder)
		if err != nil { // retried as a failed run is
			r.log.Error("scheduled backup not run: its claim failed", "job", due.job, "kind", due.kind, "err", err)
		}
		if err == nil && !claimed {
			r.log.Info("scheduled backup run by another gateway", "job", due.job, "kind", due.kind, "due", due.claimKey())
			now := r.o.Now()
			for _, p := range plans { // as a full run here would, one there covers the job's incremental runs due now
				if p.job == due.job && p.kind == Incremental && due.kind == Full && !p.next.After(now) {
					p.next, p.due = p.sched.Next(now), time.Time{}
				}
			}
			due.next, due.due, due.fails = due.sched.Next(now), time.Time{}, 0
			continue
		}
		var b store.Backup
		if err == nil {
			b, err = r.runScheduled(ctx, due.job, due.kind)
		}
		if errors.Is(err, store.ErrBackupBusy) { // a console or command-line run holds the job; it retries as a failed run does
			r.log.Warn("scheduled backup not run: the job is running", "job", due.job, "kind", due.kind, "err", err)
			r.audit(ctx, "backup.run", due.job, 0, "", err)
		}
		now := r.o.Now()
		for _, p := range plans { // a full run covers the job's incremental runs due now
			if p.job == due.job && p.kind == Incremental && b.Kind == Full && b.Status == store.BackupOK && !p.next.After(now) {
				p.next, p.due = p.sched.Next(now), time.Time{}
			}
		}
		due.next, due.due = due.sched.Next(now), time.Time{}
		failed := err != nil && b.Status != store.BackupOK // not a retention error after a complete backup
		if failed && ctx.Err() == nil && due.fails < maxRetries {
			due.fails++
			due.next = now.Add(retryDelay)
		} else {
			due.fails = 0
		}
	}
	<-ctx.Done()
	return nil
}

// runScheduled runs a claimed run. A job held by no run (a recovery or a
// prune holds it briefly, here or in another gateway: all gateways
// recover at start) is tried again for up to a lease TTL before the run
// counts as refused.
func (r *Runner) runScheduled(ctx context.Context, job, kind string) (store.Backup, error) {
	for deadline := r.o.Now().Add(r.o.LeaseTTL); ; {
		b, err := r.Run(ctx, job, kind)
		if !errors.Is(err, store.ErrBackupBusy) || !r.o.Now().Before(deadline) || r.jobRunning(ctx, job) {
			return b, err
		}
		t := time.NewTimer(r.o.LeaseTTL / 20)
		select {
		case <-ctx.Done():
			t.Stop()
			return b, err
		case <-t.C:
		}
	}
}

// jobRunning tells whether a run of the job is recorded as running (an
// error counts as running: the refusal stands).
func (r *Runner) jobRunning(ctx context.Context, job string) bool {
	bs, err := r.o.Store.Backups(ctx, job)
	return err != nil || slices.ContainsFunc(bs, func(b store.Backup) bool { return b.Status == store.BackupRunning })
}

// plans reads each job's schedules; a run missed since the job's last
// run is due now.
func (r *Runner) plans(ctx context.Context) ([]*plan, error) {
	var plans []*plan
	now := r.o.Now().In(r.o.Location)
	for _, j := range r.o.Jobs {
		bs, err := r.o.Store.Backups(ctx, j.Name)
		if err != nil {
			return nil, err
		}
		for _, x := range []struct{ kind, expr string }{{Full, j.Full}, {Incremental, j.Incremental}} {
			if x.expr == "" {
				continue
			}
			s, err := schedule.Parse(x.expr)
			if err != nil {
				return nil, fmt.Errorf("backup job %s: %s schedule %q: %w", j.Name, x.kind, x.expr, err)
			}
			p := &plan{job: j.Name, kind: x.kind, sched: s, next: s.Next(now)}
			if last, ok := lastStart(bs, x.kind); ok && !s.Next(last.In(r.o.Location)).After(now) {
				p.next, p.due = now, s.Next(last.In(r.o.Location))
			}
			plans = append(plans, p)
		}
	}
	return plans, nil
}

// lastStart is when the job last ran a backup of this kind (a full one
// also serves for an incremental), whatever its outcome.
func lastStart(bs []store.Backup, kind string) (time.Time, bool) {
	for i := len(bs) - 1; i >= 0; i-- {
		if bs[i].Kind == kind || kind == Incremental {
			return bs[i].StartedAt, true
		}
	}
	return time.Time{}, false
}

// recoverInterrupted marks the runs a stopped process left running as
// failed and removes what they wrote, on every target: they never count.
// A job another process is running now (its lock is held) is left alone.
// The job's runs are read only once its lock is held: a run that ended
// while recovery handled another job (the console's "run now", the CLI
// through the management socket) is never taken for an interrupted one.
func (r *Runner) recoverInterrupted(ctx context.Context) error {
	for _, j := range r.o.Jobs {
		if !r.jobRunning(ctx, j.Name) {
			continue // nothing to recover: the job is not held for nothing (a run now may come at once)
		}
		_, unlock, err := r.lockJob(ctx, j.Name)
		if err != nil {
			continue // running elsewhere
		}
		err = r.recoverJob(ctx, j)
		unlock()
		if err != nil {
			return err
		}
	}
	return nil
}

// recoverJob fails a locked job's runs left running and removes their
// copies and temporary files.
func (r *Runner) recoverJob(ctx context.Context, j Job) error {
	bs, err := r.o.Store.Backups(ctx, j.Name)
	if err != nil {
		return err
	}
	for _, b := range bs {
		if b.Status != store.BackupRunning {
			continue
		}
		b.Status, b.Error, b.FinishedAt = store.BackupFailed, "interrupted: the process stopped during the run", r.o.Now()
		failed, err := r.o.Store.FailRunningBackup(ctx, b)
		if err != nil {
			return err
		}
		if !failed {
			continue // it ended after all
		}
		all := r.o.Local.Name()
		for _, t := range r.o.Remotes {
			all += "," + t.Name()
		}
		if err := r.removeCopies(ctx, archiveName(b.Job, b.ID), all); err != nil {
			r.log.Warn("an interrupted backup's copies could not all be removed", "id", b.ID, "err", err)
		}
		r.log.Warn("backup interrupted by a stop; it does not count", "job", b.Job, "id", b.ID)
	}
	leftovers, _ := filepath.Glob(filepath.Join(r.o.Local.Dir, j.Name, ".*.part"))
	if j.Source == DatabaseSource {
		snaps, _ := filepath.Glob(filepath.Join(r.o.Local.Dir, ".snapshot-"+j.Name+"-*.db"))
		leftovers = append(leftovers, snaps...)
	}
	for _, f := range leftovers {
		os.Remove(f)
	}
	return nil
}

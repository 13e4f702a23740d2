package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
)

// Prune applies a job's retention ("" for every job) and returns the
// backups it removed. A backup that an open restore request names, or
// that a kept backup builds on, stays.
func (r *Runner) Prune(ctx context.Context, job string) ([]store.Backup, error) {
	var removed []store.Backup
	var errs []error
	for _, j := range r.o.Jobs {
		if job != "" && j.Name != job {
			continue
		}
		_, unlock, err := r.lockJob(ctx, j.Name)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		rm, err := r.prune(ctx, j)
		unlock()
		removed = append(removed, rm...)
		if err != nil {
			errs = append(errs, err)
		}
	}
	return removed, errors.Join(errs...)
}

// prune applies one job's retention; the caller holds the job's lock.
func (r *Runner) prune(ctx context.Context, j Job) ([]store.Backup, error) {
	bs, err := r.o.Store.Backups(ctx, j.Name)
	if err != nil {
		return nil, err
	}
	var ok []store.Backup
	for _, b := range bs {
		if b.Status == store.BackupOK {
			ok = append(ok, b)
		}
	}
	keep := j.Keep.kept(ok, r.o.Location)
	if err := r.keepRequested(ctx, ok, keep); err != nil {
		return nil, err
	}
	var removed []store.Backup
	var errs []error
	locked := 0
	for _, b := range ok {
		if keep[b.ID] {
			continue
		}
		// A copy still under object lock cannot go: the backup stays
		// whole, everywhere, until the lock ends; then a prune takes it.
		until, err := r.lockedUntil(ctx, archiveName(b.Job, b.ID), b.Targets, r.o.Now())
		if err != nil {
			errs = append(errs, fmt.Errorf("prune %s: %w", b.ID, err))
			continue
		}
		if !until.IsZero() {
			locked++
			r.log.Info("backup kept past its retention: its copy is locked", "job", b.Job, "id", b.ID,
				"until", until.UTC().Format(time.RFC3339))
			continue
		}
		err = r.removeCopies(ctx, archiveName(b.Job, b.ID), b.Targets)
		if err == nil {
			err = r.o.Store.PruneBackup(ctx, b.ID)
		}
		r.audit(ctx, "backup.prune", b.ID, b.Size, b.SHA256, err)
		if err != nil {
			errs = append(errs, fmt.Errorf("prune %s: %w", b.ID, err))
			continue
		}
		removed = append(removed, b)
	}
	r.metrics.lockedKept.WithLabelValues(j.Name).Set(float64(locked))
	return removed, errors.Join(errs...)
}

// keepRequested adds to keep the backups open restore requests need.
func (r *Runner) keepRequested(ctx context.Context, ok []store.Backup, keep map[string]bool) error {
	reqs, err := r.o.Store.RestoreRequests(ctx)
	if err != nil {
		return err
	}
	byID := map[string]store.Backup{}
	for _, b := range ok {
		byID[b.ID] = b
	}
	for _, q := range reqs {
		if !q.Open() {
			continue
		}
		for b, found := byID[q.BackupID]; found; b, found = byID[b.Base] {
			keep[b.ID] = true
		}
	}
	return nil
}

// open reads a backup's archive from the first target that has it,
// checking the archive's sha256 as it is read: the reader's Close fails
// when the bytes differ from those recorded.
func (r *Runner) open(ctx context.Context, b store.Backup) (io.ReadCloser, error) {
	name := archiveName(b.Job, b.ID)
	var errs []error
	if hasTarget(b.Targets, r.o.Local.Name()) {
		f, err := r.o.Local.Open(ctx, name)
		if err == nil {
			return newChecked(f, b), nil
		}
		errs = append(errs, err)
	}
	for _, t := range r.o.Remotes {
		if hasTarget(b.Targets, t.Name()) {
			f, err := t.Open(ctx, name)
			if err == nil {
				return newChecked(f, b), nil
			}
			errs = append(errs, err)
		}
	}
	if len(errs) == 0 {
		return nil, fmt.Errorf("backup %s: no configured target holds it (it was on: %s)", b.ID, b.Targets)
	}
	return nil, errors.Join(errs...)
}

// Verify decrypts a backup with the identities and checks the archive's
// checksum and every file's size and sha256 against its manifest.
// One verification runs at a time (another is refused with
// store.ErrVerifyBusy); it stops when ctx ends or at Close, which waits
// for it.
func (r *Runner) Verify(ctx context.Context, id string, ids []age.Identity) (Manifest, error) {
	ctx, done, err := r.bg.beginVerify(ctx)
	if err != nil {
		return Manifest{}, err
	}
	defer done()
	b, err := r.o.Store.BackupByID(ctx, id)
	if err != nil {
		return Manifest{}, err
	}
	m, err := r.verify(ctx, b, ids, visitor{})
	r.audit(ctx, "backup.verify", id, b.Size, b.SHA256, err)
	return m, err
}

// verify reads a backup whole through v, then checks it.
func (r *Runner) verify(ctx context.Context, b store.Backup, ids []age.Identity, v visitor) (Manifest, error) {
	if b.Status != store.BackupOK {
		return Manifest{}, fmt.Errorf("backup %s is %s, not ok", b.ID, b.Status)
	}
	rc, err := r.open(ctx, b)
	if err != nil {
		return Manifest{}, err
	}
	m, err := readArchive(ctx, rc, ids, v)
	if err == nil {
		_, err = io.Copy(io.Discard, ctxReader{ctx, rc}) // the checksum covers every byte
	}
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil && ctx.Err() != nil { // the decoders need not wrap their reader's error
		err = fmt.Errorf("backup %s: reading stopped: %w", b.ID, ctx.Err())
	}
	if err == nil && (m.ID != b.ID || m.Job != b.Job) {
		err = fmt.Errorf("backup %s: the archive's manifest names %s of job %s", b.ID, m.ID, m.Job)
	}
	return m, err
}

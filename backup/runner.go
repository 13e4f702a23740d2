package backup

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"

	"filippo.io/age"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/store"
)

// Options configure a Runner.
type Options struct {
	Store    *store.Store
	FilesDir string // the files/ tree
	// Tree, when set, is where the files are read from instead of
	// FilesDir: the files live in an object store (storage.Files with
	// storage.backend = "s3"). Restores are staged in FilesDir then, and
	// put into it.
	Tree       Tree
	Local      Local
	Remotes    []Remote
	Recipients []age.Recipient
	Jobs       []Job
	// ClientApprovers are the managers who approve restores of client
	// folders.
	ClientApprovers []string
	// ApproverMinAge is how old a manager's account must be to approve a
	// restore, so that an admin cannot make a stand-in manager and approve
	// their own request with it; 0 is no minimum.
	ApproverMinAge time.Duration
	Rules          Rules         // checks and grants requesters their restored files; nil: only the operator may request
	GrantTTL       time.Duration // how long a requester may read a restore; 0 is DefaultGrantTTL
	Logger         *slog.Logger
	Now            func() time.Time      // the clock; nil is time.Now
	Location       *time.Location        // calendar of retention and schedules; nil is time.Local
	Metrics        prometheus.Registerer // nil: no metrics
	// Holder names this process among the gateways that share the store
	// ("" is store.NewHolder()); LeaseTTL is how long a job's lease lasts
	// unrenewed (0 is DefaultLeaseTTL).
	Holder   string
	LeaseTTL time.Duration
}

// DefaultLeaseTTL is Options.LeaseTTL when it is not set: how soon a job
// a dead gateway held may run elsewhere.
const DefaultLeaseTTL = 15 * time.Second

// Runner runs backup jobs, prunes and verifies their archives.
type Runner struct {
	o       Options
	log     *slog.Logger
	jobs    map[string]Job
	metrics *metrics
	bg      *background // the runs Start began
}

// New returns a runner.
func New(o Options) *Runner {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Location == nil {
		o.Location = time.Local
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.GrantTTL <= 0 {
		o.GrantTTL = DefaultGrantTTL
	}
	if o.Holder == "" {
		o.Holder = store.NewHolder()
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	r := &Runner{o: o, log: o.Logger, jobs: map[string]Job{}, metrics: newMetrics(o.Metrics), bg: newBackground()}
	for _, j := range o.Jobs {
		r.jobs[j.Name] = j
	}
	return r
}

// Job returns a job by name.
func (r *Runner) Job(name string) (Job, error) {
	j, ok := r.jobs[name]
	if !ok {
		names := make([]string, 0, len(r.jobs))
		for n := range r.jobs {
			names = append(names, n)
		}
		sort.Strings(names)
		return j, fmt.Errorf("no backup job %q (jobs: %s)", name, strings.Join(names, ", "))
	}
	return j, nil
}

// Jobs returns the jobs, in the order of the options.
func (r *Runner) Jobs() []Job { return append([]Job(nil), r.o.Jobs...) }

// newID is a backup's id: job, UTC start time and a random suffix.
func newID(job string, t time.Time) string {
	return job + "-" + t.UTC().Format("20060102T150405Z") + "-" + newSuffix()
}

func newSuffix() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Run runs a job once: kind Full, or Incremental (a full when the job has
// no backup to build on, or when the journal cannot tell what changed).
// The backup counts (status ok) only once its archive is whole on every
// target; then retention is applied to the job.
func (r *Runner) Run(ctx context.Context, name, kind string) (store.Backup, error) {
	b, finish, err := r.begin(ctx, name, kind)
	if err != nil {
		return b, err
	}
	return finish(ctx)
}

// begin starts a run: it takes the job's lock and records the backup as
// running. finish writes it, records its outcome and lets the job go;
// it must be called once when begin succeeded.
func (r *Runner) begin(ctx context.Context, name, kind string) (b store.Backup, finish func(context.Context) (store.Backup, error), err error) {
	j, err := r.Job(name)
	if err != nil {
		return b, nil, err
	}
	if kind != Full && kind != Incremental {
		return b, nil, fmt.Errorf("backup kind %q: want %s or %s", kind, Full, Incremental)
	}
	if len(r.o.Recipients) == 0 {
		return b, nil, errNoRecipients
	}
	held, unlock, err := r.lockJob(ctx, j.Name)
	if err != nil {
		return b, nil, err
	}
	defer func() {
		if err != nil {
			unlock()
		}
	}()
	// Holding the job, no run of it is going on anywhere: one left running
	// is one a process (this one, or another gateway) stopped during.
	if err := r.recoverJob(ctx, j); err != nil {
		return b, nil, err
	}
	b = store.Backup{Job: j.Name, Kind: kind, StartedAt: r.o.Now(), Status: store.BackupRunning}
	b.ID = newID(j.Name, b.StartedAt)
	if b.ThroughSeq, err = r.o.Store.LastEventSeq(ctx); err != nil {
		return b, nil, err
	}
	var ch changes
	if kind == Incremental {
		base, err := r.latest(ctx, j.Name)
		switch {
		case err != nil:
			return b, nil, err
		case base == nil || j.Source == DatabaseSource:
			b.Kind = Full
		default:
			if ch, err = journal(ctx, r.o.Store, j.Source, base.ThroughSeq, b.ThroughSeq); err != nil {
				return b, nil, err
			}
			if ch.needFull {
				b.Kind = Full
			} else {
				b.Base = base.ID
			}
		}
	}
	if err := r.o.Store.StartBackup(ctx, b); err != nil {
		return b, nil, err
	}
	return b, func(ctx context.Context) (store.Backup, error) {
		defer unlock()
		ctx, stop := context.WithCancel(ctx) // the run stops if the job's lease is lost
		defer stop()
		defer context.AfterFunc(held, stop)()
		return r.finish(ctx, j, b, ch)
	}, nil
}

// finish writes a begun backup and records its outcome.
func (r *Runner) finish(ctx context.Context, j Job, b store.Backup, ch changes) (store.Backup, error) {
	err := r.write(ctx, j, &b, ch)
	b.FinishedAt = r.o.Now()
	b.Status = store.BackupOK
	if err != nil {
		b.Status, b.Error = store.BackupFailed, err.Error()
	}
	if ferr := r.o.Store.FinishBackup(context.WithoutCancel(ctx), b); ferr != nil && err == nil {
		err = ferr
	}
	r.audit(ctx, "backup.run", b.ID, b.Bytes, b.SHA256, err)
	r.metrics.record(b)
	if err != nil {
		r.log.Error("backup failed", "job", j.Name, "id", b.ID, "err", err)
		return b, err
	}
	r.log.Info("backup", "job", j.Name, "id", b.ID, "kind", b.Kind, "files", b.Files, "bytes", b.Bytes,
		"size", b.Size, "targets", b.Targets)
	if _, err := r.prune(ctx, j); err != nil {
		return b, fmt.Errorf("backup %s is complete, but retention failed: %w", b.ID, err)
	}
	return b, nil
}

// latest is the job's newest ok backup, nil when it has none.
func (r *Runner) latest(ctx context.Context, job string) (*store.Backup, error) {
	bs, err := r.o.Store.Backups(ctx, job)
	if err != nil {
		return nil, err
	}
	for i := len(bs) - 1; i >= 0; i-- {
		if bs[i].Status == store.BackupOK {
			return &bs[i], nil
		}
	}
	return nil, nil
}

// write makes the archive on the local target, then copies it to every
// remote one; on any failure no copy is left.
func (r *Runner) write(ctx context.Context, j Job, b *store.Backup, ch changes) error {
	name := archiveName(j.Name, b.ID)
	out, err := r.o.Local.create(name)
	if err != nil {
		return err
	}
	m := Manifest{Version: 1, ID: b.ID, Job: j.Name, Kind: b.Kind, Base: b.Base, Source: j.Source,
		Created: b.StartedAt.UTC(), ThroughSeq: b.ThroughSeq}
	if b.Kind == Incremental {
		for p := range ch.deleted {
			m.Deleted = append(m.Deleted, p)
		}
		sort.Strings(m.Deleted)
	}
	aw, err := newArchiveWriter(out.f, r.o.Recipients, m)
	if err != nil {
		out.abort()
		return err
	}
	switch {
	case j.Source == DatabaseSource:
		err = r.addDatabase(ctx, aw, b.ID)
	case b.Kind == Full:
		err = r.addTree(ctx, aw, j.Source, map[string]bool{})
	default:
		err = r.addChanged(ctx, aw, ch)
	}
	if err != nil {
		aw.abort()
		out.abort()
		return err
	}
	if m, err = aw.close(); err != nil {
		out.abort()
		return err
	}
	b.Size, b.SHA256 = aw.out.n, aw.out.digest()
	for _, e := range m.Entries {
		if !e.Dir {
			b.Files++
			b.Bytes += e.Size
		}
	}
	if err := out.commit(b.SHA256); err != nil {
		return err
	}
	done := []string{r.o.Local.Name()}
	for _, t := range r.o.Remotes {
		err = r.put(ctx, t, name, b, j.Keep.end(b.StartedAt))
		done = append(done, t.Name()) // even when it failed: what it got is removed
		if err != nil {
			break
		}
	}
	if err != nil {
		r.removeCopies(context.WithoutCancel(ctx), name, strings.Join(done, ","))
		return err
	}
	b.Targets = strings.Join(done, ",")
	return nil
}

// put copies an archive to a remote target; one that locks keeps it
// until until.
func (r *Runner) put(ctx context.Context, t Remote, name string, b *store.Backup, until time.Time) error {
	f, err := r.o.Local.Open(ctx, name)
	if err != nil {
		return err
	}
	defer f.Close()
	if l, ok := t.(retainer); ok {
		return l.PutRetained(ctx, name, f, b.Size, b.SHA256, until)
	}
	return t.Put(ctx, name, f, b.Size, b.SHA256)
}

// addDatabase adds a consistent snapshot of the store: /custodia.db on
// SQLite, /custodia.pgdump (pg_dump's custom format) on PostgreSQL.
func (r *Runner) addDatabase(ctx context.Context, aw *archiveWriter, id string) error {
	// The snapshot holds password hashes: it is created empty and 0600
	// first (VACUUM INTO fills an empty file), whatever the folder's mode.
	snap := filepath.Join(r.o.Local.Dir, ".snapshot-"+id+filepath.Ext(r.o.Store.SnapshotName()))
	sf, err := os.OpenFile(snap, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("backup: snapshot: %w", err)
	}
	sf.Close()
	defer os.Remove(snap)
	if err := r.o.Store.Snapshot(ctx, snap); err != nil {
		return err
	}
	f, err := os.Open(snap)
	if err != nil {
		return err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return err
	}
	return aw.addFile("/"+r.o.Store.SnapshotName(), f, fi.Size(), fi.ModTime())
}

// Tree is the files where they live (storage.Files), for files that are
// not in FilesDir on local disk: backups read them, restores put theirs.
type Tree interface {
	// WalkTree calls fn with the folder or file at spath and everything
	// below it; open reads a file.
	WalkTree(ctx context.Context, spath string, fn func(spath string, fi fs.FileInfo, open func() (io.ReadCloser, error)) error) error
	// StatTree describes the folder or file at spath (fs.ErrNotExist
	// when there is none).
	StatTree(ctx context.Context, spath string) (fs.FileInfo, error)
	// PutTree puts the folder dir, staged on local disk, at spath, a new
	// folder: each file visible only whole, never over another, its
	// sha256 checked against sum(its name in dir) first; on an error it
	// takes back what it put.
	PutTree(ctx context.Context, dir, spath string, sum func(rel string) (string, bool)) (int, error)
}

// addTree adds a storage folder with everything below it: folders and
// regular files only, never following a symbolic link.
func (r *Runner) addTree(ctx context.Context, aw *archiveWriter, dir string, seen map[string]bool) error {
	if r.o.Tree != nil {
		return r.addObjects(ctx, aw, dir, seen)
	}
	root, err := os.OpenRoot(r.o.FilesDir)
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer root.Close()
	return fs.WalkDir(root.FS(), tarName(dir), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && p == tarName(dir) {
				return nil // gone since the journal named it
			}
			return fmt.Errorf("backup: %w", err)
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		sp := "/" + p
		if seen[sp] {
			return nil
		}
		seen[sp] = true
		switch {
		case d.IsDir():
			fi, err := d.Info()
			if err != nil {
				return fmt.Errorf("backup: %w", err)
			}
			return aw.addDir(sp, fi.ModTime())
		case d.Type().IsRegular():
			return addRegular(root, aw, p)
		}
		return nil // a symbolic link, FIFO or device: never served, never backed up
	})
}

func addRegular(root *os.Root, aw *archiveWriter, rel string) error {
	f, err := root.OpenFile(rel, os.O_RDONLY|syscall.O_NOFOLLOW|syscall.O_NONBLOCK, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil // removed while the backup ran; the next run records it
	}
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil
	}
	return aw.addFile("/"+rel, f, fi.Size(), fi.ModTime())
}

// addObjects is addTree for files read through r.o.Tree.
func (r *Runner) addObjects(ctx context.Context, aw *archiveWriter, dir string, seen map[string]bool) error {
	return r.o.Tree.WalkTree(ctx, dir, func(sp string, fi fs.FileInfo, open func() (io.ReadCloser, error)) error {
		if seen[sp] {
			return nil
		}
		seen[sp] = true
		if fi.IsDir() {
			return aw.addDir(sp, fi.ModTime())
		}
		f, err := open()
		if errors.Is(err, fs.ErrNotExist) {
			return nil // removed while the backup ran; the next run records it
		}
		if err != nil {
			return fmt.Errorf("backup: %w", err)
		}
		defer f.Close()
		return aw.addFile(sp, f, fi.Size(), fi.ModTime())
	})
}

// addChanged adds what the journal names, as it is on disk now.
func (r *Runner) addChanged(ctx context.Context, aw *archiveWriter, ch changes) error {
	paths := make([]string, 0, len(ch.changed))
	for p := range ch.changed {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	seen := map[string]bool{}
	for _, p := range paths {
		if err := r.addTree(ctx, aw, p, seen); err != nil {
			return err
		}
	}
	return nil
}

// removeCopies deletes a backup's archive from the targets listed.
func (r *Runner) removeCopies(ctx context.Context, name, targets string) error {
	var errs []error
	if hasTarget(targets, r.o.Local.Name()) {
		errs = append(errs, r.o.Local.Remove(ctx, name))
	}
	for _, t := range r.o.Remotes {
		if hasTarget(targets, t.Name()) {
			errs = append(errs, t.Remove(ctx, name))
		}
	}
	return errors.Join(errs...)
}

// audit records a step; the system, not a user, acts.
func (r *Runner) audit(ctx context.Context, action, id string, n int64, sum string, err error) {
	e := store.AuditEntry{At: r.o.Now(), Protocol: "backup", Action: action, VPath: id, Bytes: n, SHA256: sum,
		Result: store.ResultOK}
	if err != nil {
		e.Result, e.Reason = store.ResultFailed, err.Error()
	}
	if aerr := r.o.Store.Audit(context.WithoutCancel(ctx), e); aerr != nil {
		r.log.Error("audit", "action", action, "id", id, "err", aerr)
	}
}

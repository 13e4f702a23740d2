package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jmoiron/sqlx"
)

// Backup statuses. Only an ok backup counts: it is complete on every
// target; a running one that never finishes (a crash) stays out of every
// chain, list of restorable backups and retention count.
const (
	BackupRunning = "running"
	BackupOK      = "ok"
	BackupFailed  = "failed"
	BackupPruned  = "pruned"
)

// Backup is one run of a backup job.
type Backup struct {
	ID         string `db:"id" json:"id"`
	Job        string `db:"job" json:"job"`
	Kind       string `db:"kind" json:"kind"` // full or incremental
	Base       string `db:"base" json:"base,omitempty"`
	Status     string `db:"status" json:"status"`
	Started    string `db:"started_at" json:"-"`
	Finished   string `db:"finished_at" json:"-"`
	ThroughSeq int64  `db:"through_seq" json:"through_seq"`
	Files      int64  `db:"files" json:"files"`
	Bytes      int64  `db:"bytes" json:"bytes"`
	Size       int64  `db:"size" json:"size"`
	SHA256     string `db:"sha256" json:"sha256"`
	Targets    string `db:"targets" json:"targets"`
	Error      string `db:"error" json:"error,omitempty"`

	StartedAt  time.Time `db:"-" json:"started_at"`
	FinishedAt time.Time `db:"-" json:"finished_at,omitzero"`
}

// Errors of backup runs. They live here, with Backup, so that a caller
// need not import the runner to tell them apart.
var (
	ErrBackupBusy = errors.New("already running")                                   // the job runs now, here or in another process
	ErrBackupsOff = errors.New("backups are off")                                   // no recipients: nothing could decrypt an archive
	ErrVerifyBusy = errors.New("a verification is running; try again when it ends") // one at a time
)

func (b *Backup) parseTimes() {
	b.StartedAt, _ = parseTime(b.Started)
	b.FinishedAt, _ = parseTime(b.Finished)
}

const backupCols = `id, job, kind, base, status, started_at, finished_at, through_seq, files, bytes, size, sha256, targets, error`

// StartBackup records a run that has begun.
func (s *Store) StartBackup(ctx context.Context, b Backup) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO backups (id, job, kind, base, status, started_at, through_seq)
		VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		b.ID, b.Job, b.Kind, b.Base, BackupRunning, formatTime(b.StartedAt), b.ThroughSeq)
	if err != nil {
		return fmt.Errorf("store: start backup %s: %w", b.ID, wrapDBError(err))
	}
	return nil
}

// FinishBackup records a run's outcome: status ok with its archive's
// figures, or failed with the error.
func (s *Store) FinishBackup(ctx context.Context, b Backup) error {
	_, err := s.db.ExecContext(ctx, `UPDATE backups SET status = $1, finished_at = $2, files = $3, bytes = $4,
		size = $5, sha256 = $6, targets = $7, error = $8 WHERE id = $9`,
		b.Status, formatTime(b.FinishedAt), b.Files, b.Bytes, b.Size, b.SHA256, b.Targets, b.Error, b.ID)
	if err != nil {
		return fmt.Errorf("store: finish backup %s: %w", b.ID, err)
	}
	return nil
}

// FailRunningBackup records a run as failed only if it is still running,
// and reports whether it was: a run that ended meanwhile keeps its outcome.
func (s *Store) FailRunningBackup(ctx context.Context, b Backup) (bool, error) {
	res, err := s.db.ExecContext(ctx, `UPDATE backups SET status = $1, finished_at = $2, error = $3
		WHERE id = $4 AND status = $5`, BackupFailed, formatTime(b.FinishedAt), b.Error, b.ID, BackupRunning)
	if err != nil {
		return false, fmt.Errorf("store: fail backup %s: %w", b.ID, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("store: fail backup %s: %w", b.ID, err)
	}
	return n == 1, nil
}

// PruneBackup marks a backup whose archives retention removed.
func (s *Store) PruneBackup(ctx context.Context, id string) error {
	_, err := s.db.ExecContext(ctx, `UPDATE backups SET status = $1 WHERE id = $2`, BackupPruned, id)
	if err != nil {
		return fmt.Errorf("store: prune backup %s: %w", id, err)
	}
	return nil
}

// Backups returns a job's backups ("" for every job), oldest first.
func (s *Store) Backups(ctx context.Context, job string) ([]Backup, error) {
	q := `SELECT ` + backupCols + ` FROM backups`
	var args []any
	if job != "" {
		q += ` WHERE job = $1`
		args = append(args, job)
	}
	var bs []Backup
	if err := s.db.SelectContext(ctx, &bs, q+` ORDER BY started_at, id`, args...); err != nil {
		return nil, fmt.Errorf("store: backups: %w", err)
	}
	for i := range bs {
		bs[i].parseTimes()
	}
	return bs, nil
}

// BackupByID returns one backup.
func (s *Store) BackupByID(ctx context.Context, id string) (Backup, error) {
	var b Backup
	if err := s.db.GetContext(ctx, &b, `SELECT `+backupCols+` FROM backups WHERE id = $1`, id); err != nil {
		return b, fmt.Errorf("store: backup %s: %w", id, wrapDBError(err))
	}
	b.parseTimes()
	return b, nil
}

// LastEventSeq is the newest outbox id (0 when there is none): a backup
// run covers the events up to it.
func (s *Store) LastEventSeq(ctx context.Context) (int64, error) {
	var n int64
	if err := s.db.GetContext(ctx, &n, `SELECT COALESCE(MAX(id), 0) FROM outbox`); err != nil {
		return 0, fmt.Errorf("store: last event: %w", err)
	}
	return n, nil
}

// Snapshot writes a consistent copy of the database to file while the
// store stays in use: SQLite's VACUUM INTO (file must be empty), or
// pg_dump on PostgreSQL (see SnapshotName).
func (s *Store) Snapshot(ctx context.Context, file string) error {
	if strings.ContainsRune(file, 0) {
		return fmt.Errorf("store: snapshot: bad file name")
	}
	if s.pg != nil {
		return s.pgDump(ctx, file)
	}
	if _, err := s.db.ExecContext(ctx, `VACUUM INTO $1`, file); err != nil {
		return fmt.Errorf("store: snapshot to %s: %w", file, err)
	}
	return nil
}

// Restore request statuses.
const (
	RestoreRequested = "requested"
	RestoreApproved  = "approved"
	RestoreDone      = "restored"
	RestoreFailed    = "failed"
	RestoreRejected  = "rejected"  // a manager or an admin refused it
	RestoreCancelled = "cancelled" // the requester or an admin withdrew it
	RestoreExpired   = "expired"   // restored, and the requester's grant has ended
)

// Errors of restore requests, which the backup runner returns and callers
// (the admin API) answer; every refusal of a request wraps one of them or
// another store error. They live here, with RestoreRequest, so that a
// caller need not import the runner to tell them apart.
var (
	ErrRestoreInvalid = errors.New("invalid restore request") // bad input
	ErrRestoreRefused = errors.New("not allowed")             // this person may not do this
	ErrRestoreState   = errors.New("wrong state")             // not waiting for this step
)

// RestoreRequest asks for a backup's files under a storage path to be
// restored into a fresh folder; a manager must approve it first.
type RestoreRequest struct {
	ID        string `db:"id" json:"id"`
	BackupID  string `db:"backup_id" json:"backup"`
	Path      string `db:"path" json:"path"`
	Reason    string `db:"reason" json:"reason"`
	Requester string `db:"requester" json:"requester"` // whom the restore is for
	FiledBy   string `db:"filed_by" json:"filed_by"`   // who filed it: an admin's name, or "os:NAME" for the command line
	Status    string `db:"status" json:"status"`
	Approver  string `db:"approver" json:"approver,omitempty"`
	Created   string `db:"created_at" json:"-"`
	Approved  string `db:"approved_at" json:"-"`
	Restored  string `db:"restored_at" json:"-"`
	Error     string `db:"error" json:"error,omitempty"`
	Expires   string `db:"expires_at" json:"-"`
	ClosedBy  string `db:"closed_by" json:"closed_by,omitempty"` // who rejected, cancelled or expired it
	Closed    string `db:"closed_at" json:"-"`
	Note      string `db:"note" json:"note,omitempty"` // why it was rejected or cancelled

	CreatedAt  time.Time `db:"-" json:"created_at"`
	ApprovedAt time.Time `db:"-" json:"approved_at,omitzero"`
	RestoredAt time.Time `db:"-" json:"restored_at,omitzero"`
	ExpiresAt  time.Time `db:"-" json:"expires_at,omitzero"` // the requester's grant ends then
	ClosedAt   time.Time `db:"-" json:"closed_at,omitzero"`
}

// loaded completes a request read from the store: its times, and the
// filer of a request filed before filers were recorded.
func (r *RestoreRequest) loaded() {
	if r.FiledBy == "" {
		r.FiledBy = r.Requester
	}
	r.CreatedAt, _ = parseTime(r.Created)
	r.ApprovedAt, _ = parseTime(r.Approved)
	r.RestoredAt, _ = parseTime(r.Restored)
	r.ExpiresAt, _ = parseTime(r.Expires)
	r.ClosedAt, _ = parseTime(r.Closed)
}

// Open reports whether the request still waits for its approval or its
// run: an open request holds its backups from pruning.
func (r RestoreRequest) Open() bool {
	return r.Status == RestoreRequested || r.Status == RestoreApproved
}

const restoreCols = `id, backup_id, path, reason, requester, filed_by, status, approver, created_at, approved_at, restored_at, error,
	expires_at, closed_by, closed_at, note`

// CreateRestoreRequest records a new request.
func (s *Store) CreateRestoreRequest(ctx context.Context, r RestoreRequest) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO restore_requests (id, backup_id, path, reason, requester, filed_by, status,
		created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		r.ID, r.BackupID, r.Path, r.Reason, r.Requester, r.FiledBy, RestoreRequested, formatTime(s.now()))
	if err != nil {
		return fmt.Errorf("store: restore request: %w", wrapDBError(err))
	}
	return nil
}

// RestoreRequestByID returns one request.
func (s *Store) RestoreRequestByID(ctx context.Context, id string) (RestoreRequest, error) {
	var r RestoreRequest
	if err := s.db.GetContext(ctx, &r, `SELECT `+restoreCols+` FROM restore_requests WHERE id = $1`, id); err != nil {
		return r, fmt.Errorf("store: restore request %s: %w", id, wrapDBError(err))
	}
	r.loaded()
	return r, nil
}

// RestoreRequests returns every request, oldest first.
func (s *Store) RestoreRequests(ctx context.Context) ([]RestoreRequest, error) {
	var rs []RestoreRequest
	if err := s.db.SelectContext(ctx, &rs, `SELECT `+restoreCols+` FROM restore_requests ORDER BY created_at, id`); err != nil {
		return nil, fmt.Errorf("store: restore requests: %w", err)
	}
	for i := range rs {
		rs[i].loaded()
	}
	return rs, nil
}

// RestoreActor is who rejects or cancels a restore request: a user who
// signed (an admin, a manager, the requester), or with User nil the
// operator running the CLI as their OS account (Name "os:<name>"), who
// holds the data dir and counts as an admin.
type RestoreActor struct {
	Name string
	User *User
}

// RestoreMove is one step of a request: its new status and what the step
// records.
type RestoreMove struct {
	To       string
	By       string        // the approver (approved), or who rejected, cancelled or expired it
	Note     string        // why it was rejected or cancelled
	Error    string        // why it failed
	GrantTTL time.Duration // restored: the requester's grant ends this long after now
}

// MoveRestoreRequest changes a request's status from one to another, so
// that two approvals or two runs cannot both win; ErrNotFound when the
// request is not in status from.
func (s *Store) MoveRestoreRequest(ctx context.Context, id, from string, m RestoreMove) error {
	t := s.now()
	now := formatTime(t)
	return s.tx(ctx, func(tx *sqlx.Tx) error {
		q := `UPDATE restore_requests SET status = $1, error = $2`
		args := []any{m.To, m.Error}
		switch m.To {
		case RestoreApproved:
			q += `, approver = $3, approved_at = $4`
			args = append(args, m.By, now)
		case RestoreDone:
			q += `, restored_at = $3, expires_at = $4`
			args = append(args, now, formatTime(t.Add(m.GrantTTL)))
		case RestoreRejected, RestoreCancelled, RestoreExpired:
			q += `, closed_by = $3, closed_at = $4, note = $5`
			args = append(args, m.By, now, m.Note)
		}
		args = append(args, id, from)
		q += fmt.Sprintf(` WHERE id = $%d AND status = $%d`, len(args)-1, len(args))
		res, err := tx.ExecContext(ctx, q, args...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return fmt.Errorf("restore request %s is not %s: %w", id, from, ErrNotFound)
		}
		return nil
	})
}

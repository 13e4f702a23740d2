package backup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
)

// Errors of restore requests wrap store.ErrRestoreInvalid,
// store.ErrRestoreRefused or store.ErrRestoreState, or another store error.

func invalid(format string, a ...any) error {
	return fmt.Errorf("%w: %s", store.ErrRestoreInvalid, fmt.Sprintf(format, a...))
}

func refused(format string, a ...any) error {
	return fmt.Errorf("%w: %s", store.ErrRestoreRefused, fmt.Sprintf(format, a...))
}

func badState(format string, a ...any) error {
	return fmt.Errorf("%w: %s", store.ErrRestoreState, fmt.Sprintf(format, a...))
}

// Granter lets a user list and read a restored folder (dir, a storage
// path such as /restores/r-…) and see it in its parent (authz.Enforcer).
type Granter interface {
	GrantTree(ctx context.Context, u *store.User, dir string) error
}

// Request records a request to restore the files of backup id under
// prefix (a storage path such as /departments/operaciones). requester is
// who asks: a user name, or the operator's own name.
func (r *Runner) Request(ctx context.Context, id, prefix, reason, requester string) (q store.RestoreRequest, err error) {
	defer func() { r.auditRestore(ctx, "backup.restore.request", q, requester, err) }()
	if t := strings.TrimRight(prefix, "/"); t != "" { // a folder named with its trailing "/"
		prefix = t
	}
	q = store.RestoreRequest{ID: "r-" + newSuffix(), BackupID: id, Path: prefix, Reason: strings.TrimSpace(reason),
		Requester: requester}
	b, err := r.o.Store.BackupByID(ctx, id)
	if err != nil {
		return q, err
	}
	if b.Status != store.BackupOK {
		return q, badState("backup %s is %s: only a complete backup can be restored", id, b.Status)
	}
	j, err := r.Job(b.Job)
	if err != nil {
		return q, err
	}
	switch {
	case j.Source == DatabaseSource:
		return q, invalid("backup %s is a database snapshot: it is not restored into the files; "+
			"decrypt it with the identity (age -d -i FILE | zstd -d | tar x) and stop the server to put it back", id)
	case q.Reason == "":
		return q, invalid("reason: say why the files are needed")
	case checkStoragePath(prefix) != nil:
		return q, invalid("path %q: want a storage path such as /departments/operaciones or /dossiers/ACME", prefix)
	case !under(prefix, j.Source) && !under(j.Source, prefix):
		return q, invalid("path %s is not in backup %s, which holds %s", prefix, id, j.Source)
	}
	if _, err := r.approverFor(prefix); err != nil {
		return q, err
	}
	return q, r.o.Store.CreateRestoreRequest(ctx, q)
}

// approverFor says who approves a restore of prefix: the manager of its
// department, or for client folders one of the configured managers.
func (r *Runner) approverFor(prefix string) (department string, err error) {
	parts := strings.Split(strings.TrimPrefix(prefix, "/"), "/")
	switch {
	case "/"+parts[0] == store.AreaDepartments && len(parts) >= 2:
		return parts[1], nil
	case "/"+parts[0] == store.AreaDepartments:
		return "", invalid("path %s spans every department: name one department's folder, "+
			"whose manager approves (e.g. /departments/operaciones)", prefix)
	case "/"+parts[0] == store.AreaClients || "/"+parts[0] == store.AreaDossiers:
		if len(r.o.ClientApprovers) == 0 {
			return "", invalid("path %s is a client folder, and no manager approves those: "+
				"name them in backup.client_approvers", prefix)
		}
		return "", nil
	}
	return "", invalid("path %s: want a folder under /departments, /clients or /dossiers", prefix)
}

// Approve records a manager's approval. The caller has authenticated
// approver with their own password.
func (r *Runner) Approve(ctx context.Context, id string, approver *store.User) (q store.RestoreRequest, err error) {
	defer func() { r.auditRestore(ctx, "backup.restore.approve", q, approver.Name, err) }()
	if q, err = r.o.Store.RestoreRequestByID(ctx, id); err != nil {
		return q, err
	}
	if q.Status != store.RestoreRequested {
		return q, badState("restore request %s is %s, not waiting for approval", id, q.Status)
	}
	if strings.EqualFold(approver.Name, strings.TrimPrefix(q.Requester, "os:")) {
		return q, refused("%s asked for restore %s and cannot also approve it", approver.Name, id)
	}
	if approver.Role != store.RoleManager || approver.Status != store.StatusActive {
		return q, refused("%s is not an active manager: only a manager approves restores", approver.Name)
	}
	if approver.ExpiresAt != nil && !r.o.Now().Before(*approver.ExpiresAt) {
		return q, refused("%s's account expired on %s", approver.Name, approver.ExpiresAt.UTC().Format(time.RFC3339))
	}
	dept, err := r.approverFor(q.Path)
	if err != nil {
		return q, err
	}
	switch {
	case dept != "" && approver.Department != dept:
		return q, refused("%s manages %q, not %q: the manager of %s approves this restore",
			approver.Name, approver.Department, dept, dept)
	case dept == "" && !slices.ContainsFunc(r.o.ClientApprovers, func(n string) bool { return strings.EqualFold(n, approver.Name) }):
		return q, refused("%s is not in backup.client_approvers, who approve restores of client folders", approver.Name)
	}
	if err := r.o.Store.MoveRestoreRequest(ctx, id, store.RestoreRequested, store.RestoreApproved, approver.Name, ""); err != nil {
		return q, err
	}
	return r.o.Store.RestoreRequestByID(ctx, id)
}

// RestoreDir is the storage folder of a request's restored files.
func RestoreDir(id string) string { return path.Join(store.AreaRestores, id) }

// Restored is what a restore run did: its request, now done, and how many
// files it wrote.
type Restored struct {
	Request store.RestoreRequest
	Files   int
}

// Restore runs an approved request: it decrypts the backup's chain (its
// full backup, then each incremental) with the identities, and writes the
// files under the request's path into a fresh files/restores/<id>/,
// never over live files. The folder appears only once it is whole; the
// requester is then granted reading it.
func (r *Runner) Restore(ctx context.Context, id string, ids []age.Identity) (res Restored, err error) {
	defer func() { r.auditRestore(ctx, "backup.restore.run", res.Request, "", err) }()
	if res.Request, err = r.o.Store.RestoreRequestByID(ctx, id); err != nil {
		return res, err
	}
	q := res.Request
	if q.Status != store.RestoreApproved {
		return res, badState("restore request %s is %s: it runs only once a manager approved it", id, q.Status)
	}
	b, err := r.o.Store.BackupByID(ctx, q.BackupID)
	if err != nil {
		return res, err
	}
	backups, err := chain(b, func(id string) (store.Backup, error) { return r.o.Store.BackupByID(ctx, id) })
	if err != nil {
		return res, err
	}
	areas := filepath.Join(r.o.FilesDir, filepath.FromSlash(tarName(store.AreaRestores)))
	final := filepath.Join(areas, id)
	if _, err := os.Lstat(final); err == nil {
		return res, badState("%s already exists: a restore never writes over files", RestoreDir(id))
	}
	// The working folder is made exclusively: it is the lock that keeps
	// two runs of one request apart.
	part := filepath.Join(areas, "."+id+".part")
	if err := os.Mkdir(part, 0o750); errors.Is(err, fs.ErrExist) {
		return res, badState("restore %s is already running (if a run crashed, remove %s and run it again)", id, part)
	} else if err != nil {
		return res, err
	}
	root, err := os.OpenRoot(part)
	if err != nil {
		return res, err
	}
	defer root.Close()
	files := 0
	for _, cb := range backups {
		n, err := r.apply(ctx, root, cb, q.Path, ids)
		if err != nil {
			os.RemoveAll(part)
			return res, err
		}
		files += n
	}
	// Granted before the folder appears, so that a failure leaves the
	// request to be run again rather than a folder nobody may read.
	if err := r.grant(ctx, q); err != nil {
		os.RemoveAll(part)
		return res, err
	}
	if err := os.Rename(part, final); err != nil {
		os.RemoveAll(part)
		return res, err
	}
	res.Files = files
	if err := r.o.Store.MoveRestoreRequest(ctx, id, store.RestoreApproved, store.RestoreDone, "", ""); err != nil {
		return res, err
	}
	res.Request, err = r.o.Store.RestoreRequestByID(ctx, id)
	return res, err
}

// apply writes one archive's files under prefix into root, after removing
// what it records as deleted.
func (r *Runner) apply(ctx context.Context, root *os.Root, b store.Backup, prefix string, ids []age.Identity) (int, error) {
	n := 0
	_, err := r.verify(ctx, b, ids, visitor{
		deleted: func(paths []string) error {
			for _, p := range paths {
				var err error
				switch {
				case under(p, prefix):
					err = root.RemoveAll(tarName(p))
				case under(prefix, p): // a folder above the path went away, and the path with it
					err = root.RemoveAll(tarName(prefix))
				}
				if err != nil {
					return err
				}
			}
			return nil
		},
		entry: func(e Entry, body io.Reader) error {
			if !under(e.Path, prefix) && !under(prefix, e.Path) {
				return nil
			}
			rel := tarName(e.Path)
			if e.Dir {
				if !under(e.Path, prefix) {
					return nil // a folder above the path: made with what is inside
				}
				return root.MkdirAll(rel, 0o750)
			}
			if err := root.MkdirAll(path.Dir(rel), 0o750); err != nil {
				return err
			}
			f, err := root.OpenFile(rel, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
			if err != nil {
				return err
			}
			_, err = io.Copy(f, body)
			if err == nil {
				err = f.Sync()
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err == nil {
				err = root.Chtimes(rel, e.MTime, e.MTime)
			}
			n++
			return err
		},
	})
	if err != nil {
		return 0, fmt.Errorf("restore from %s: %w", b.ID, err)
	}
	return n, nil
}

// grant lets the requester, when a user, list and read the restored
// folder; the admin sees it anyway.
func (r *Runner) grant(ctx context.Context, q store.RestoreRequest) error {
	if r.o.Rules == nil {
		return nil
	}
	u, err := r.o.Store.UserByName(ctx, q.Requester)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if err := r.o.Rules.GrantTree(ctx, u, RestoreDir(q.ID)); err != nil {
		return fmt.Errorf("grant %s the restored files: %w", u.Name, err)
	}
	return nil
}

func (r *Runner) auditRestore(ctx context.Context, action string, q store.RestoreRequest, user string, err error) {
	e := store.AuditEntry{At: r.o.Now(), User: user, Protocol: "backup", Action: action, VPath: q.ID,
		SPath: q.Path, Target: q.BackupID, Result: store.ResultOK, Reason: q.Reason}
	if err != nil {
		e.Result, e.Reason = store.ResultFailed, err.Error()
		if strings.Contains(action, "approve") {
			e.Result = store.ResultDenied
		}
	}
	if aerr := r.o.Store.Audit(context.WithoutCancel(ctx), e); aerr != nil {
		r.log.Error("audit", "action", action, "err", aerr)
	}
}

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

// Rules is what restores ask of the authorization rules (authz.Enforcer):
// whether a requester may read what they ask for, and the grant of the
// restored folder (dir, a storage path such as /restores/r-…).
type Rules interface {
	// MayRead reports whether u may read spath: a file's contents, or a
	// folder's listing (spath ending in "/").
	MayRead(ctx context.Context, u *store.User, spath string) (bool, error)
	// GrantTree lets u list and read dir and see it in its parent.
	GrantTree(ctx context.Context, u *store.User, dir string) error
	// RevokeTree takes back what GrantTree gave the user named name.
	RevokeTree(ctx context.Context, name, dir string) error
}

// DefaultGrantTTL is how long a requester may read their restored files
// when Options.GrantTTL is zero: 30 days.
const DefaultGrantTTL = 30 * 24 * time.Hour

// Operator is the prefix of a requester who is not a user of the gateway
// but the operator running the CLI as their OS account ("os:<name>"),
// who holds the data dir. Nothing is granted to them; admins see every
// restore.
const Operator = "os:"

// requesterUser is the user who asked for q, or nil when the operator did.
func (r *Runner) requesterUser(ctx context.Context, requester string) (*store.User, error) {
	if strings.HasPrefix(requester, Operator) {
		return nil, nil
	}
	u, err := r.o.Store.UserByName(ctx, requester)
	if errors.Is(err, store.ErrNotFound) {
		return nil, invalid("requester %q: no such user", requester)
	}
	return u, err
}

// mayRead reports whether u may read spath under the current rules;
// without rules to ask, nobody may (fail closed).
func (r *Runner) mayRead(ctx context.Context, u *store.User, spath string) (bool, error) {
	if r.o.Rules == nil {
		return false, nil
	}
	return r.o.Rules.MayRead(ctx, u, spath)
}

// Request records a request to restore the files of backup id under
// prefix (a storage path such as /departments/operaciones). requester is
// whom it is for: a user name, or the operator's own name. filedBy is who
// files it (the calling admin, or the operator "os:<name>"), who may name
// another user as requester: neither of the two may approve it, nor a
// manager either of them created. The audit row is filedBy's, and names
// both.
func (r *Runner) Request(ctx context.Context, id, prefix, reason, requester, filedBy string) (q store.RestoreRequest, err error) {
	defer func() { r.auditRestore(ctx, "backup.restore.request", q, filedBy, err) }()
	if t := strings.TrimRight(prefix, "/"); t != "" { // a folder named with its trailing "/"
		prefix = t
	}
	q = store.RestoreRequest{ID: "r-" + newSuffix(), BackupID: id, Path: prefix, Reason: strings.TrimSpace(reason),
		Requester: requester, FiledBy: filedBy}
	if filedBy == "" || requester == "" {
		return q, invalid("a request names whom it is for and who files it")
	}
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
			"decrypt it with the identity (age -d -i FILE | zstd -d | tar x) and stop the server to put it back "+
			"(custodia.db into the data dir; custodia.pgdump with pg_restore, see README.md)", id)
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
	// A restore gives back only what the requester may read now: the
	// folder's listing, or (a single file) its contents.
	u, err := r.requesterUser(ctx, requester)
	if err != nil {
		return q, err
	}
	if u != nil {
		ok, err := r.mayRead(ctx, u, prefix+"/")
		if err == nil && !ok {
			ok, err = r.mayRead(ctx, u, prefix)
		}
		if err != nil {
			return q, err
		}
		if !ok {
			return q, refused("%s may not read %s under the current rules: a restore is only for files "+
				"the requester may already read", u.Name, prefix)
		}
	}
	if err := r.o.Store.CreateRestoreRequest(ctx, q); err != nil {
		return q, err
	}
	return r.o.Store.RestoreRequestByID(ctx, q.ID)
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
	if err := r.approvable(q, approver); err != nil {
		return q, err
	}
	if err := r.o.Store.MoveRestoreRequest(ctx, id, store.RestoreRequested,
		store.RestoreMove{To: store.RestoreApproved, By: approver.Name}); err != nil {
		return q, err
	}
	return r.o.Store.RestoreRequestByID(ctx, id)
}

// approvable says why approver may not approve q, or nil when they may:
// neither its requester nor who filed it, a manager who approves restores
// of its path (mayApprove), and separate from both (separate).
func (r *Runner) approvable(q store.RestoreRequest, approver *store.User) error {
	if strings.EqualFold(approver.Name, strings.TrimPrefix(q.Requester, Operator)) {
		return refused("%s asked for restore %s and cannot also approve it", approver.Name, q.ID)
	}
	if strings.EqualFold(approver.Name, strings.TrimPrefix(q.FiledBy, Operator)) {
		return refused("%s filed restore %s (for %s) and cannot also approve it", approver.Name, q.ID, q.Requester)
	}
	if err := r.mayApprove(q, approver); err != nil {
		return err
	}
	return r.separate(q, approver)
}

// Waiting returns the requests that wait for u's approval, oldest first:
// those still requested that Approve would let u approve now.
func (r *Runner) Waiting(ctx context.Context, u *store.User) ([]store.RestoreRequest, error) {
	qs, err := r.o.Store.RestoreRequests(ctx)
	if err != nil {
		return nil, err
	}
	var out []store.RestoreRequest
	for _, q := range qs {
		if q.Status == store.RestoreRequested && r.approvable(q, u) == nil {
			out = append(out, q)
		}
	}
	return out, nil
}

// mayApprove says why u may not approve (or reject) q, or nil when they
// may: an active manager of the path's department, or for client
// folders one of backup.client_approvers.
func (r *Runner) mayApprove(q store.RestoreRequest, u *store.User) error {
	if u.Role != store.RoleManager || u.Status != store.StatusActive {
		return refused("%s is not an active manager: only a manager approves restores", u.Name)
	}
	if u.ExpiresAt != nil && !r.o.Now().Before(*u.ExpiresAt) {
		return refused("%s's account expired on %s", u.Name, u.ExpiresAt.UTC().Format(time.RFC3339))
	}
	dept, err := r.approverFor(q.Path)
	if err != nil {
		return err
	}
	switch {
	case dept != "" && u.Department != dept:
		return refused("%s manages %q, not %q: the manager of %s approves this restore",
			u.Name, u.Department, dept, dept)
	case dept == "" && !slices.ContainsFunc(r.o.ClientApprovers, func(n string) bool { return strings.EqualFold(n, u.Name) }):
		return refused("%s is not in backup.client_approvers, who approve restores of client folders", u.Name)
	}
	return nil
}

// separate says why approver may not approve q although they are a manager
// who approves such restores: separation of duties. Whoever creates
// accounts (an admin, the operator) could otherwise make a stand-in
// manager and approve their own request with it. So the approver must not
// be an account the requester created, and must be older than
// ApproverMinAge (a stand-in made by someone else on the requester's
// behalf is as new as one made by the requester). Whoever filed the
// request counts as its requester here: an admin may file it in another
// user's name.
func (r *Runner) separate(q store.RestoreRequest, approver *store.User) error {
	if approver.CreatedBy != "" && strings.EqualFold(approver.CreatedBy, q.Requester) {
		return refused("%s was created by %s, who asked for restore %s: a requester's own account cannot approve it",
			approver.Name, approver.CreatedBy, q.ID)
	}
	if approver.CreatedBy != "" && strings.EqualFold(approver.CreatedBy, q.FiledBy) {
		return refused("%s was created by %s, who filed restore %s for %s: the filer's own account cannot approve it",
			approver.Name, approver.CreatedBy, q.ID, q.Requester)
	}
	if age := r.o.Now().Sub(approver.CreatedAt); r.o.ApproverMinAge > 0 && age < r.o.ApproverMinAge {
		return refused("%s's account was created %s ago, on %s: an approver's account must be at least %s old (backup.approver_min_age)",
			approver.Name, age.Round(time.Second), approver.CreatedAt.UTC().Format(time.RFC3339), r.o.ApproverMinAge)
	}
	return nil
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
// files under the request's path into a fresh folder restores/<id>/,
// never over live files. Only what the requester may read under the
// current rules is written (a client: the PDFs of their own folders), so
// the grant of the whole folder shows them no more than their role shows
// them of the original. The files are staged whole on local disk first;
// then the requester is granted reading the folder until the grant
// expires, and the folder is put in place (publish): renamed into the
// files tree on local disk, where it appears at once, or put into the
// bucket file by file, each checked against its backup's sha256 and
// visible only whole. The request is done once all of it is there.
func (r *Runner) Restore(ctx context.Context, id string, ids []age.Identity) (res Restored, err error) {
	defer func() { r.auditRestore(ctx, "backup.restore.run", res.Request, "", err) }()
	if res.Request, err = r.o.Store.RestoreRequestByID(ctx, id); err != nil {
		return res, err
	}
	q := res.Request
	if q.Status != store.RestoreApproved {
		return res, badState("restore request %s is %s: it runs only once a manager approved it", id, q.Status)
	}
	u, err := r.requesterUser(ctx, q.Requester)
	if err != nil {
		return res, err
	}
	keep := func(string) (bool, error) { return true, nil }
	if u != nil {
		keep = func(p string) (bool, error) { return r.mayRead(ctx, u, p) }
	}
	b, err := r.o.Store.BackupByID(ctx, q.BackupID)
	if err != nil {
		return res, err
	}
	backups, err := chain(b, func(id string) (store.Backup, error) { return r.o.Store.BackupByID(ctx, id) })
	if err != nil {
		return res, err
	}
	held, unlock, err := r.lockRestore(ctx, id)
	if err != nil {
		return res, err
	}
	defer unlock()
	ctx = held
	if err := r.fresh(ctx, id); err != nil {
		return res, err
	}
	part, err := r.stageDir(id)
	if err != nil {
		return res, err
	}
	defer os.RemoveAll(part) // gone once renamed into place
	root, err := os.OpenRoot(part)
	if err != nil {
		return res, err
	}
	defer root.Close()
	sums := map[string]string{}
	for _, cb := range backups {
		if err := r.apply(ctx, root, cb, q.Path, ids, keep, sums); err != nil {
			return res, err
		}
	}
	files, err := countFiles(part)
	if err != nil {
		return res, err
	}
	// Granted before the folder appears, so that a failure leaves the
	// request to be run again rather than a folder nobody may read.
	if err := r.grant(ctx, q, u); err != nil {
		return res, err
	}
	if err := r.publish(ctx, part, id, sums); err != nil {
		return res, err
	}
	res.Files = files
	if err := r.o.Store.MoveRestoreRequest(ctx, id, store.RestoreApproved,
		store.RestoreMove{To: store.RestoreDone, GrantTTL: r.o.GrantTTL}); err != nil {
		return res, err
	}
	res.Request, err = r.o.Store.RestoreRequestByID(ctx, id)
	return res, err
}

// countFiles counts the regular files under dir.
func countFiles(dir string) (int, error) {
	n := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			n++
		}
		return err
	})
	return n, err
}

// apply writes one archive's files under prefix into root, after removing
// what it records as deleted.
// keep says whether a file (or, its path ending in "/", a folder) is
// restored.
// sums is told the sha256 of each file written, by its name in root, from
// the archive's manifest once the archive proved to match it.
func (r *Runner) apply(ctx context.Context, root *os.Root, b store.Backup, prefix string, ids []age.Identity,
	keep func(spath string) (bool, error), sums map[string]string) error {
	written := map[string]bool{}
	m, err := r.verify(ctx, b, ids, visitor{
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
			if e.Dir && !under(e.Path, prefix) {
				return nil // a folder above the path: made with what is inside
			}
			check := e.Path
			if e.Dir {
				check = strings.TrimSuffix(e.Path, "/") + "/"
			}
			if ok, err := keep(check); err != nil || !ok {
				return err // not the requester's to read: left out
			}
			if e.Dir {
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
			written[rel] = true
			return err
		},
	})
	if err != nil {
		return fmt.Errorf("restore from %s: %w", b.ID, err)
	}
	for _, e := range m.Entries {
		if rel := tarName(e.Path); written[rel] {
			sums[rel] = e.SHA256
		}
	}
	return nil
}

// grant lets the requester u, when a user, list and read the restored
// folder; the admin sees it anyway.
func (r *Runner) grant(ctx context.Context, q store.RestoreRequest, u *store.User) error {
	if r.o.Rules == nil || u == nil {
		return nil
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
	if action == "backup.restore.request" { // whom it is for, and who filed it (the row's user)
		e.Reason = fmt.Sprintf("requester %s, filed by %s: %s", q.Requester, q.FiledBy, e.Reason)
	}
	if aerr := r.o.Store.Audit(context.WithoutCancel(ctx), e); aerr != nil {
		r.log.Error("audit", "action", action, "err", aerr)
	}
}

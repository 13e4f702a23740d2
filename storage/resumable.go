package storage

import (
	"context"
	"errors"
	"fmt"
	"os"
	"syscall"

	"github.com/oaq/custodia/authz"
)

// resumableDir holds the partial data of resumable uploads (the portal's
// tus uploads) between requests and across restarts. It is inside files/,
// beside .incoming and on the same filesystem, so a completed partial is
// moved into its upload, not copied; no protocol serves it, and unlike
// .incoming it is not emptied at start: its owner expires what is
// abandoned.
const resumableDir = ".resumable"

// Partials opens the folder where resumable uploads keep their partial
// data, creating it owner-only. The caller closes the root.
func (f *Files) Partials() (*os.Root, error) {
	if err := f.root.Mkdir(resumableDir, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("storage: %w", err)
	}
	r, err := f.root.OpenRoot(resumableDir)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return r, nil
}

// CheckReserve refuses (ErrDiskReserve) when the files' filesystem is
// below the disk reserve uploads may not take: for data written outside
// an Upload (partials) that will become one.
func (f *Files) CheckReserve() error { return f.checkFree() }

// CheckUpload answers, before any byte is sent, whether the user may
// upload a new file of size bytes as name: the folder must exist and be
// visible (ErrNoFolder), the name must be free (ErrExists when the user
// can see a file there; nothing is replaced), the user may write it
// (ErrDenied, audited as any denial), and it fits the user's largest file
// and the quotas as they are now (ErrTooLarge, ErrQuota, ErrDiskReserve).
// CreateNew checks again when the upload is committed.
func (v *View) CheckUpload(ctx context.Context, name string, size int64) error {
	const op = "check upload"
	t, err := v.newTarget(ctx, op, name)
	if err != nil {
		return err
	}
	if err := v.authorize(ctx, op, authz.Write, t, false); err != nil {
		return err
	}
	limit, why, err := v.uploadLimit(ctx, t, nil)
	if err != nil {
		return pathErr(op, t.vpath.String(), err)
	}
	if limit >= 0 && size > limit {
		return pathErr(op, t.vpath.String(), why)
	}
	return nil
}

// CreateNew is Create for a name that must not exist: it never replaces
// a file. A file the user can see there is ErrExists; one that appears
// before Close makes Close fail with ErrExists (the rename into place
// never replaces).
func (v *View) CreateNew(ctx context.Context, name string) (*Upload, error) {
	t, err := v.newTarget(ctx, "create", name)
	if err != nil {
		return nil, err
	}
	if err := v.authorize(ctx, "create", authz.Write, t, false); err != nil {
		return nil, err
	}
	return v.upload(ctx, t, authz.Write, nil)
}

// newTarget resolves a name for a new file: its folder exists and is
// visible, and the name is not one the user can see.
func (v *View) newTarget(ctx context.Context, op, name string) (target, error) {
	t, err := v.resolve(name)
	if err != nil {
		return target{}, pathErr(op, name, err)
	}
	if t.mount == nil || t.isMountRoot() {
		return target{}, &PathError{Op: op, Path: t.vpath.String(), Err: ErrDenied}
	}
	if err := v.folder(ctx, op, t); err != nil {
		if errors.Is(err, ErrNotFound) {
			return target{}, &PathError{Op: op, Path: t.vpath.String(), Err: ErrNoFolder}
		}
		return target{}, err
	}
	if fi, err := v.lookup(ctx, t); err == nil && v.visible(ctx, t) {
		why := ErrExists
		if fi.IsDir() {
			why = ErrIsDir
		}
		return target{}, v.refused(ctx, authz.Write, t, nil, &PathError{Op: op, Path: t.vpath.String(), Err: why})
	}
	return t, nil
}

// Adopt makes the regular file name of the partials folder (Partials)
// this upload's data, as if its bytes had been written: for an upload
// whose data arrived over several requests. The file is moved, not
// copied, and Close hashes it, scans it and puts it in place as any
// other. Call it on an upload nothing was written to. On error the
// upload has failed (Close discards it); the partial stays where it was
// unless the error came after the move.
func (u *Upload) Adopt(name string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	err := u.adopt(name)
	if err != nil && u.failed == nil {
		u.failed = err
	}
	if err != nil {
		return pathErr("adopt", u.t.vpath.String(), err)
	}
	return nil
}

// adopt does Adopt's work with u.mu held.
func (u *Upload) adopt(name string) error {
	if u.closed || u.failed != nil || u.size != 0 || u.stage != nil {
		return ErrUnsupported
	}
	pdir, err := openDir(u.v.files.root, resumableDir)
	if err != nil {
		return err
	}
	defer pdir.Close()
	f, fi, err := openServed(u.v.files.root, resumableDir+"/"+name, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	f.Close()
	if !fi.Mode().IsRegular() {
		return ErrNotFound
	}
	if err := u.checkGrowth(fi.Size()); err != nil {
		return err
	}
	if err := renameAt(pdir, name, u.v.files.inDir, u.name, true); err != nil {
		return err
	}
	u.file.Close()
	nf, nfi, err := openServed(u.v.files.incoming, u.name, os.O_RDWR|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	u.file = nf
	if err := nf.Chmod(fileMode); err != nil {
		return err
	}
	u.size, u.inOrder, u.ahead, u.aheadN = nfi.Size(), -1, nil, 0 // Close re-reads it for the sha256
	return nil
}

// SHA256 is the hex sha256 of a committed upload's content, "" before
// Close returned nil.
func (u *Upload) SHA256() string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.digest
}

// AuditID returns the id of the audit row that records the committed
// upload (what a receipt names it by), once Close returned nil; 0 before,
// after a failure, and for an upload of a folder copy (its Commit writes
// the row).
func (u *Upload) AuditID() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.auditID
}

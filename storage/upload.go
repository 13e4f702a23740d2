package storage

import (
	"context"
	"crypto/sha256"
	"errors"
	"io/fs"
	"os"
	"path"
	"sync"
	"time"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

// maxHole bounds how far past the data written so far a write may land:
// enough for out-of-order pipelined writes, too little to make a huge
// sparse file (and a long re-hash) with one byte.
const maxHole = 64 << 20

// Upload is a file being written. Data goes to files/.incoming; Close
// puts it in place only when the transfer ended cleanly, so an aborted or
// failed upload leaves nothing visible.
type Upload struct {
	v       *View
	t       target
	act     authz.Action // Write (new file) or Overwrite
	file    *os.File
	flow    Flow   // counts the bytes written
	name    string // in .incoming
	mu      sync.Mutex
	hash    hashing       // the sha256, computed behind the writes (upload_hash.go)
	inOrder int64         // the data below it is written without gaps; -1 once Close must re-read
	ahead   map[int64]int // offset and length of writes past inOrder, until the gap before them fills
	aheadN  int
	size    int64
	written int64 // the data below it is written back to disk already, or being (writeBehind)
	failed  error // set by TransferError
	closed  bool
	synced  bool      // the data is durable and the file closed (syncData)
	digest  string    // the sha256, once committed (SHA256)
	auditID int64     // the audit row of the committed upload (AuditID)
	mtime   time.Time // applied once in place, when set
	atime   time.Time
	// limit is the largest apparent size (holes included) the file may
	// reach, -1 for none; a write past it fails with limitErr. nextFree is
	// the size at which the disk reserve is checked again (quota.go).
	limit    int64
	limitErr error
	nextFree int64
	// stage, when set, is the folder copy this upload belongs to: Close
	// puts it in stageDir (inside .incoming) and leaves its audit row to
	// the copy's Commit.
	stage    *TreeCopy
	stageDir string
}

// Path returns the upload's clean virtual path.
func (u *Upload) Path() string { return u.t.vpath.String() }

// SetTimes records times to give the file once it is in place; clients
// such as OpenSSH's "put -p" set them while the upload is still open.
func (u *Upload) SetTimes(atime, mtime time.Time) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.atime, u.mtime = atime, mtime
}

// Create opens an upload of a new file, or of a replacement when the user
// may overwrite it. The folder must exist and be visible to the user.
func (v *View) Create(ctx context.Context, name string) (*Upload, error) {
	t, err := v.resolve(name)
	if err != nil {
		return nil, pathErr("create", name, err)
	}
	if t.mount == nil || t.isMountRoot() {
		return nil, &PathError{Op: "create", Path: t.vpath.String(), Err: ErrDenied}
	}
	if err := v.folder(ctx, "create", t); err != nil {
		return nil, err
	}
	act := authz.Write
	// A name the user may not see is a new name, as in Mkdir: the answer
	// must not tell it exists, and place never replaces it.
	if fi, err := v.lookup(ctx, t); err == nil && v.visible(ctx, t) {
		if fi.IsDir() {
			return nil, &PathError{Op: "create", Path: t.vpath.String(), Err: ErrIsDir}
		}
		act = authz.Overwrite
	}
	if err := v.authorize(ctx, "create", act, t, false); err != nil {
		return nil, err
	}
	return v.upload(ctx, t, act, nil)
}

// upload opens the data file of an authorized upload in .incoming, with
// the limits of the accounts it is charged to (quota.go); c is the folder
// copy it belongs to, or nil.
func (v *View) upload(ctx context.Context, t target, act authz.Action, c *TreeCopy) (*Upload, error) {
	limit, why, err := v.uploadLimit(ctx, t, c)
	if err != nil {
		return nil, v.done(ctx, "create", act, t, nil, err)
	}
	tmp := tempName(v.session.ID)
	f, err := v.files.createTemp(tmp)
	if err != nil {
		return nil, v.done(ctx, "create", act, t, nil, err)
	}
	return &Upload{v: v, t: t, act: act, file: f, flow: v.begin(t, true), name: tmp,
		hash: hashing{sum: sha256.New()}, limit: limit, limitErr: why, nextFree: freeCheckEvery, stage: c}, nil
}

// WriteAt writes at an offset; out-of-order writes are fine.
func (u *Upload) WriteAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	n, err := u.writeAt(p, off)
	u.mu.Unlock()
	if n > 0 {
		u.flow.Count(int64(n))
	}
	return n, err
}

// Write appends, for protocols that stream.
func (u *Upload) Write(p []byte) (int, error) {
	u.mu.Lock()
	n, err := u.writeAt(p, u.size)
	u.mu.Unlock()
	if n > 0 {
		u.flow.Count(int64(n))
	}
	return n, err
}

// writeAt writes with u.mu held.
func (u *Upload) writeAt(p []byte, off int64) (int, error) {
	if errors.Is(u.failed, ErrQuota) {
		// Pipelined writes arrive out of order: every write after the
		// refused one says why, not just the first.
		return 0, pathErr("write", u.t.vpath.String(), u.failed)
	}
	if u.closed || u.failed != nil {
		return 0, &PathError{Op: "write", Path: u.t.vpath.String(), Err: ErrFailed}
	}
	if off < 0 {
		u.failed = errors.New("write at a negative offset")
		return 0, &PathError{Op: "write", Path: u.t.vpath.String(), Err: ErrUnsupported}
	}
	// What the file would take, holes included, is checked before a byte
	// lands: a write far out cannot make a huge sparse file.
	if err := u.checkGrowth(max(u.size, off+int64(len(p)))); err != nil {
		u.failed = err
		return 0, pathErr("write", u.t.vpath.String(), err)
	}
	if off > u.size+maxHole {
		u.failed = errors.New("write far past the end of the data")
		return 0, &PathError{Op: "write", Path: u.t.vpath.String(), Err: ErrUnsupported}
	}
	n, err := u.file.WriteAt(p, off)
	u.noteWritten(off, n)
	if end := off + int64(n); n > 0 && end > u.size {
		u.size = end
	}
	// The writeback starts on the data written in order: out of order
	// writes leave gaps that a range up to size would pass over before
	// they fill, leaving those for Close's fsync.
	if done := u.inOrder; done >= 0 && done >= u.written+writeBehind {
		u.v.files.startWriteback(u.file, u.name, u.written, done-u.written)
		u.written = done
	}
	if err != nil {
		u.failed = err // a file with a failed write is never put in place
		return n, pathErr("write", u.t.vpath.String(), err)
	}
	return n, nil
}

// TransferError tells the upload that its transfer failed (pkg/sftp calls
// it when the connection drops with the file open); Close then discards it.
func (u *Upload) TransferError(err error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if err == nil {
		err = errors.New("transfer aborted")
	}
	if u.failed == nil {
		u.failed = err
	}
}

// Close finishes the upload. After a clean transfer it makes the data
// durable and notes the upload as pending in the store (at once: neither
// depends on the other, and both are durable before the rename), renames
// the file into place, makes its folder durable and commits the audit row
// and event, and only then returns nil. After a failed transfer it removes the data.
// When anything fails once the file is in place (the folder's fsync, the
// audit row), the file is taken back out (an overwritten file is put back)
// and the upload is refused; if even that fails, the pending note remains
// and the next start settles it (Files.Reconcile). Either way no file is
// visible for long that no event names, and none is acknowledged.
func (u *Upload) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil
	}
	u.closed = true
	u.flow.End()
	u.hash.stop() // before anything closes the file it reads
	ctx := context.Background()
	vpath := u.t.vpath.String()
	if u.failed != nil {
		u.discard()
		u.v.audit(ctx, string(u.act), u.t, nil, u.size, "", store.ResultFailed, "transfer aborted: "+u.failed.Error())
		if errors.Is(u.failed, ErrQuota) { // refused for size: the close says so too
			return pathErr("close", vpath, u.failed)
		}
		return &PathError{Op: "close", Path: vpath, Err: ErrFailed, Cause: u.failed}
	}
	sum, err := u.digest256()
	if err == nil && u.v.files.av != nil {
		err = u.syncData() // a file the scan quarantines is kept durable
	}
	if err != nil {
		u.discard()
		pe := pathErr("close", vpath, err).(*PathError)
		u.v.audit(ctx, string(u.act), u.t, nil, u.size, "", store.ResultFailed, pe.Err.Error())
		return pe
	}
	note, err := u.scan(ctx, sum) // antivirus (scan.go): before anything is visible
	if err != nil {
		return err
	}
	// The quotas as they are now, after the scan (which may take long):
	// other uploads of the same accounts may have completed since this one
	// began. Checked just before the upload is noted and placed; two
	// uploads closing at the same instant can still both pass it.
	if err := u.recheck(ctx); err != nil {
		u.discard()
		pe := pathErr("close", vpath, err).(*PathError)
		u.v.audit(ctx, string(u.act), u.t, nil, u.size, sum, store.ResultFailed, pe.Err.Error())
		return pe
	}
	ok := u.v.entry(string(u.act), u.t, nil, u.size, sum, store.ResultOK, note)
	// The pending note and the data's fsync do not depend on each other:
	// the note is written while the data is made durable, and the rename
	// waits for both. A crash between them leaves a note whose file is not
	// in place (Reconcile audits it as failed) or data in .incoming that
	// no note names (removed at the next start): nothing visible either way.
	var id int64
	noted := make(chan error, 1)
	go func() {
		var err error
		id, err = u.v.auditor.BeginUpload(ctx, ok)
		noted <- err
	}()
	var syncErr error
	if u.v.files.crashes("pending before fsync data") {
		syncErr = errCrashed // the note goes in; the process dies before the data is durable
	} else {
		syncErr = u.syncData()
	}
	if err := <-noted; err != nil {
		u.discard()
		u.v.audit(ctx, string(u.act), u.t, nil, u.size, "", store.ResultFailed, "audit: "+err.Error())
		return &PathError{Op: "close", Path: vpath, Err: ErrFailed, Cause: err}
	}
	if errors.Is(syncErr, errCrashed) || u.v.files.crashes("pending") {
		return &PathError{Op: "close", Path: vpath, Err: ErrFailed, Cause: errCrashed}
	}
	failed := func(reason string) {
		// Best effort: when the store is down this fails too, and the
		// pending note is settled at the next start.
		u.v.auditor.CommitUpload(ctx, id, u.v.entry(string(u.act), u.t, nil, u.size, "", store.ResultFailed, reason))
	}
	if syncErr != nil {
		u.discard()
		pe := pathErr("close", vpath, syncErr).(*PathError)
		failed(pe.Err.Error())
		return pe
	}
	placed, err := u.v.files.objects.place(ctx, u)
	if err != nil {
		u.discard()
		pe := pathErr("close", vpath, err).(*PathError)
		failed(pe.Err.Error())
		return pe
	}
	defer placed.close()
	if u.v.files.crashes("rename") {
		return &PathError{Op: "close", Path: vpath, Err: ErrFailed, Cause: errCrashed}
	}
	err = placed.sync()
	if err == nil && u.v.files.crashes("fsync folder") {
		return &PathError{Op: "close", Path: vpath, Err: ErrFailed, Cause: errCrashed}
	}
	if err == nil && u.stage != nil {
		u.stage.staged(id, ok) // in the copy's staging folder: its Commit puts it in place
		return nil
	}
	reason := "fsync folder"
	if err == nil {
		if u.auditID, err = u.v.auditor.CommitUpload(ctx, id, ok); err == nil {
			placed.keep()
			u.digest = sum
			return nil
		}
		reason = "audit"
	}
	// Not acknowledged: nothing may stay in place that no event names.
	if terr := placed.undo(); terr != nil {
		return &PathError{Op: "close", Path: vpath, Err: ErrFailed, Cause: errors.Join(err, terr)}
	}
	failed(reason + " failed, upload taken back: " + err.Error())
	return &PathError{Op: "close", Path: vpath, Err: ErrFailed, Cause: err}
}

// Size returns the number of bytes written so far.
func (u *Upload) Size() int64 {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.size
}

func (u *Upload) discard() {
	u.file.Close()
	u.v.files.removeTemp(u.name)
}

// syncData makes the data durable and closes the file; once done, it
// does nothing.
func (u *Upload) syncData() error {
	if u.synced {
		return nil
	}
	if err := u.v.files.fsync(u.file, "fsync data", u.name); err != nil {
		return err
	}
	if err := u.file.Close(); err != nil {
		return err
	}
	u.synced = true
	return nil
}

// folder opens the folder the file goes into.
func (u *Upload) folder() (*os.File, error) {
	if u.stage != nil {
		return openDir(u.v.files.incoming, u.stageDir)
	}
	var dir *os.File
	err := u.v.withMount(u.t, func(r *RootFs) error {
		d, err := openDir(r.root, relName(path.Dir(u.t.rel)))
		dir = d
		return err
	})
	return dir, err
}

// place renames the file into dir: a plain write never over an existing
// file; an overwrite swaps it with the file it replaces, which stays in
// .incoming under the upload's name (exchanged) until the upload is
// committed or taken back.
func (u *Upload) place(dir *os.File) (exchanged bool, err error) {
	if !u.mtime.IsZero() {
		if err := u.v.files.incoming.Chtimes(u.name, u.atime, u.mtime); err != nil {
			return false, err
		}
	}
	base := path.Base(u.t.rel)
	if u.act == authz.Overwrite {
		err = exchangeAt(u.v.files.inDir, u.name, dir, base)
		if err == nil {
			u.v.files.step("rename", u.t.spath)
			return true, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return false, err
		}
		// The file to replace is gone: this is a new file after all.
	}
	if err := renameAt(u.v.files.inDir, u.name, dir, base, false); err != nil {
		return false, err
	}
	u.v.files.step("rename", u.t.spath)
	return false, nil
}

// takeBack undoes place: the new file goes back to .incoming (and is
// removed), the file an overwrite replaced goes back in place, and the
// folder is made durable again.
func (u *Upload) takeBack(dir *os.File, exchanged bool) error {
	base := path.Base(u.t.rel)
	var err error
	if exchanged {
		err = exchangeAt(dir, base, u.v.files.inDir, u.name)
	} else {
		err = renameAt(dir, base, u.v.files.inDir, u.name, false)
	}
	if err != nil {
		return err
	}
	u.v.files.removeTemp(u.name)
	return dir.Sync()
}

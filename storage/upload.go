package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
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
	v      *View
	t      target
	act    authz.Action // Write (new file) or Overwrite
	file   *os.File
	name   string // in .incoming
	mu     sync.Mutex
	sum    hash.Hash
	hashed int64            // bytes hashed so far, in order; -1 once Close must re-read
	ahead  map[int64][]byte // copies of writes past hashed, until the gap fills
	aheadN int
	size   int64
	failed error // set by TransferError
	closed bool
	mtime  time.Time // applied once in place, when set
	atime  time.Time
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
	if fi, err := v.lookup(t); err == nil {
		if fi.IsDir() {
			return nil, &PathError{Op: "create", Path: t.vpath.String(), Err: ErrIsDir}
		}
		act = authz.Overwrite
	}
	if err := v.authorize(ctx, "create", act, t, false); err != nil {
		return nil, err
	}
	tmp := tempName(v.session.ID)
	f, err := v.files.createTemp(tmp)
	if err != nil {
		return nil, v.done(ctx, "create", act, t, nil, err)
	}
	return &Upload{v: v, t: t, act: act, file: f, name: tmp, sum: sha256.New()}, nil
}

// WriteAt writes at an offset; out-of-order writes are fine.
func (u *Upload) WriteAt(p []byte, off int64) (int, error) {
	u.mu.Lock()
	n, err := u.writeAt(p, off)
	u.mu.Unlock()
	u.v.countIn(n)
	return n, err
}

// Write appends, for protocols that stream.
func (u *Upload) Write(p []byte) (int, error) {
	u.mu.Lock()
	n, err := u.writeAt(p, u.size)
	u.mu.Unlock()
	u.v.countIn(n)
	return n, err
}

// writeAt writes with u.mu held.
func (u *Upload) writeAt(p []byte, off int64) (int, error) {
	if u.closed || u.failed != nil {
		return 0, &PathError{Op: "write", Path: u.t.vpath.String(), Err: ErrFailed}
	}
	if off < 0 || off > u.size+maxHole {
		u.failed = errors.New("write far past the end of the data")
		return 0, &PathError{Op: "write", Path: u.t.vpath.String(), Err: ErrUnsupported}
	}
	n, err := u.file.WriteAt(p, off)
	u.hash(p[:n], off)
	if end := off + int64(n); n > 0 && end > u.size {
		u.size = end
	}
	if err != nil {
		u.failed = err // a file with a failed write is never put in place
		return n, pathErr("write", u.t.vpath.String(), err)
	}
	return n, nil
}

// maxAhead bounds the out-of-order data kept for hashing; pipelined SFTP
// clients keep a few MiB in flight.
const maxAhead = 16 << 20

// hash feeds the sha256 in file order. Writes that arrive early are kept
// until the gap before them fills; past maxAhead, or on a rewrite, Close
// re-reads the file instead.
func (u *Upload) hash(p []byte, off int64) {
	switch {
	case u.hashed < 0 || len(p) == 0:
		return
	case off == u.hashed:
		u.sum.Write(p)
		u.hashed += int64(len(p))
		for next, ok := u.ahead[u.hashed]; ok; next, ok = u.ahead[u.hashed] {
			delete(u.ahead, u.hashed)
			u.aheadN -= len(next)
			u.sum.Write(next)
			u.hashed += int64(len(next))
		}
	case off > u.hashed && u.aheadN+len(p) <= maxAhead && u.ahead[off] == nil:
		if u.ahead == nil {
			u.ahead = make(map[int64][]byte)
		}
		u.ahead[off] = append([]byte(nil), p...)
		u.aheadN += len(p)
	default:
		u.hashed, u.ahead, u.aheadN = -1, nil, 0
	}
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

// Close finishes the upload. After a clean transfer it makes the data, the
// file's place in its folder and the audit row durable, and only then
// returns nil; after a failed one it removes the data.
func (u *Upload) Close() error {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.closed {
		return nil
	}
	u.closed = true
	ctx := context.Background()
	if u.failed != nil {
		u.discard()
		u.v.audit(ctx, string(u.act), u.t, nil, u.size, "", store.ResultFailed, "transfer aborted: "+u.failed.Error())
		return &PathError{Op: "close", Path: u.t.vpath.String(), Err: ErrFailed, Cause: u.failed}
	}
	sum, err := u.commit()
	if err != nil {
		u.discard()
		pe := pathErr("close", u.t.vpath.String(), err).(*PathError)
		u.v.audit(ctx, string(u.act), u.t, nil, u.size, "", store.ResultFailed, pe.Err.Error())
		return pe
	}
	if err := u.v.audit(ctx, string(u.act), u.t, nil, u.size, sum, store.ResultOK, ""); err != nil {
		return &PathError{Op: "close", Path: u.t.vpath.String(), Err: ErrFailed, Cause: err}
	}
	return nil
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

// commit fsyncs the data, hashes what was not hashed in order, and renames
// the file into place (never over an existing file for a plain write).
func (u *Upload) commit() (string, error) {
	if err := u.v.files.fsync(u.file, "fsync data", u.name); err != nil {
		return "", err
	}
	if u.hashed != u.size || len(u.ahead) > 0 {
		u.sum.Reset()
		if _, err := io.Copy(u.sum, io.NewSectionReader(u.file, 0, u.size)); err != nil {
			return "", fmt.Errorf("hash: %w", err)
		}
	}
	if err := u.file.Close(); err != nil {
		return "", err
	}
	sum := hex.EncodeToString(u.sum.Sum(nil))
	err := u.v.withMount(u.t, func(r *RootFs) error {
		dir, err := r.root.Open(relName(path.Dir(u.t.rel)))
		if err != nil {
			return err
		}
		defer dir.Close()
		if fi, err := dir.Stat(); err != nil || !fi.IsDir() {
			return ErrNotFound
		}
		if !u.mtime.IsZero() {
			if err := u.v.files.incoming.Chtimes(u.name, u.atime, u.mtime); err != nil {
				return err
			}
		}
		if err := renameAt(u.v.files.inDir, u.name, dir, path.Base(u.t.rel), u.act == authz.Overwrite); err != nil {
			return err
		}
		u.v.files.step("rename", u.t.spath)
		return u.v.files.fsync(dir, "fsync folder", path.Dir(u.t.spath))
	})
	if err != nil {
		return "", err
	}
	return sum, nil
}

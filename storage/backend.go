package storage

import (
	"context"
	"io"
	"io/fs"
	"path"
	"time"
)

// backend is where the bytes of the files tree live: the local disk
// through os.Root (localBackend, the default) or an S3-compatible object
// store (s3Backend). The view decides (authz, hide before deny, quotas,
// audit) and only then asks the backend; uploads are always received in
// files/.incoming on local disk and handed to the backend by place.
type backend interface {
	// stat describes a file or folder; folders follow symlinks inside
	// the mount, and what is not a regular file or folder is not there.
	stat(ctx context.Context, l loc) (fs.FileInfo, error)
	// readDir lists a folder's files and folders, unsorted.
	readDir(ctx context.Context, l loc) ([]fs.FileInfo, error)
	// open opens a regular file for reading.
	open(ctx context.Context, l loc) (blob, error)
	// mkdir makes one folder, durably; its parent exists.
	mkdir(ctx context.Context, l loc) error
	// remove removes a file or an empty folder (ErrNotEmpty), durably.
	remove(ctx context.Context, l loc) error
	// rename moves a file or folder; without replace it never replaces
	// what is at to.
	rename(ctx context.Context, from, to loc, replace bool) error
	// chtimes sets a file's or folder's times.
	chtimes(ctx context.Context, l loc, atime, mtime time.Time) error
	// props and setProps read and replace the WebDAV dead properties kept
	// with a file or folder (JSON; empty data removes them).
	props(ctx context.Context, l loc) ([]byte, error)
	setProps(ctx context.Context, l loc, data []byte) error
	// dirProps returns the dead properties of entries of the folder at
	// dir (as its readDir listed them), by name; entries without any are
	// left out.
	dirProps(ctx context.Context, dir loc, entries []fs.FileInfo) (map[string][]byte, error)
	// place puts a complete, hashed upload at its name (see Upload.Close).
	place(ctx context.Context, u *Upload) (placement, error)
	// mkdirAll makes a folder of the tree (storage path) and its parents.
	mkdirAll(ctx context.Context, spath string) error
	// walk calls fn with each folder and regular file below the folder
	// dir (a storage path), a folder before what it holds.
	walk(ctx context.Context, dir string, fn func(spath string, fi fs.FileInfo) error) error
	// fileAt opens the regular file at storage path spath, not following
	// a symlink at that name (Reconcile, quota scans).
	fileAt(ctx context.Context, spath string) (blob, fs.FileInfo, error)
}

// loc names a file or folder: the storage folder of a mount, which
// nothing on the backend may lead out of, and a name inside it ("" for
// the mount's own folder).
type loc struct {
	mount string // "/dossiers/ACME", or "/" for the whole tree
	rel   string // "2026/x.pdf"
}

// spath is the storage path of l.
func (l loc) spath() string { return path.Join("/", l.mount, l.rel) }

// locOf is where a storage path is, seen from the whole tree.
func locOf(spath string) loc { return loc{mount: "/", rel: rel(spath)} }

// blob is a file open for reading.
type blob interface {
	io.Reader
	io.ReaderAt
	io.Closer
}

// placement is an upload put at its name, not yet acknowledged.
type placement interface {
	// sync makes the placement durable.
	sync() error
	// keep is told the upload is committed: what it replaced may go.
	keep()
	// undo takes the upload back out and puts back what it replaced.
	undo() error
	// close releases what the placement holds.
	close()
}

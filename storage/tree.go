package storage

import (
	"context"
	"errors"
	"io"
	"io/fs"
)

// Remote reports whether the files live in an object store rather than
// in the files tree on local disk.
func (f *Files) Remote() bool {
	_, local := f.objects.(localBackend)
	return !local
}

// WalkTree calls fn with the folder or file at storage path spath and,
// for a folder, everything below it, a folder before what it holds; for a
// file, open reads it. It is for what reads the files outside any view
// (backups): nothing is authorized or audited. A spath that does not
// exist is no error; a file removed while the walk runs makes open fail
// with fs.ErrNotExist.
func (f *Files) WalkTree(ctx context.Context, spath string, fn func(spath string, fi fs.FileInfo, open func() (io.ReadCloser, error)) error) error {
	fi, err := f.objects.stat(ctx, locOf(spath))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return pathErr("walk", spath, err)
	}
	open := func(sp string) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) {
			b, _, err := f.objects.fileAt(ctx, sp)
			return b, err
		}
	}
	if err := fn(spath, fi, open(spath)); err != nil || !fi.IsDir() {
		return err
	}
	return f.objects.walk(ctx, spath, func(sp string, fi fs.FileInfo) error { return fn(sp, fi, open(sp)) })
}

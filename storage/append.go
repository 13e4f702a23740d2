package storage

import (
	"context"
	"io"

	"github.com/oaq/custodia/authz"
)

// Append opens an upload that starts with the first keep bytes of the
// existing file (all of them when keep < 0) and goes on with what is
// written: FTP's APPE and REST+STOR, SFTP's append and resumed uploads.
// Keeping a file's content needs the right to overwrite it. The result
// still replaces the file atomically at Close; an aborted append leaves
// the file as it was. A file that does not exist yet is a new upload.
func (v *View) Append(ctx context.Context, name string, keep int64) (*Upload, error) {
	u, err := v.Create(ctx, name)
	if err != nil {
		return nil, err
	}
	if u.act != authz.Overwrite {
		if keep > 0 {
			u.TransferError(nil)
			u.Close()
			return nil, &PathError{Op: "append", Path: u.Path(), Err: ErrNotFound}
		}
		return u, nil
	}
	err = func() error {
		fi, err := v.files.objects.stat(ctx, u.t.loc())
		if err != nil {
			return err
		}
		if keep < 0 {
			keep = fi.Size()
		}
		if keep > fi.Size() {
			return ErrUnsupported // resuming past the end
		}
		f, err := v.files.objects.open(ctx, u.t.loc())
		if err != nil {
			return err
		}
		defer f.Close()
		// The kept head is the server's own copy, not bytes the session sent.
		_, err = io.CopyN(uncounted{u}, f, keep)
		return err
	}()
	if err != nil {
		u.TransferError(err)
		u.Close()
		return nil, pathErr("append", u.Path(), err)
	}
	return u, nil
}

// uncounted writes to an upload without counting the session's bytes.
type uncounted struct{ u *Upload }

func (w uncounted) Write(p []byte) (int, error) {
	w.u.mu.Lock()
	defer w.u.mu.Unlock()
	return w.u.writeAt(p, w.u.size)
}

package sftp

import (
	"context"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"sync"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/storage"
)

// handlers adapts pkg/sftp's request server to a storage view. Every
// method maps errors once, through statusOf, and logs once.
type handlers struct {
	ctx  context.Context // the connection's; cancelled when it closes
	view *storage.View
	log  *slog.Logger

	mu      sync.Mutex
	uploads map[string]*upload // open uploads by clean virtual path
}

// upload is an open upload that leaves the handlers' table when closed.
type upload struct {
	*storage.Upload
	h *handlers
}

// WriteAt maps a refused write once, like every other answer.
func (u *upload) WriteAt(p []byte, off int64) (int, error) {
	n, err := u.Upload.WriteAt(p, off)
	return n, statusOf(err)
}

func (u *upload) Close() error {
	u.h.mu.Lock()
	if u.h.uploads[u.Path()] == u {
		delete(u.h.uploads, u.Path())
	}
	u.h.mu.Unlock()
	// Refused at the last checks (quota, antivirus, a name taken since):
	// mapped like every other answer, so no virtual path or Go error text
	// leaves.
	return statusOf(u.Upload.Close())
}

func (h *handlers) fail(op string, err error) error {
	if err != nil {
		h.log.Debug("sftp request failed", "action", op, "err", err)
	}
	return statusOf(err)
}

// Fileread opens a file for download.
func (h *handlers) Fileread(r *gosftp.Request) (io.ReaderAt, error) {
	d, err := h.view.Open(h.ctx, r.Filepath)
	if err != nil {
		return nil, h.fail("read", err)
	}
	return d, nil
}

// Filewrite opens an upload. An open without truncate keeps the existing
// content (a resumed upload, as OpenSSH's reput), which needs the right
// to overwrite; the file is still replaced atomically at close. Append
// mode, whose writes ignore their offsets, is refused as unsupported.
func (h *handlers) Filewrite(r *gosftp.Request) (io.WriterAt, error) {
	fl := r.Pflags()
	if fl.Append {
		return nil, gosftp.ErrSSHFxOpUnsupported
	}
	var u *storage.Upload
	var err error
	if fl.Trunc {
		u, err = h.view.Create(h.ctx, r.Filepath)
	} else {
		u, err = h.view.Append(h.ctx, r.Filepath, -1)
	}
	if err != nil {
		return nil, h.fail("write", err)
	}
	w := &upload{Upload: u, h: h}
	h.mu.Lock()
	if h.uploads == nil {
		h.uploads = make(map[string]*upload)
	}
	h.uploads[u.Path()] = w
	h.mu.Unlock()
	return w, nil
}

// openUpload returns the open upload of a path, if any.
func (h *handlers) openUpload(name string) *upload {
	p, err := storage.ParsePath(name)
	if err != nil {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.uploads[p.String()]
}

// Filecmd runs the commands that change the tree.
func (h *handlers) Filecmd(r *gosftp.Request) error {
	var err error
	switch r.Method {
	case "Mkdir":
		err = h.view.Mkdir(h.ctx, r.Filepath)
	case "Remove":
		err = h.view.Remove(h.ctx, r.Filepath)
	case "Rmdir":
		err = h.view.RemoveDir(h.ctx, r.Filepath)
	case "Rename":
		err = h.view.Rename(h.ctx, r.Filepath, r.Target, false)
	case "Setstat":
		attrs := r.AttrFlags()
		if !attrs.Acmodtime {
			return nil // sizes, modes and owners are the gateway's; times are the only thing a client may set
		}
		a := r.Attributes()
		if u := h.openUpload(r.Filepath); u != nil { // applied when the upload is in place
			return h.fail(r.Method, u.SetTimesAsked(a.AccessTime(), a.ModTime()))
		}
		err = h.view.Chtimes(h.ctx, r.Filepath, a.AccessTime(), a.ModTime())
	default: // Link, Symlink
		return gosftp.ErrSSHFxOpUnsupported
	}
	return h.fail(r.Method, err)
}

// PosixRename is rename that replaces an existing target.
func (h *handlers) PosixRename(r *gosftp.Request) error {
	return h.fail("rename", h.view.Rename(h.ctx, r.Filepath, r.Target, true))
}

// Filelist answers List and Stat.
func (h *handlers) Filelist(r *gosftp.Request) (gosftp.ListerAt, error) {
	switch r.Method {
	case "List":
		fis, err := h.view.ReadDir(h.ctx, r.Filepath)
		if err != nil {
			return nil, h.fail("list", err)
		}
		return listerAt(fis), nil
	case "Stat", "Lstat", "Readlink":
		fi, err := h.view.Stat(h.ctx, r.Filepath)
		if err != nil {
			return nil, h.fail("stat", err)
		}
		return listerAt{fi}, nil
	}
	return nil, gosftp.ErrSSHFxOpUnsupported
}

// Lstat is Stat: the view never shows a symlink.
func (h *handlers) Lstat(r *gosftp.Request) (gosftp.ListerAt, error) { return h.Filelist(r) }

// RealPath cleans a path the way the view does.
func (h *handlers) RealPath(p string) (string, error) {
	vp, err := storage.ParsePath(p)
	if err != nil {
		return "", gosftp.ErrSSHFxNoSuchFile
	}
	return vp.String(), nil
}

type listerAt []fs.FileInfo

func (l listerAt) ListAt(dst []os.FileInfo, off int64) (int, error) {
	if off >= int64(len(l)) {
		return 0, io.EOF
	}
	n := copy(dst, l[off:])
	if n < len(dst) {
		return n, io.EOF
	}
	return n, nil
}

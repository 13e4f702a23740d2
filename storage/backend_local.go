package storage

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path"
	"strconv"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// localBackend keeps the files on local disk, in the files tree, reached
// only through os.Root: each operation opens its mount's folder as its
// own root, so that nothing on disk can lead out of the mount.
type localBackend struct{ f *Files }

var _ backend = localBackend{}

// withMount runs fn with the mount of l open as a root.
func (b localBackend) withMount(l loc, fn func(*RootFs) error) error {
	root, err := b.f.root.OpenRoot(rel(l.mount))
	if err != nil {
		return err
	}
	defer root.Close()
	return fn(NewRootFs(root))
}

func (b localBackend) stat(_ context.Context, l loc) (fs.FileInfo, error) {
	var fi fs.FileInfo
	err := b.withMount(l, func(r *RootFs) (err error) {
		fi, err = r.Stat(relName(l.rel))
		return err
	})
	return fi, err
}

func (b localBackend) readDir(_ context.Context, l loc) ([]fs.FileInfo, error) {
	var entries []fs.FileInfo
	err := b.withMount(l, func(r *RootFs) error {
		d, err := r.Open(relName(l.rel))
		if err != nil {
			return err
		}
		defer d.Close()
		entries, err = d.Readdir(-1)
		return err
	})
	return entries, err
}

func (b localBackend) open(_ context.Context, l loc) (blob, error) {
	var f *os.File
	err := b.withMount(l, func(r *RootFs) error {
		af, err := r.OpenFile(l.rel, os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		var ok bool
		if f, ok = af.(*os.File); !ok {
			af.Close()
			return ErrIsDir
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return f, nil
}

func (b localBackend) mkdir(_ context.Context, l loc) error {
	return b.withMount(l, func(r *RootFs) error {
		if err := r.Mkdir(l.rel, dirMode); err != nil {
			return err
		}
		return syncDir(r, path.Dir(l.rel))
	})
}

func (b localBackend) remove(_ context.Context, l loc) error {
	return b.withMount(l, func(r *RootFs) error {
		if err := r.Remove(l.rel); err != nil {
			return err
		}
		return syncDir(r, path.Dir(l.rel))
	})
}

func (b localBackend) rename(_ context.Context, from, to loc, replace bool) error {
	return b.withMount(from, func(sr *RootFs) error {
		return b.withMount(to, func(dr *RootFs) error {
			return moveBetween(sr, from.rel, dr, to.rel, replace)
		})
	})
}

func (b localBackend) chtimes(_ context.Context, l loc, atime, mtime time.Time) error {
	return b.withMount(l, func(r *RootFs) error { return r.Chtimes(relName(l.rel), atime, mtime) })
}

// props reads the extended attribute that holds the dead properties; a
// filesystem without user extended attributes has none.
func (b localBackend) props(_ context.Context, l loc) ([]byte, error) {
	var data []byte
	err := b.withMount(l, func(r *RootFs) error {
		f, _, err := openServed(r.root, relName(l.rel), os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		buf := make([]byte, maxProps)
		n, err := unix.Fgetxattr(int(f.Fd()), propsAttr, buf)
		switch {
		case errors.Is(err, unix.ENODATA), errors.Is(err, unix.ENOTSUP):
			return nil
		case err != nil:
			return err
		}
		data = buf[:n]
		return nil
	})
	return data, err
}

// dirProps reads the attribute of each entry of a folder through the
// folder's descriptor, one lgetxattr by name under /proc/self/fd, instead
// of opening the mount, and then each entry, for each (props). An entry
// listed through a symlink (renamedInfo) carries its target's attribute,
// as props reads it, and so does every entry when /proc is not there.
func (b localBackend) dirProps(_ context.Context, dir loc, entries []fs.FileInfo) (map[string][]byte, error) {
	out := map[string][]byte{}
	err := b.withMount(dir, func(r *RootFs) error {
		d, err := openDir(r.root, relName(dir.rel))
		if err != nil {
			return err
		}
		defer d.Close()
		prefix := "/proc/self/fd/" + strconv.Itoa(int(d.Fd())) + "/"
		if _, err := os.Lstat(prefix); err != nil {
			prefix = ""
		}
		buf := make([]byte, maxProps)
		total := 0
		for _, e := range entries {
			var n int
			var err error
			if _, link := e.(renamedInfo); link || prefix == "" {
				n, err = servedProps(r, path.Join(relName(dir.rel), e.Name()), buf)
			} else {
				n, err = unix.Lgetxattr(prefix+e.Name(), propsAttr, buf)
			}
			switch {
			case errors.Is(err, unix.ENODATA), errors.Is(err, unix.ENOTSUP), errors.Is(err, fs.ErrNotExist):
				// None, or gone since the listing.
			case err != nil:
				return err
			case n > 0:
				if total += n; total > maxListedProps {
					return errManyProps
				}
				out[e.Name()] = bytes.Clone(buf[:n])
			}
		}
		return nil
	})
	return out, err
}

// servedProps reads the attribute of the file or folder at name through
// the gate (openServed) into buf.
func servedProps(r *RootFs, name string, buf []byte) (int, error) {
	f, _, err := openServed(r.root, name, os.O_RDONLY, 0)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return unix.Fgetxattr(int(f.Fd()), propsAttr, buf)
}

func (b localBackend) setProps(_ context.Context, l loc, data []byte) error {
	return b.withMount(l, func(r *RootFs) error {
		f, _, err := openServed(r.root, relName(l.rel), os.O_RDONLY, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		if len(data) == 0 {
			if err := unix.Fremovexattr(int(f.Fd()), propsAttr); err != nil && !errors.Is(err, unix.ENODATA) {
				return err
			}
			return nil
		}
		return unix.Fsetxattr(int(f.Fd()), propsAttr, data, 0)
	})
}

func (b localBackend) mkdirAll(_ context.Context, spath string) error {
	return b.f.root.MkdirAll(rel(spath), dirMode)
}

func (b localBackend) walk(ctx context.Context, dir string, fn func(spath string, fi fs.FileInfo) error) error {
	return b.walkDir(ctx, rel(dir), fn)
}

// walkDir calls fn with the folders and regular files under the folder
// name (relative to the files tree).
func (b localBackend) walkDir(ctx context.Context, name string, fn func(spath string, fi fs.FileInfo) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d, err := openDir(b.f.root, name)
	if err != nil {
		return err
	}
	entries, err := d.ReadDir(-1)
	d.Close()
	if err != nil {
		return err
	}
	for _, e := range entries {
		p := path.Join(name, e.Name())
		switch {
		case e.IsDir():
			fi, err := e.Info()
			if err != nil {
				continue // gone since it was listed
			}
			if err := fn(path.Join("/", p), fi); err != nil {
				return err
			}
			if err := b.walkDir(ctx, p, fn); err != nil && !errors.Is(err, fs.ErrNotExist) {
				return err
			}
		case e.Type().IsRegular():
			fi, err := b.f.root.Lstat(p)
			if err != nil || !fi.Mode().IsRegular() {
				continue // gone, or replaced, since it was listed
			}
			if err := fn(path.Join("/", p), fi); err != nil {
				return err
			}
		}
	}
	return nil
}

func (b localBackend) fileAt(_ context.Context, spath string) (blob, fs.FileInfo, error) {
	fi, err := b.f.root.Lstat(rel(spath))
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, nil, errNotRegular
	}
	file, fi, err := openServed(b.f.root, rel(spath), os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return nil, nil, err
	}
	if !fi.Mode().IsRegular() {
		file.Close()
		return nil, nil, errReplaced
	}
	return file, fi, nil
}

// The refusals of fileAt, for Reconcile's reasons.
var (
	errNotRegular = errors.New("not a regular file")
	errReplaced   = errors.New("replaced since it was looked at")
)

// withMount runs fn with t's mount open as a root: for what only the
// local backend does (folder copies, the upload's rename into place).
func (v *View) withMount(t target, fn func(*RootFs) error) error {
	return localBackend{v.files}.withMount(t.loc(), fn)
}

// place renames the upload from .incoming into its folder (upload.go).
func (b localBackend) place(_ context.Context, u *Upload) (placement, error) {
	dir, err := u.folder()
	if err != nil {
		return nil, err
	}
	exchanged, err := u.place(dir)
	if err != nil {
		dir.Close()
		return nil, err
	}
	return &localPlacement{u: u, dir: dir, exchanged: exchanged}, nil
}

// localPlacement is an upload renamed into its folder (dir, open).
type localPlacement struct {
	u         *Upload
	dir       *os.File
	exchanged bool // an overwrite: the replaced file is in .incoming under the upload's name
}

func (p *localPlacement) sync() error {
	return p.u.v.files.fsync(p.dir, "fsync folder", path.Dir(p.u.t.spath))
}

// keep removes the file an overwrite replaced; a new file replaced none.
func (p *localPlacement) keep() {
	if p.exchanged {
		p.u.v.files.removeTemp(p.u.name)
	}
}

func (p *localPlacement) undo() error { return p.u.takeBack(p.dir, p.exchanged) }

func (p *localPlacement) close() { p.dir.Close() }

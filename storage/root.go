package storage

import (
	"io/fs"
	"os"
	"path"
	"strings"
	"time"

	"github.com/spf13/afero"
)

// Modes of what custodia creates. Clients cannot change them.
const (
	fileMode = 0o640
	dirMode  = 0o750
)

// RootFs is an afero.Fs confined to one directory by os.Root: no name,
// ".." or symlink planted on disk can reach outside it. It serves regular
// files and folders only: a FIFO, device, socket, or symlink that leaves
// the root or points at one of those is reported as not existing, and is
// never opened in a way that could block.
type RootFs struct {
	root *os.Root
}

var _ afero.Fs = (*RootFs)(nil)

// NewRootFs wraps an open os.Root. The caller keeps ownership of it.
func NewRootFs(root *os.Root) *RootFs { return &RootFs{root: root} }

// rel turns an afero name ("/a/b", "a/b", "/") into a root-relative one.
func rel(name string) string {
	name = strings.TrimPrefix(path.Clean("/"+name), "/")
	if name == "" {
		return "."
	}
	return name
}

// served reports whether a file of this mode is one the view serves.
func served(m fs.FileMode) bool { return m.IsRegular() || m.IsDir() }

func notServed(op, name string) error {
	return &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
}

// Name implements afero.Fs.
func (r *RootFs) Name() string { return "custodia.RootFs" }

// Stat follows symlinks inside the root and hides what is not served.
func (r *RootFs) Stat(name string) (fs.FileInfo, error) {
	fi, err := r.root.Stat(rel(name))
	if err != nil {
		return nil, err
	}
	if !served(fi.Mode()) {
		return nil, notServed("stat", name)
	}
	return fi, nil
}

// OpenFile opens through the gate (openServed): without blocking on FIFOs
// or devices, and refusing anything but a regular file or a folder.
func (r *RootFs) OpenFile(name string, flag int, perm os.FileMode) (afero.File, error) {
	f, fi, err := openServed(r.root, rel(name), flag, perm)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return &rootDir{File: f, fs: r, name: rel(name)}, nil
	}
	return f, nil
}

// Open opens a file or folder for reading.
func (r *RootFs) Open(name string) (afero.File, error) { return r.OpenFile(name, os.O_RDONLY, 0) }

// Create creates or truncates a regular file.
func (r *RootFs) Create(name string) (afero.File, error) {
	return r.OpenFile(name, os.O_RDWR|os.O_CREATE|os.O_TRUNC, fileMode)
}

// Mkdir creates one folder.
func (r *RootFs) Mkdir(name string, perm os.FileMode) error { return r.root.Mkdir(rel(name), perm) }

// MkdirAll creates a folder and its missing parents.
func (r *RootFs) MkdirAll(name string, perm os.FileMode) error {
	return r.root.MkdirAll(rel(name), perm)
}

// Remove removes a file or an empty folder.
func (r *RootFs) Remove(name string) error { return r.root.Remove(rel(name)) }

// RemoveAll removes a tree.
func (r *RootFs) RemoveAll(name string) error { return r.root.RemoveAll(rel(name)) }

// Rename renames within the root.
func (r *RootFs) Rename(oldname, newname string) error {
	return r.root.Rename(rel(oldname), rel(newname))
}

// Chmod changes the mode bits.
func (r *RootFs) Chmod(name string, mode os.FileMode) error { return r.root.Chmod(rel(name), mode) }

// Chown changes the owner.
func (r *RootFs) Chown(name string, uid, gid int) error { return r.root.Chown(rel(name), uid, gid) }

// Chtimes changes the access and modification times.
func (r *RootFs) Chtimes(name string, atime, mtime time.Time) error {
	return r.root.Chtimes(rel(name), atime, mtime)
}

// rootDir is a folder opened through RootFs; its listings hide what the
// root does not serve, and show in-root symlinks as what they point at.
type rootDir struct {
	*os.File
	fs   *RootFs
	name string
}

// Readdir lists up to n served entries (all when n <= 0).
func (d *rootDir) Readdir(n int) ([]fs.FileInfo, error) {
	var out []fs.FileInfo
	for {
		batch, err := d.File.Readdir(n)
		for _, fi := range batch {
			if fi.Mode()&fs.ModeSymlink != 0 {
				target, serr := d.fs.root.Stat(path.Join(d.name, fi.Name()))
				if serr != nil || !served(target.Mode()) {
					continue
				}
				fi = renamedInfo{FileInfo: target, name: fi.Name()}
			}
			if served(fi.Mode()) {
				out = append(out, fi)
			}
		}
		// A batch that filtering emptied is not the end: read the next.
		if err != nil || n <= 0 || len(out) > 0 {
			return out, err
		}
	}
}

// Readdirnames lists names of served entries.
func (d *rootDir) Readdirnames(n int) ([]string, error) {
	fis, err := d.Readdir(n)
	names := make([]string, len(fis))
	for i, fi := range fis {
		names[i] = fi.Name()
	}
	return names, err
}

type renamedInfo struct {
	fs.FileInfo
	name string
}

func (r renamedInfo) Name() string { return r.name }

package storage

import (
	"io/fs"
	"os"
	"syscall"
)

// openServed is the one gate every open in this package goes through: it
// opens name in root without blocking (O_NONBLOCK: opening a FIFO or a
// device never waits for its other end; O_NOCTTY: a terminal never
// becomes ours), looks at what it opened through the descriptor itself
// (so what was checked is what is used, whatever changed on disk since a
// Stat), and refuses anything but a regular file or a folder as not
// existing. Callers add O_NOFOLLOW where the name itself must not be a
// symbolic link. O_NONBLOCK has no effect on regular files and folders.
func openServed(root *os.Root, name string, flag int, perm fs.FileMode) (*os.File, fs.FileInfo, error) {
	f, err := root.OpenFile(name, flag|syscall.O_NONBLOCK|syscall.O_NOCTTY, perm)
	if err != nil {
		return nil, nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, nil, err
	}
	if !served(fi.Mode()) {
		f.Close()
		return nil, nil, notServed("open", name)
	}
	return f, fi, nil
}

// openDir opens a folder through the gate, for listing, fsync or as the
// anchor of a rename; anything else under the name is not a folder.
func openDir(root *os.Root, name string) (*os.File, error) {
	f, fi, err := openServed(root, name, os.O_RDONLY|syscall.O_DIRECTORY, 0)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		f.Close()
		return nil, &fs.PathError{Op: "open", Path: name, Err: syscall.ENOTDIR}
	}
	return f, nil
}

package gateway

import (
	"io/fs"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes a generated file (a host key, a certificate) so
// that a crash or a power cut at any moment leaves either the old file or
// the whole new one, never an empty or partial file: it writes a
// temporary file in the same folder, syncs it, renames it over name and
// syncs the folder, so the rename itself is durable. On error nothing is
// left behind but what was there before.
func WriteFileAtomic(name string, data []byte, perm fs.FileMode) error {
	return osSteps().writeFileAtomic(name, data, perm)
}

// atomicSteps are the durable steps of WriteFileAtomic, a seam for the
// test that checks their order and what a failure at each one leaves.
type atomicSteps struct {
	sync    func(*os.File) error // the temporary file's data reaches the disk
	rename  func(oldpath, newpath string) error
	syncDir func(dir string) error // the rename reaches the disk
}

func osSteps() atomicSteps {
	return atomicSteps{sync: (*os.File).Sync, rename: os.Rename, syncDir: syncDir}
}

func (s atomicSteps) writeFileAtomic(name string, data []byte, perm fs.FileMode) (err error) {
	dir := filepath.Dir(name)
	f, err := os.CreateTemp(dir, "."+filepath.Base(name)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := s.sync(f); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := s.rename(tmp, name); err != nil {
		return err
	}
	return s.syncDir(dir)
}

// syncDir makes a folder's entries (a file created or renamed in it)
// durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

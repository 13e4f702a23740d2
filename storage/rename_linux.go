package storage

import (
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// renameAt moves oldName in oldDir to newName in newDir. Both names are
// single path elements and both folders were opened through os.Root, so
// the move cannot reach outside the mounts. Without replace it refuses to
// overwrite (RENAME_NOREPLACE), atomically.
func renameAt(oldDir *os.File, oldName string, newDir *os.File, newName string, replace bool) error {
	var flags uint
	if !replace {
		flags = unix.RENAME_NOREPLACE
	}
	err := unix.Renameat2(int(oldDir.Fd()), oldName, int(newDir.Fd()), newName, flags)
	runtime.KeepAlive(oldDir)
	runtime.KeepAlive(newDir)
	if err != nil {
		return &os.LinkError{Op: "rename", Old: oldName, New: newName, Err: err}
	}
	return nil
}

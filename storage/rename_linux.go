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

// exchangeAt swaps aName in aDir and bName in bDir atomically
// (RENAME_EXCHANGE): both must exist. An overwrite puts the new file in
// place this way, so that the file it replaced is kept (under the upload's
// name in .incoming) until the upload is committed, and can be put back
// if it is not.
func exchangeAt(aDir *os.File, aName string, bDir *os.File, bName string) error {
	err := unix.Renameat2(int(aDir.Fd()), aName, int(bDir.Fd()), bName, unix.RENAME_EXCHANGE)
	runtime.KeepAlive(aDir)
	runtime.KeepAlive(bDir)
	if err != nil {
		return &os.LinkError{Op: "exchange", Old: aName, New: bName, Err: err}
	}
	return nil
}

package storage

import (
	"os"

	"golang.org/x/sys/unix"
)

// writeBehind is how much an upload writes before it starts the disk's
// writeback of what it wrote. Left to the kernel, an upload's data stays
// dirty in the page cache until Close's fsync, which then waits for all
// of it: with a disk at a few hundred MB/s, the last step of a 256 MiB
// upload took a fifth of its time (issue 17). Started every writeBehind
// bytes, the disk writes while the network brings the rest, and the fsync
// finds at most about that much left.
const writeBehind = 8 << 20

// startWriteback asks the kernel to start writing the n bytes at off of
// file (the upload name in .incoming) to disk, without waiting for it
// (sync_file_range, SYNC_FILE_RANGE_WRITE). It is only a head start: it
// makes nothing durable (no metadata, no disk cache flush), Close's fsync
// does, so a failure is ignored.
func (f *Files) startWriteback(file *os.File, name string, off, n int64) {
	rc, err := file.SyscallConn()
	if err != nil {
		return
	}
	rc.Control(func(fd uintptr) {
		if unix.SyncFileRange(int(fd), off, n, unix.SYNC_FILE_RANGE_WRITE) == nil {
			f.step("start writeback", name)
		}
	})
}

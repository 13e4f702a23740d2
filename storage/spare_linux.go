package storage

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"

	"golang.org/x/sys/unix"
)

// spareFiles are upload files made ahead of the uploads that take them.
// Giving a new file its inode is the slow part of creating it: on the ext4
// disk issue 17 was measured on, 100–250 µs of kernel time, where linking
// an existing inode under a new name takes 4 µs. Each upload took that
// time between the client's open and its answer. A spare is made while
// the uploads before it wait for their fsyncs, as an unnamed file in
// .incoming (O_TMPFILE): nothing lists it, and when the process ends or
// the machine crashes the kernel frees it, so it leaves nothing behind.
// An upload links it into .incoming under its own name (linkat), and from
// then on it is the file createTemp would have made: new, empty, in the
// same folder, with the same mode.
type spareFiles struct {
	mu        sync.Mutex // held while a spare is made and while Close empties fds
	fds       chan int   // unnamed files in .incoming, ready
	closed    bool
	refilling atomic.Bool // a goroutine is making spares
	off       atomic.Bool // O_TMPFILE or linkat failed: every upload creates its file
}

// spareCount is how many spares are kept ready: enough for the uploads of
// a few sessions arriving at once.
const spareCount = 2

// takeSpare links a spare file into .incoming as name and returns it, or
// returns nil when none is ready (or linking failed: createTemp makes the
// file then). It starts making the next one either way.
func (f *Files) takeSpare(name string) *os.File {
	s := &f.spares
	if s.off.Load() {
		return nil
	}
	defer f.makeSpares()
	var fd int
	select {
	case fd = <-s.fds:
	default:
		return nil
	}
	// Linked through /proc: linkat's AT_EMPTY_PATH would need
	// CAP_DAC_READ_SEARCH.
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), int(f.inDir.Fd()), name, unix.AT_SYMLINK_FOLLOW)
	if err != nil {
		unix.Close(fd)
		if !errors.Is(err, unix.EEXIST) { // no /proc, or a filesystem that cannot: stop trying
			s.off.Store(true)
		}
		return nil
	}
	return os.NewFile(uintptr(fd), filepath.Join(f.inDir.Name(), name))
}

// makeSpares fills the spares up in the background, unless a goroutine
// already does.
func (f *Files) makeSpares() {
	s := &f.spares
	if s.off.Load() || !s.refilling.CompareAndSwap(false, true) {
		return
	}
	go func() {
		defer s.refilling.Store(false)
		for {
			s.mu.Lock()
			if s.closed || len(s.fds) == cap(s.fds) {
				s.mu.Unlock()
				return
			}
			fd, err := unix.Openat(int(f.inDir.Fd()), ".", unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(fileMode))
			if err != nil {
				s.off.Store(true) // e.g. a filesystem without O_TMPFILE
				s.mu.Unlock()
				return
			}
			s.fds <- fd // never blocks: only this goroutine adds, and there is room
			s.mu.Unlock()
		}
	}()
}

// closeSpares frees the spares; none is made after it.
func (f *Files) closeSpares() {
	s := &f.spares
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for {
		select {
		case fd := <-s.fds:
			unix.Close(fd)
		default:
			return
		}
	}
}

package storage

import (
	"time"

	"golang.org/x/sys/unix"
)

// SetTrace makes f report each durability step of an upload to fn.
func SetTrace(f *Files, fn func(step, name string)) { f.trace = fn }

// SetCrash makes every upload through f stop after step, as a crash would.
func SetCrash(f *Files, step string) { f.crashAt = step }

// SyncDir makes the folder at rel in the files tree durable, as the view
// does after a change.
func SyncDir(f *Files, rel string) error { return syncDir(NewRootFs(f.root), rel) }

// SpareInodes waits until f holds its spare upload files (made after its
// first upload) and returns their inode numbers.
func SpareInodes(f *Files) []uint64 {
	s := &f.spares
	for range 1000 {
		s.mu.Lock()
		if len(s.fds) == cap(s.fds) || s.off.Load() {
			var out []uint64
			for range len(s.fds) {
				fd := <-s.fds
				var st unix.Stat_t
				if unix.Fstat(fd, &st) == nil {
					out = append(out, st.Ino)
				}
				s.fds <- fd
			}
			s.mu.Unlock()
			return out
		}
		s.mu.Unlock()
		time.Sleep(time.Millisecond)
	}
	return nil
}

// SetMaxListedProps sets how many bytes of dead properties one listing
// reads at once (ReadDirProps), until the test ends.
func SetMaxListedProps(t interface{ Cleanup(func()) }, n int) {
	old := maxListedProps
	maxListedProps = n
	t.Cleanup(func() { maxListedProps = old })
}

// HashedBehind is how many bytes of u the goroutine behind its writes has
// hashed so far.
func HashedBehind(u *Upload) int64 {
	u.hash.mu.Lock()
	defer u.hash.mu.Unlock()
	return u.hash.hashed
}

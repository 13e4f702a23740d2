package server

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// LockFileName is the file in the data dir whose lock says who owns it.
const LockFileName = "custodia.lock"

// ErrLocked is returned by Lock when another process holds the data dir.
var ErrLocked = errors.New("data dir in use")

// DirLock is an exclusive lock on a data dir: `custodia serve` holds one
// for its whole life, and a management command while no server runs.
type DirLock struct {
	f *os.File
}

// Lock takes the data dir's lock without waiting. When another process
// holds it, the error wraps ErrLocked and names the lock file and the
// holder's pid.
func Lock(dataDir string) (*DirLock, error) {
	p := filepath.Join(dataDir, LockFileName)
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w: %s is held by pid %s", ErrLocked, p, holder(p))
		}
		return nil, fmt.Errorf("lock %s: %w", p, err)
	}
	// The pid is for people reading errors; the lock itself is the flock.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return &DirLock{f: f}, nil
}

// LockWait is Lock for a management command: it tries again for up to
// wait while the lock is held (a server starting or stopping, another
// command), then fails as Lock does.
func LockWait(dataDir string, wait time.Duration) (*DirLock, error) {
	deadline := time.Now().Add(wait)
	for {
		l, err := Lock(dataDir)
		if !errors.Is(err, ErrLocked) || !time.Now().Before(deadline) {
			return l, err
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// holder is the pid written in the lock file, or "unknown".
func holder(p string) string {
	b, err := os.ReadFile(p)
	if pid := strings.TrimSpace(string(b)); err == nil && pid != "" {
		return pid
	}
	return "unknown"
}

// Unlock releases the lock.
func (l *DirLock) Unlock() error {
	if l == nil || l.f == nil {
		return nil
	}
	err := l.f.Close() // closing the descriptor releases the flock
	l.f = nil
	return err
}

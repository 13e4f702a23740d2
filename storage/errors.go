package storage

import (
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"syscall"
)

// Protocol-neutral errors. Each front end maps them once to its own codes.
// They wrap the io/fs sentinels so that third-party code agrees.
var (
	ErrDenied      = fmt.Errorf("permission denied: %w", fs.ErrPermission)
	ErrNotFound    = fmt.Errorf("no such file or folder: %w", fs.ErrNotExist)
	ErrExists      = fmt.Errorf("already exists: %w", fs.ErrExist)
	ErrNotEmpty    = errors.New("folder not empty")
	ErrIsDir       = errors.New("is a folder")
	ErrNotDir      = errors.New("not a folder")
	ErrInvalidPath = fmt.Errorf("invalid path: %w", fs.ErrInvalid)
	ErrBadName     = fmt.Errorf("invalid name: %w", ErrInvalidPath) // a name Windows or a reader would misread, see validName
	ErrQuota       = errors.New("quota exceeded")                   // ErrTooLarge and ErrDiskReserve are ErrQuota too (quota.go)
	ErrUnsupported = errors.New("operation not supported")
	ErrFailed      = errors.New("operation failed")
)

// PathError is what every View operation returns. Path is the virtual
// path the user named; Err is one of the sentinels above; Cause, when
// set, is the underlying error for the server's log, never for a client.
type PathError struct {
	Op    string
	Path  string
	Err   error
	Cause error
}

func (e *PathError) Error() string { return e.Op + " " + e.Path + ": " + e.Err.Error() }

func (e *PathError) Unwrap() error { return e.Err }

func pathErr(op, vpath string, err error) error {
	var pe *PathError
	if errors.As(err, &pe) {
		return &PathError{Op: op, Path: vpath, Err: pe.Err, Cause: pe.Cause}
	}
	return &PathError{Op: op, Path: vpath, Err: sentinel(err), Cause: err}
}

// sentinel folds an error from disk into one of the package sentinels.
func sentinel(err error) error {
	for _, s := range []error{ErrDenied, ErrNotFound, ErrExists, ErrNotEmpty, ErrIsDir, ErrNotDir,
		ErrBadName, ErrInvalidPath, ErrQuota, ErrTooLarge, ErrDiskReserve, ErrUnsupported, ErrFailed} {
		if err == s {
			return s
		}
	}
	var errno syscall.Errno
	switch {
	case errors.As(err, &errno) && (errno == syscall.ENOTEMPTY):
		return ErrNotEmpty
	case errors.As(err, &errno) && (errno == syscall.ENOSPC || errno == syscall.EDQUOT):
		return ErrDiskReserve
	case errors.As(err, &errno) && errno == syscall.EFBIG:
		return ErrTooLarge
	case errors.As(err, &errno) && errno == syscall.EISDIR:
		return ErrIsDir
	case errors.As(err, &errno) && (errno == syscall.ENOTDIR || errno == syscall.ELOOP):
		return ErrNotFound
	case errors.Is(err, fs.ErrNotExist), isEscape(err):
		return ErrNotFound
	case errors.Is(err, fs.ErrExist):
		return ErrExists
	case errors.Is(err, fs.ErrPermission):
		return ErrDenied
	}
	return ErrFailed
}

// isEscape reports os.Root's refusal of a name or symlink that would leave
// the root. os.Root has no exported sentinel for it; to the user such a
// name is simply not there.
func isEscape(err error) bool {
	return strings.Contains(err.Error(), "path escapes from parent")
}

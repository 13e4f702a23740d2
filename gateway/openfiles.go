package gateway

import (
	"errors"
	"sync"
)

// ErrTooManyOpenFiles refuses an open over the per-session or per-user
// limit; its text is what the client sees.
var ErrTooManyOpenFiles = errors.New("too many open files")

// OpenFileLimits bound the files one session and one user (all its
// sessions together) hold open at once; 0 is no limit. Each open file is a
// file descriptor of the process.
type OpenFileLimits struct {
	PerSession int
	PerUser    int
}

// openFiles counts the open files of every user.
type openFiles struct {
	lim OpenFileLimits
	m   *metrics

	mu      sync.Mutex
	perUser map[string]int
}

func newOpenFiles(l OpenFileLimits) *openFiles {
	return &openFiles{lim: l, perUser: make(map[string]int)}
}

// FileCounter counts one session's open files against its limits.
type FileCounter struct {
	of   *openFiles
	user string
	n    int // guarded by of.mu
}

// OpenFiles returns the counter of a new session of user.
func (c *Core) OpenFiles(user string) *FileCounter { return &FileCounter{of: c.opens, user: user} }

// Open counts one more open file, or fails with ErrTooManyOpenFiles;
// release (which may run more than once) gives it back when the file is
// closed.
func (fc *FileCounter) Open() (release func(), err error) {
	of := fc.of
	of.mu.Lock()
	defer of.mu.Unlock()
	if of.lim.PerSession > 0 && fc.n >= of.lim.PerSession || of.lim.PerUser > 0 && of.perUser[fc.user] >= of.lim.PerUser {
		of.m.fileRefused()
		return nil, ErrTooManyOpenFiles
	}
	fc.n++
	of.perUser[fc.user]++
	var once sync.Once
	return func() {
		once.Do(func() {
			of.mu.Lock()
			defer of.mu.Unlock()
			fc.n--
			if of.perUser[fc.user]--; of.perUser[fc.user] <= 0 {
				delete(of.perUser, fc.user)
			}
		})
	}, nil
}

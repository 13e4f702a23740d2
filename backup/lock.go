package backup

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"github.com/oaq/custodia/store"
)

// errBusy: another run (in this process or another, such as the CLI
// beside the server) holds the job.
var errBusy = fmt.Errorf("is %w (here or in another custodia process); try again when it ends", store.ErrBackupBusy)

// lockJob locks the job's folder in the local target (flock), so that two
// runs or a run and a prune of one job never overlap: an incremental's
// base is never pruned under it. The lock goes with the process, so a
// crash leaves none behind.
func (r *Runner) lockJob(job string) (unlock func(), err error) {
	dir := filepath.Join(r.o.Local.Dir, job)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("backup: local target: %w", err)
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, fmt.Errorf("backup: lock %s: %w", job, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("backup job %s %w", job, errBusy)
		}
		return nil, fmt.Errorf("backup: lock %s: %w", job, err)
	}
	return func() { f.Close() }, nil
}

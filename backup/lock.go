package backup

import (
	"context"
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
// crash leaves none behind. Then it takes the job's lease in the store
// ("backup:<job>"), which gateways sharing the database each hold in
// turn: a run here refuses a run there as busy. held ends if the lease is
// lost (the database stalled past its TTL): the work must stop then.
func (r *Runner) lockJob(ctx context.Context, job string) (held context.Context, unlock func(), err error) {
	dir := filepath.Join(r.o.Local.Dir, job)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, nil, fmt.Errorf("backup: local target: %w", err)
	}
	f, err := os.Open(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("backup: lock %s: %w", job, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, nil, fmt.Errorf("backup job %s %w", job, errBusy)
		}
		return nil, nil, fmt.Errorf("backup: lock %s: %w", job, err)
	}
	held, release, err := r.o.Store.Hold(context.WithoutCancel(ctx), "backup:"+job, r.o.Holder, r.o.LeaseTTL)
	if err != nil {
		f.Close()
		if errors.Is(err, store.ErrLeaseHeld) {
			return nil, nil, fmt.Errorf("backup job %s %w", job, errBusy)
		}
		return nil, nil, fmt.Errorf("backup: lock %s: %w", job, err)
	}
	return held, func() { release(); f.Close() }, nil
}

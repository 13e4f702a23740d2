package backup

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/oaq/custodia/store"
)

// Where a restore run writes: it stages the folder whole on local disk,
// under files/restores/.<id>.part, and publish puts it in place where the
// files live.

// lockRestore takes the lease "restore:<id>" in the store, so that no two
// runs of one request overlap, here or in another gateway that shares the
// database (and, with the files on S3, the bucket). The returned context
// ends when ctx does or when the lease is lost; unlock gives it up.
func (r *Runner) lockRestore(ctx context.Context, id string) (context.Context, func(), error) {
	held, release, err := r.o.Store.Hold(context.WithoutCancel(ctx), "restore:"+id, r.o.Holder, r.o.LeaseTTL)
	if errors.Is(err, store.ErrLeaseHeld) {
		return nil, nil, badState("restore %s is already running (here or in another custodia process)", id)
	}
	if err != nil {
		return nil, nil, fmt.Errorf("restore %s: lease: %w", id, err)
	}
	work, cancel := context.WithCancel(held)
	stop := context.AfterFunc(ctx, cancel)
	return work, func() { stop(); cancel(); release() }, nil
}

// fresh refuses a restore whose folder already exists where the files
// live: a restore never writes over files.
func (r *Runner) fresh(ctx context.Context, id string) error {
	if r.o.Tree == nil {
		if _, err := os.Lstat(r.localDir(id)); err == nil {
			return badState("%s already exists: a restore never writes over files", RestoreDir(id))
		}
		return nil
	}
	_, err := r.o.Tree.StatTree(ctx, RestoreDir(id))
	switch {
	case err == nil:
		return badState("%s already exists in the bucket: a restore never writes over files "+
			"(if a run of it stopped while putting the files, remove the keys under %s/ and run it again)",
			RestoreDir(id), tarName(RestoreDir(id)))
	case !errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("restore %s: %w", id, err)
	}
	return nil
}

// localDir is the restore's folder in the files tree on local disk.
func (r *Runner) localDir(id string) string {
	return filepath.Join(r.o.FilesDir, filepath.FromSlash(tarName(RestoreDir(id))))
}

// stageDir makes the run's working folder, exclusively: it also keeps two
// runs of one request in this data dir apart.
func (r *Runner) stageDir(id string) (string, error) {
	areas := filepath.Dir(r.localDir(id))
	if err := os.MkdirAll(areas, 0o750); err != nil { // with the files on S3, only what restores stage
		return "", err
	}
	part := filepath.Join(areas, "."+id+".part")
	if err := os.Mkdir(part, 0o750); errors.Is(err, fs.ErrExist) {
		return "", badState("restore %s is already running (if a run crashed, remove %s and run it again)", id, part)
	} else if err != nil {
		return "", err
	}
	return part, nil
}

// publish puts the staged folder part in place as the restore's folder:
// on local disk it is renamed there, and appears whole at once; with the
// files in an object store each file is put, checked against sums (its
// sha256 by its name in part), and an error takes what was put back out
// of the bucket, so that the request can run again.
func (r *Runner) publish(ctx context.Context, part, id string, sums map[string]string) error {
	if r.o.Tree == nil {
		return os.Rename(part, r.localDir(id))
	}
	_, err := r.o.Tree.PutTree(ctx, part, RestoreDir(id), func(rel string) (string, bool) {
		s, ok := sums[filepath.ToSlash(rel)]
		return s, ok
	})
	if err != nil {
		return fmt.Errorf("restore %s: %w", id, err)
	}
	return nil
}

package storage

import (
	"context"
	"errors"
	"fmt"

	"golang.org/x/sys/unix"

	"github.com/oaq/custodia/authz"
)

// ErrNoFolder is Check's answer for a new name whose folder does not
// exist or is hidden: the two look the same, so nothing can be probed.
var ErrNoFolder = fmt.Errorf("no such folder: %w", ErrNotFound)

// Check answers whether the user may perform act on name, for a front end
// that must decide before it commits to a request (WebDAV authorizes
// method and path before its handler runs). It applies the rules the
// operation itself applies, and audits a denial the same way:
//   - an existing name the user may not list is not found;
//   - Write on an existing file checks Overwrite;
//   - Read, List, Delete and Rename need the name to exist; Write and
//     Mkdir of a new name need its folder to exist and be visible
//     (ErrNoFolder otherwise).
//   - Write and Mkdir of an existing name the user may not list are
//     checked as of a new name, so that the answer is the same as for a
//     name that does not exist (the disk refuses to replace it).
//
// The operation checks again when it runs: Check grants nothing.
func (v *View) Check(ctx context.Context, act authz.Action, name string) error {
	op := "check " + string(act)
	t, err := v.resolve(name)
	if err != nil {
		return pathErr(op, name, err)
	}
	makes := act == authz.Write || act == authz.Mkdir
	if _, lerr := v.lookup(ctx, t); lerr == nil && (!makes || v.visible(ctx, t)) {
		fi, err := v.existing(ctx, string(act), t)
		if err != nil {
			return err
		}
		if act == authz.Write && !fi.IsDir() {
			act = authz.Overwrite
		}
		if act == authz.Mkdir {
			return &PathError{Op: op, Path: t.vpath.String(), Err: ErrExists}
		}
		return v.authorize(ctx, op, act, t, fi.IsDir())
	}
	switch act {
	case authz.Write, authz.Mkdir:
	default:
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrNotFound}
	}
	if err := v.folder(ctx, op, t); err != nil {
		if errors.Is(err, ErrNotFound) {
			return &PathError{Op: op, Path: t.vpath.String(), Err: ErrNoFolder}
		}
		return err
	}
	return v.authorize(ctx, op, act, t, act == authz.Mkdir)
}

// DiskSpace is what View.Space reports, in bytes.
type DiskSpace struct {
	Free uint64 // available to the server
	Used uint64
}

// Space reports the free and used bytes of the filesystem that holds the
// files (WebDAV's quota properties, which Windows shows for a mapped
// drive).
func (v *View) Space() (DiskSpace, error) { return v.files.Space() }

// Space reports the free and used bytes of the filesystem that holds the
// files (the admin console's dashboard).
func (f *Files) Space() (DiskSpace, error) {
	var st unix.Statfs_t
	if err := unix.Fstatfs(int(f.inDir.Fd()), &st); err != nil {
		return DiskSpace{}, fmt.Errorf("storage: statfs: %w", err)
	}
	bs := uint64(st.Bsize)
	return DiskSpace{Free: st.Bavail * bs, Used: (st.Blocks - st.Bfree) * bs}, nil
}

// StoragePath maps a virtual path of the view to its storage path,
// without checking rights: a key for state shared across views (WebDAV's
// lock table), never a way to reach a file.
func (v *View) StoragePath(name string) (string, error) {
	t, err := v.resolve(name)
	if err != nil {
		return "", pathErr("resolve", name, err)
	}
	return t.spath, nil
}

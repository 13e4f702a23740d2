package storage

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/oaq/custodia/store"
)

const incomingDir = ".incoming"

// Files is the files/ tree of the data dir, shared by every session. All
// access to it goes through os.Root.
type Files struct {
	root     *os.Root // files/
	incoming *os.Root // files/.incoming: uploads in progress
	inDir    *os.File // files/.incoming as a directory handle, for renameat
	limits   Limits   // what uploads may take (SetLimits)
	// trace, when set (by tests, through export_test.go), is told each
	// durability step of an upload as it completes, in order.
	trace func(step, name string)
	// crashAt, when set (by tests), names the durability step of an
	// upload ("pending", "rename", "fsync folder") after which the upload
	// stops as if the process died there: nothing after it runs, not even
	// the cleanup.
	crashAt string
	av      *antivirus // nil: uploads are not scanned (scan.go)
	// objects is where the files live: the local disk (localBackend) or
	// an object store. Uploads are received in .incoming either way.
	objects backend
	spares  spareFiles // upload files made ahead (spare_linux.go)
}

// errCrashed is what an upload stopped by crashAt returns.
var errCrashed = errors.New("stopped by a simulated crash")

// crashes says whether a test's simulated crash stops an upload after step.
func (f *Files) crashes(step string) bool { return f.crashAt != "" && f.crashAt == step }

// step reports a durability step to the trace, if any.
func (f *Files) step(step, name string) {
	if f.trace != nil {
		f.trace(step, name)
	}
}

// fsync makes file durable and reports it as step on name.
func (f *Files) fsync(file *os.File, step, name string) error {
	if err := file.Sync(); err != nil {
		return err
	}
	f.step(step, name)
	return nil
}

// OpenFiles opens (creating) dir as the files tree with its areas and the
// given department folders. Leftovers of uploads interrupted by a crash are
// removed from .incoming: they were never acknowledged.
func OpenFiles(dir string, departments []string) (*Files, error) {
	return openFiles(context.Background(), dir, departments, func(f *Files) backend { return localBackend{f} })
}

// openFiles opens dir for what is received, with the files on the
// backend that objects returns for it.
func openFiles(ctx context.Context, dir string, departments []string, objects func(*Files) backend) (*Files, error) {
	for _, d := range []string{dir, filepath.Join(dir, incomingDir)} {
		if err := os.MkdirAll(d, dirMode); err != nil {
			return nil, fmt.Errorf("storage: %w", err)
		}
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	f := &Files{root: root, spares: spareFiles{fds: make(chan int, spareCount)}}
	f.objects = objects(f)
	if err := f.init(ctx, departments); err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

func (f *Files) init(ctx context.Context, departments []string) error {
	for _, a := range []string{store.AreaClients, store.AreaDossiers, store.AreaDepartments, store.AreaRestores} {
		if err := f.objects.mkdirAll(ctx, a); err != nil {
			return fmt.Errorf("storage: create %s: %w", a, err)
		}
	}
	for _, d := range departments {
		if err := f.objects.mkdirAll(ctx, path.Join(store.AreaDepartments, d)); err != nil {
			return fmt.Errorf("storage: create department %s: %w", d, err)
		}
	}
	var err error
	if f.incoming, err = f.root.OpenRoot(incomingDir); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	if f.inDir, err = openDir(f.root, incomingDir); err != nil {
		return fmt.Errorf("storage: %w", err)
	}
	names, err := f.inDir.Readdirnames(-1)
	if err != nil {
		return fmt.Errorf("storage: list %s: %w", incomingDir, err)
	}
	for _, n := range names {
		if err := f.incoming.RemoveAll(n); err != nil {
			return fmt.Errorf("storage: clean %s: %w", incomingDir, err)
		}
	}
	return nil
}

// Close releases the tree's handles.
func (f *Files) Close() error {
	var errs []error
	f.closeSpares()
	if f.inDir != nil {
		errs = append(errs, f.inDir.Close())
	}
	if f.incoming != nil {
		errs = append(errs, f.incoming.Close())
	}
	if f.av != nil {
		errs = append(errs, f.av.close())
	}
	return errors.Join(append(errs, f.root.Close())...)
}

// AddClient creates the folders of a new client account.
func (f *Files) AddClient(id string) error {
	for _, a := range []string{store.AreaClients, store.AreaDossiers} {
		if err := f.objects.mkdirAll(context.Background(), path.Join(a, id)); err != nil {
			return fmt.Errorf("storage: create %s/%s: %w", a, id, err)
		}
	}
	return nil
}

// tempName is a new, random name for an upload file in .incoming.
func tempName(prefix string) string {
	var b [12]byte
	rand.Read(b[:])
	return sanitizePrefix(prefix) + "-" + hex.EncodeToString(b[:]) + ".part"
}

// createTemp creates the upload file name (from tempName), new and empty,
// in .incoming: a spare made ahead (spare_linux.go) when one is ready.
func (f *Files) createTemp(name string) (*os.File, error) {
	if file := f.takeSpare(name); file != nil {
		return file, nil
	}
	file, _, err := openServed(f.incoming, name, os.O_RDWR|os.O_CREATE|os.O_EXCL, fileMode)
	return file, err
}

func (f *Files) removeTemp(name string) error {
	err := f.incoming.Remove(name)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	return err
}

func sanitizePrefix(s string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' {
			return r
		}
		return '_'
	}, s)
}

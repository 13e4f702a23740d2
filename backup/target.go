package backup

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/oaq/custodia/store"
)

// archiveName is where a backup's archive lives on a target, relative to
// the target's folder; its checksum lies beside it as NAME.sha256, in the
// format sha256sum -c reads.
func archiveName(job, id string) string { return path.Join(job, id+".age") }

func checksumLine(sum, name string) []byte { return []byte(sum + "  " + path.Base(name) + "\n") }

// Local is the local target: a folder of the server's disk.
type Local struct{ Dir string }

// create opens a temporary file for an archive; its commit makes it the
// archive (and writes its checksum), only once it is whole on disk.
func (l Local) create(name string) (*localArchive, error) {
	final := filepath.Join(l.Dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(final), 0o700); err != nil {
		return nil, fmt.Errorf("backup: local target: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(final), "."+filepath.Base(final)+".*.part")
	if err != nil {
		return nil, fmt.Errorf("backup: local target: %w", err)
	}
	return &localArchive{f: f, name: name, final: final}, nil
}

// localArchive is an archive being written to the local target.
type localArchive struct {
	f     *os.File // the temporary file
	name  string   // the archive's name (archiveName)
	final string   // its path once committed
}

// abort removes the temporary file.
func (a *localArchive) abort() { a.f.Close(); os.Remove(a.f.Name()) }

// commit makes the temporary file the archive, durably, and writes its
// checksum sum beside it.
func (a *localArchive) commit(sum string) error {
	f := a.f
	if err := f.Sync(); err != nil {
		a.abort()
		return fmt.Errorf("backup: local target: %w", err)
	}
	if err := f.Close(); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("backup: local target: %w", err)
	}
	if err := os.Rename(f.Name(), a.final); err != nil {
		os.Remove(f.Name())
		return fmt.Errorf("backup: local target: %w", err)
	}
	if err := writeFileSync(a.final+".sha256", checksumLine(sum, a.name)); err != nil {
		os.Remove(a.final)
		return err
	}
	return syncDir(filepath.Dir(a.final))
}

// Open reads an archive.
func (l Local) Open(_ context.Context, name string) (io.ReadCloser, error) {
	f, err := os.Open(filepath.Join(l.Dir, filepath.FromSlash(name)))
	if err != nil {
		return nil, fmt.Errorf("backup: local target: %w", err)
	}
	return f, nil
}

// Remove deletes an archive and its checksum; one already gone is fine.
func (l Local) Remove(_ context.Context, name string) error {
	var errs []error
	for _, n := range []string{name, name + ".sha256"} {
		if err := os.Remove(filepath.Join(l.Dir, filepath.FromSlash(n))); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Name is "local".
func (Local) Name() string { return "local" }

func writeFileSync(file string, body []byte) error {
	tmp := file + ".part"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err == nil {
		_, err = f.Write(body)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err == nil {
		err = os.Rename(tmp, file)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("backup: local target: %w", err)
	}
	return nil
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("backup: local target: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("backup: local target: %w", err)
	}
	return nil
}

// Remote is an off-site target.
type Remote interface {
	Name() string
	// Put stores size bytes of r as name, with its checksum, so that
	// name exists only once it is whole: a failed or partial transfer
	// leaves nothing that looks like a backup.
	Put(ctx context.Context, name string, r io.Reader, size int64, sum string) error
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	Remove(ctx context.Context, name string) error
}

// hasTarget reports whether a backup's targets field names t.
func hasTarget(targets, t string) bool {
	for _, x := range strings.Split(targets, ",") {
		if x == t {
			return true
		}
	}
	return false
}

// checked reads an archive and, on Close, fails unless every byte read
// matches the size and sha256 the store recorded.
type checked struct {
	rc io.ReadCloser
	c  *counter
	b  store.Backup
}

func newChecked(rc io.ReadCloser, b store.Backup) *checked {
	return &checked{rc: rc, c: &counter{w: io.Discard, sum: sha256.New()}, b: b}
}

func (k *checked) Read(p []byte) (int, error) {
	n, err := k.rc.Read(p)
	k.c.Write(p[:n])
	return n, err
}

func (k *checked) Close() error {
	err := k.rc.Close()
	if err != nil {
		return err
	}
	if k.c.n != k.b.Size || k.c.digest() != k.b.SHA256 {
		return fmt.Errorf("backup %s: the archive read (%d bytes, sha256 %s) is not the one written (%d bytes, sha256 %s)",
			k.b.ID, k.c.n, k.c.digest(), k.b.Size, k.b.SHA256)
	}
	return nil
}

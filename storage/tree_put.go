package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"syscall"

	"github.com/minio/minio-go/v7"
)

// StatTree describes the folder or file at storage path spath where the
// files live, outside any view: nothing is authorized or audited.
func (f *Files) StatTree(ctx context.Context, spath string) (fs.FileInfo, error) {
	if err := checkTreePath(spath); err != nil {
		return nil, err
	}
	fi, err := f.objects.stat(ctx, locOf(spath))
	if err != nil {
		return nil, fmt.Errorf("storage: stat %s: %w", spath, err)
	}
	return fi, nil
}

// PutTree puts dir, a folder on local disk that nothing else writes (a
// restore staged whole), at the storage folder spath of files that live
// in an object store: every folder as a folder, every regular file as an
// object put with If-None-Match: * (never over an object: ErrExists),
// visible only whole. Before it is put, a file's bytes are hashed and
// must be what sum says of its name (relative to dir, with "/"); a file
// sum does not know or whose bytes differ is not put. On an error PutTree
// takes back out what it put, and only that, and returns the error
// naming the file; else it returns how many files it put.
func (f *Files) PutTree(ctx context.Context, dir, spath string, sum func(rel string) (string, bool)) (n int, err error) {
	b, ok := f.objects.(*s3Backend)
	if !ok {
		return 0, errors.New("storage: PutTree puts into an object store; on local disk the staged folder is renamed into place")
	}
	if err := checkTreePath(spath); err != nil {
		return 0, err
	}
	root, err := os.OpenRoot(dir)
	if err != nil {
		return 0, fmt.Errorf("storage: %w", err)
	}
	defer root.Close()
	if err := b.mkdirAll(ctx, path.Dir(spath)); err != nil {
		return 0, fmt.Errorf("storage: put %s: %w", spath, err)
	}
	var put []string // the keys put, markers included
	defer func() {
		if err == nil {
			return
		}
		for _, k := range slices.Backward(put) {
			if rerr := b.c.RemoveObject(context.WithoutCancel(ctx), b.bucket, k, minio.RemoveObjectOptions{}); rerr != nil {
				err = errors.Join(err, fmt.Errorf("storage: taking back %s: %w", k, s3Err(rerr)))
			}
		}
	}()
	err = walkStaged(ctx, root, ".", func(p string, isDir bool) error {
		k := b.key(locOf(path.Join(spath, p)))
		if isDir {
			err := b.marker(ctx, k+"/")
			if err == nil {
				put = append(put, k+"/")
			}
			if errors.Is(err, fs.ErrExist) && p != "." {
				return nil // a folder may be shared; the top must be new
			}
			return err
		}
		want, ok := sum(p)
		if !ok {
			return fmt.Errorf("%s: no sha256 to check it against", p)
		}
		if err := b.putChecked(ctx, root, p, k, want); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		put = append(put, k)
		n++
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("storage: put %s: %w", spath, err)
	}
	return n, nil
}

// putChecked hashes the staged file name of root, and puts it at key k
// only when its sha256 is want.
func (b *s3Backend) putChecked(ctx context.Context, root *os.Root, name, k, want string) error {
	f, fi, err := openServed(root, name, os.O_RDONLY|syscall.O_NOFOLLOW, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	if !fi.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file", name)
	}
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(f, 0, fi.Size())); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("the staged bytes have sha256 %s, the backup says %s: not put", got, want)
	}
	return b.put(ctx, k, f, fi.Size(), false)
}

// walkStaged calls fn with the folder name of root, then with each
// folder and file below it, in lexical order, a folder before what it
// holds; what is neither (a symbolic link, a FIFO) stops it with an error.
func walkStaged(ctx context.Context, root *os.Root, name string, fn func(name string, isDir bool) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := fn(name, true); err != nil {
		return err
	}
	folder, err := openDir(root, name)
	if err != nil {
		return err
	}
	entries, err := folder.ReadDir(-1)
	folder.Close()
	if err != nil {
		return err
	}
	slices.SortFunc(entries, func(a, b fs.DirEntry) int { return strings.Compare(a.Name(), b.Name()) })
	for _, e := range entries {
		p := path.Join(name, e.Name())
		switch {
		case e.IsDir():
			err = walkStaged(ctx, root, p, fn)
		case e.Type().IsRegular():
			if err = ctx.Err(); err == nil {
				err = fn(p, false)
			}
		default:
			err = fmt.Errorf("%s is not a regular file or a folder", p)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkTreePath refuses what is not a clean storage path below the top.
func checkTreePath(spath string) error {
	if !strings.HasPrefix(spath, "/") || path.Clean(spath) != spath || spath == "/" || strings.ContainsRune(spath, 0) {
		return fmt.Errorf("storage: %q is not a storage path below the top: %w", spath, ErrInvalidPath)
	}
	return nil
}

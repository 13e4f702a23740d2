package webdav

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"mime"
	"os"
	"path"
	"strings"

	"golang.org/x/net/webdav"

	"github.com/oaq/custodia/storage"
)

// fileSystem is x/net/webdav's FileSystem over one request's storage
// view: every call is a view operation, authorized and audited there. The
// handler is built per request, so the request travels here, not in the
// context.
type fileSystem struct{ q *request }

var _ webdav.FileSystem = fileSystem{}

// maxDepth bounds the recursion of a collection DELETE.
const maxDepth = 64

// Mkdir makes a folder. The folder a COPY of a folder makes is staged
// (storage.TreeCopy), and so is what the copy puts in it: it appears
// whole, when the request succeeded, or not at all. x/net/webdav reaches
// it for an existing destination only when Overwrite allowed replacing
// it; the copy then replaces it at its commit (RemoveAll left it).
func (fsys fileSystem) Mkdir(ctx context.Context, name string, _ os.FileMode) error {
	q := fsys.q
	if c := q.copying(name); c != nil {
		return q.note(c.Mkdir(ctx, name))
	}
	if q.method == "COPY" && path.Clean("/"+name) == q.dst {
		c, err := q.view.BeginCopy(ctx, name, true)
		if err == nil {
			q.mu.Lock()
			q.copy = c
			q.mu.Unlock()
		}
		return q.note(err)
	}
	return q.note(q.view.Mkdir(ctx, name))
}

func (fsys fileSystem) Stat(ctx context.Context, name string) (os.FileInfo, error) {
	q := fsys.q
	if e, ok := q.lookupListed(name); ok {
		q.note(nil)
		return e.fi, nil
	}
	fi, err := q.view.Stat(ctx, name)
	if err != nil {
		return nil, q.note(err)
	}
	q.note(nil)
	return fileInfo{fi}, nil
}

// RemoveAll deletes a file, or a folder with what it holds, one entry at
// a time, each authorized and audited; it stops at the first refusal.
// x/net/webdav also calls it to clear the target of a COPY or MOVE that
// overwrites: a file replaced by a file is left for the copy's atomic
// upload or the rename to replace, and anything a folder COPY replaces is
// left for the copy to replace whole at its commit, so a failed COPY or
// MOVE loses nothing.
func (fsys fileSystem) RemoveAll(ctx context.Context, name string) error {
	q := fsys.q
	if (q.method == "COPY" || q.method == "MOVE") && name != q.src && q.isFile(ctx, name) && q.isFile(ctx, q.src) {
		return q.note(nil)
	}
	if q.method == "COPY" && path.Clean("/"+name) == q.dst && isDir(ctx, q.view, q.src) {
		return q.note(nil)
	}
	return q.note(q.removeAll(ctx, name, 0))
}

func (q *request) isFile(ctx context.Context, name string) bool {
	fi, err := q.view.Stat(ctx, name)
	return err == nil && !fi.IsDir()
}

func (q *request) removeAll(ctx context.Context, name string, depth int) error {
	fi, err := q.view.Stat(ctx, name)
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return q.view.Remove(ctx, name)
	}
	if depth >= maxDepth {
		return &storage.PathError{Op: "delete", Path: name, Err: storage.ErrUnsupported}
	}
	entries, err := q.view.ReadDir(ctx, name)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := q.removeAll(ctx, path.Join(name, e.Name()), depth+1); err != nil {
			return err
		}
	}
	return q.view.RemoveDir(ctx, name)
}

// Rename replaces an existing file atomically (the view checks overwrite);
// x/net/webdav calls it only for MOVE, after Overwrite was honoured.
func (fsys fileSystem) Rename(ctx context.Context, from, to string) error {
	q := fsys.q
	return q.note(q.view.Rename(ctx, from, to, true))
}

// OpenFile opens lazily: x/net/webdav opens every file it lists, for its
// properties, and a read (with its audit row) happens only when data is
// read. Writes with O_CREATE|O_TRUNC start an atomic upload.
func (fsys fileSystem) OpenFile(ctx context.Context, name string, flag int, _ os.FileMode) (webdav.File, error) {
	q := fsys.q
	if flag&os.O_CREATE != 0 {
		if flag&os.O_TRUNC == 0 {
			return nil, q.note(&storage.PathError{Op: "open", Path: name, Err: storage.ErrUnsupported})
		}
		if isDesktopFile(name) {
			switch q.desktop {
			case DesktopDiscard:
				return &discardFile{name: path.Base(name)}, nil
			case DesktopRefuse:
				return nil, q.note(&storage.PathError{Op: "create", Path: name, Err: storage.ErrDenied})
			}
		}
		var u *storage.Upload
		var err error
		if c := q.copying(name); c != nil {
			u, err = c.Create(ctx, name)
		} else {
			u, err = q.view.Create(ctx, name)
		}
		if err != nil {
			return nil, q.note(err)
		}
		q.note(nil)
		return &uploadFile{ctx: ctx, q: q, u: u, name: path.Base(name)}, nil
	}
	// Read, or O_RDWR for PROPPATCH: nothing is opened yet.
	if e, ok := q.lookupListed(name); ok && flag == os.O_RDONLY {
		q.note(nil)
		f := &file{ctx: ctx, q: q, name: name, fi: e.fi, listed: true, props: e.props}
		if e.fi.IsDir() {
			return &dirFile{file: f}, nil
		}
		return &readFile{file: f}, nil
	}
	fi, err := q.view.Stat(ctx, name)
	if err != nil {
		return nil, q.note(err)
	}
	q.note(nil)
	f := &file{ctx: ctx, q: q, name: name, fi: fileInfo{fi}}
	if fi.IsDir() {
		return &dirFile{file: f}, nil
	}
	return &readFile{file: f}, nil
}

// isDesktopFile names what Windows and macOS write into every folder they
// open: desktop.ini, Thumbs.db, .DS_Store and AppleDouble (._*) files.
func isDesktopFile(name string) bool {
	base := path.Base(name)
	switch strings.ToLower(base) {
	case "desktop.ini", "thumbs.db", ".ds_store":
		return true
	}
	return strings.HasPrefix(base, "._")
}

// fileInfo answers the content type from the name: x/net/webdav would
// otherwise open and sniff every file it lists.
type fileInfo struct{ fs.FileInfo }

func (fi fileInfo) ContentType(context.Context) (string, error) { return contentType(fi.Name()), nil }

// contentType is the type of a file, from its name.
func contentType(name string) string {
	if t := mime.TypeByExtension(path.Ext(name)); t != "" {
		return t
	}
	return "application/octet-stream"
}

// ETag is x/net/webdav's own (modification time and size), defined here
// so that If conditions can be checked against it.
func (fi fileInfo) ETag(context.Context) (string, error) {
	return fmt.Sprintf(`"%x%x"`, fi.ModTime().UnixNano(), fi.Size()), nil
}

var errNotFile = errors.New("not a file")

// DesktopPolicy says what happens to desktop files (isDesktopFile).
type DesktopPolicy string

// The desktop-file policies.
const (
	DesktopDiscard DesktopPolicy = "discard" // answer as if stored, store nothing
	DesktopRefuse  DesktopPolicy = "refuse"  // 403
	DesktopStore   DesktopPolicy = "store"   // like any other file
)

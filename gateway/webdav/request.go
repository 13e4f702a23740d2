package webdav

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"path"
	"sync"

	"github.com/oaq/custodia/storage"
)

// request is what one HTTP request's filesystem calls share: the user's
// view, the outcome of the last storage call (for the status rewrite), and
// whether the data of an upload arrived whole.
type request struct {
	view    *storage.View
	desktop DesktopPolicy
	method  string
	src     string            // the request's own clean path
	dst     string            // the clean Destination of COPY and MOVE
	body    *bodyTracker      // PUT's body; nil otherwise
	copy    *storage.TreeCopy // a folder COPY in progress, all or nothing

	// listed holds what a PROPFIND's listing of its folder said of each
	// entry, by clean path, for x/net/webdav's Stat, OpenFile and
	// DeadProps of each entry that follow it (listing).
	listed map[string]listedEntry

	mu       sync.Mutex
	last     error // the last storage call's error, nil when it succeeded
	ioFailed bool  // a read or write of file data failed
}

// note records the outcome of a storage call and returns err in the form
// x/net/webdav tests with os.IsNotExist and os.IsExist, which do not look
// inside wrapped errors.
func (q *request) note(err error) error {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.last = err
	for _, sentinel := range []error{fs.ErrNotExist, fs.ErrExist, fs.ErrPermission} {
		if errors.Is(err, sentinel) {
			return &fs.PathError{Op: "webdav", Path: "", Err: sentinel}
		}
	}
	return err
}

// copying returns the folder copy in progress when name is its folder or
// a name below it, or nil.
func (q *request) copying(name string) *storage.TreeCopy {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.copy == nil || !within(path.Clean("/"+name), q.dst) {
		return nil
	}
	return q.copy
}

// finishCopy commits the folder copy in progress when the request
// succeeded (code < 300) or aborts it; it returns the commit's error.
func (q *request) finishCopy(ctx context.Context, code int) error {
	q.mu.Lock()
	c := q.copy
	q.copy = nil
	q.mu.Unlock()
	if c == nil {
		return nil
	}
	if code >= 300 {
		c.Abort(ctx)
		return nil
	}
	return c.Commit(ctx)
}

func (q *request) lastErr() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.last
}

func (q *request) failIO() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.ioFailed = true
}

// complete reports whether an upload of this request got all its data:
// no read or write failed, and PUT's body ended cleanly with the length it
// announced. x/net/webdav closes the file of a failed PUT or COPY like that
// of a good one, so this is what tells them apart.
func (q *request) complete() bool {
	q.mu.Lock()
	failed := q.ioFailed
	q.mu.Unlock()
	return !failed && (q.body == nil || q.body.complete())
}

// bodyTracker watches a request body to its end.
type bodyTracker struct {
	r    io.ReadCloser
	n    int64
	want int64 // Content-Length, -1 when chunked
	mu   sync.Mutex
	eof  bool
	err  error
}

func (b *bodyTracker) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.mu.Lock()
	defer b.mu.Unlock()
	b.n += int64(n)
	switch {
	case err == io.EOF:
		b.eof = true
	case err != nil && b.err == nil:
		b.err = err
	}
	return n, err
}

func (b *bodyTracker) Close() error { return b.r.Close() }

func (b *bodyTracker) complete() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.eof && b.err == nil && (b.want < 0 || b.n == b.want)
}

// listedEntry is an entry of the folder a PROPFIND lists, as the listing
// described it: the view listed only what the user may list, as Stat
// would have answered, and read its dead properties with the listing.
type listedEntry struct {
	fi    fileInfo
	props map[string][]byte // nil: none
}

// lists reports whether folder dir is the one a PROPFIND lists (its own:
// a Depth: 1 PROPFIND lists no other), whose listing is recorded.
func (q *request) lists(dir string) bool {
	return q.method == "PROPFIND" && path.Clean("/"+dir) == q.src
}

// listing records the entries of the folder a PROPFIND lists, with their
// dead properties (props nil: not known, nothing is recorded).
func (q *request) listing(fis []fs.FileInfo, props map[string]map[string][]byte) {
	if props == nil {
		return
	}
	q.listed = make(map[string]listedEntry, len(fis))
	for _, fi := range fis {
		q.listed[path.Join(q.src, fi.Name())] = listedEntry{fi: fileInfo{fi}, props: props[fi.Name()]}
	}
}

// lookupListed returns what the listing said of name, if it listed it.
func (q *request) lookupListed(name string) (listedEntry, bool) {
	if q.listed == nil {
		return listedEntry{}, false
	}
	// x/net/webdav asks with the clean paths it joined from the listing.
	if e, ok := q.listed[name]; ok {
		return e, true
	}
	e, ok := q.listed[path.Clean("/"+name)]
	return e, ok
}

package storage

import (
	"context"
	"errors"
	"io"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
)

// s3Window is how far behind or ahead of the stream a read may land and
// still be served from it: pipelined SFTP clients keep up to 64 reads of
// 32 KiB in flight, and the server's workers reorder them.
const s3Window = 2 << 20

// s3Reader reads one object through one streamed GET at a time. Reads in
// order (FTP, WebDAV, Reconcile, backups) take the stream's bytes as
// they come. Once a read arrives out of order, the last s3Window bytes
// of the stream are kept in a ring: a read behind the stream is served
// from it, one ahead within the window advances the stream into it, and
// any other opens a new GET from its offset. Memory stays bounded by the
// window, whatever the size. Every GET is pinned to the ETag seen at
// open, so an object replaced meanwhile fails the read instead of mixing
// two contents.
type s3Reader struct {
	b      *s3Backend
	key    string
	etag   string
	size   int64
	mod    time.Time
	ctx    context.Context // the reader's own, cancelled by Close
	cancel context.CancelFunc

	mu   sync.Mutex
	body io.ReadCloser // the stream, at pos; nil before the first read
	pos  int64
	ring []byte // nil until a read arrives out of order
	have int64  // bytes before pos held in ring (at offset % s3Window)
	seq  int64  // where Read goes on
}

// get opens an object for reading.
func (b *s3Backend) get(k string) (*s3Reader, error) {
	ctx, cancel := context.WithCancel(context.Background())
	oi, err := b.c.StatObject(ctx, b.bucket, k, minio.StatObjectOptions{})
	if err != nil {
		cancel()
		return nil, s3Err(err)
	}
	return &s3Reader{b: b, key: k, etag: oi.ETag, size: oi.Size, mod: oi.LastModified, ctx: ctx, cancel: cancel}, nil
}

// Read reads sequentially.
func (r *s3Reader) Read(p []byte) (int, error) {
	r.mu.Lock()
	off := r.seq
	r.mu.Unlock()
	n, err := r.ReadAt(p, off)
	r.mu.Lock()
	r.seq += int64(n)
	r.mu.Unlock()
	if err == io.EOF && n > 0 {
		err = nil
	}
	return n, err
}

// ReadAt reads len(p) bytes at off, or up to the end with io.EOF.
func (r *s3Reader) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, errors.New("s3: negative offset")
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	want := int(min(int64(len(p)), max(r.size-off, 0)))
	n := 0
	for n < want {
		o := off + int64(n)
		switch {
		case r.ring == nil && r.body != nil && o == r.pos: // in order: straight from the stream
			c, err := io.ReadFull(r.body, p[n:want])
			n += c
			r.pos += int64(c)
			if err != nil {
				return n, r.failed(err)
			}
		case r.ring != nil && o < r.pos && o >= r.pos-r.have: // behind: from the ring
			i := o % s3Window
			c := min(int64(want-n), r.pos-o, s3Window-i)
			copy(p[n:], r.ring[i:i+c])
			n += int(c)
		case r.body != nil && o >= r.pos && o-r.pos < s3Window: // ahead: advance the stream into the ring
			if r.ring == nil {
				r.ring = make([]byte, s3Window)
			}
			k := min(o-r.pos+int64(min(want-n, s3Window/2)), r.size-r.pos)
			if err := r.fill(k); err != nil {
				return n, err
			}
		default:
			if err := r.reopen(o); err != nil {
				return n, err
			}
		}
	}
	if n < len(p) {
		return n, io.EOF
	}
	return n, nil
}

// fill reads k bytes of the stream into the ring.
func (r *s3Reader) fill(k int64) error {
	for k > 0 {
		i := r.pos % s3Window
		c := min(k, s3Window-i)
		if _, err := io.ReadFull(r.body, r.ring[i:i+c]); err != nil {
			return r.failed(err)
		}
		r.pos += c
		r.have = min(r.have+c, s3Window)
		k -= c
	}
	return nil
}

// reopen starts a new GET at off, pinned to the object opened.
func (r *s3Reader) reopen(off int64) error {
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	opts := minio.GetObjectOptions{}
	if off > 0 { // SetRange(0, 0) would be the first byte only
		if err := opts.SetRange(off, 0); err != nil {
			return err
		}
	}
	if r.etag != "" {
		opts.SetMatchETag(r.etag)
	}
	body, _, _, err := minio.Core{Client: r.b.c}.GetObject(r.ctx, r.b.bucket, r.key, opts)
	if err != nil {
		return s3Err(err)
	}
	r.body, r.pos, r.have = body, off, 0
	return nil
}

// failed drops a stream that failed, so that the next read opens another.
func (r *s3Reader) failed(err error) error {
	r.body.Close()
	r.body = nil
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return io.ErrUnexpectedEOF // the object ended before its size: it changed
	}
	return s3Err(err)
}

// Close ends the stream.
func (r *s3Reader) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.body != nil {
		r.body.Close()
		r.body = nil
	}
	r.cancel()
	return nil
}

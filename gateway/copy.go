package gateway

import (
	"io"
	"sync"
)

// copyBuffers are the buffers Copy moves data through, shared by every
// transfer. io.Copy allocates 32 KiB for each copy: for a small file
// that was most of what a WebDAV PUT allocated (32 of 82 KB), garbage
// the collector then had to chase at hundreds of files a second.
var copyBuffers = sync.Pool{New: func() any { return new([32 << 10]byte) }}

// Copy is io.Copy through a shared buffer: a transfer's data connection
// or request body to its upload, or a download to its connection.
func Copy(dst io.Writer, src io.Reader) (int64, error) {
	b := copyBuffers.Get().(*[32 << 10]byte)
	defer copyBuffers.Put(b)
	return io.CopyBuffer(dst, src, b[:])
}

// uploadBuffers are CopyIn's buffers.
var uploadBuffers = sync.Pool{New: func() any { return new([uploadChunk]byte) }}

// uploadChunk is how much CopyIn gathers before each write.
const uploadChunk = 256 << 10

// CopyIn copies an upload's stream (a data connection, a request body) to
// its upload in writes of up to 256 KiB: a TLS stream reads at most one
// record (16 KiB) at a time, and io.Copy made each one a write, a pwrite
// and a lock and a hash call for each 16 KiB stored. As io.Copy, it
// returns the bytes written and the first error of either side; only
// src's io.EOF is the end (an io.ErrUnexpectedEOF from src is an error).
func CopyIn(dst io.Writer, src io.Reader) (int64, error) {
	b := uploadBuffers.Get().(*[uploadChunk]byte)
	defer uploadBuffers.Put(b)
	var written int64
	for {
		n := 0
		var rerr error
		for n < len(b) && rerr == nil {
			var m int
			m, rerr = src.Read(b[n:])
			n += m
		}
		if n > 0 {
			w, werr := dst.Write(b[:n])
			written += int64(w)
			if werr != nil {
				return written, werr
			}
			if w != n {
				return written, io.ErrShortWrite
			}
		}
		if rerr == io.EOF {
			return written, nil
		}
		if rerr != nil {
			return written, rerr
		}
	}
}

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

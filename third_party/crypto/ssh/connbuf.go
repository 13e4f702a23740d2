// Copyright 2026 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package ssh

import (
	"io"
	"sync"
)

// connBufSize is the size of a transport's read and write buffers.
const connBufSize = 4096

// connBufPool holds the buffers of transports that hold no data: an idle
// connection keeps neither of its buffers.
var connBufPool = sync.Pool{New: func() any { return new([connBufSize]byte) }}

// connDirectRead is the largest read that, with nothing buffered, goes
// straight to the connection: the cipher's first read of a packet (its
// length, or its first block), which waits for the peer's next packet
// without holding a buffer.
const connDirectRead = 16

// connReader buffers the reads of a connection like a bufio.Reader of
// connBufSize, but it takes its buffer from connBufPool only to read more
// than the start of a packet, and gives it back once all of it has been
// read. A connection waiting for the peer's next packet waits in a direct
// read of the packet's first bytes and holds no buffer; once they came,
// the rest of the packet and whatever followed it are read as before.
type connReader struct {
	rd   io.Reader
	buf  *[connBufSize]byte // nil while nothing is buffered
	r, w int                // buf[r:w] is buffered
	err  error              // the error that came with the last buffered read
}

func (b *connReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if b.r == b.w {
		if b.err != nil {
			err := b.err
			b.err = nil
			return 0, err
		}
		if len(p) <= connDirectRead || len(p) >= connBufSize {
			return b.rd.Read(p)
		}
		b.buf = connBufPool.Get().(*[connBufSize]byte)
		n, err := b.rd.Read(b.buf[:])
		b.r, b.w, b.err = 0, n, err
		if n == 0 {
			b.release()
			b.err = nil
			return 0, err
		}
	}
	n := copy(p, b.buf[b.r:b.w])
	b.r += n
	if b.r == b.w {
		b.release()
	}
	return n, nil
}

func (b *connReader) release() {
	if b.buf != nil {
		connBufPool.Put(b.buf)
		b.buf = nil
	}
	b.r, b.w = 0, 0
}

// connWriter buffers the writes of a connection like a bufio.Writer of
// connBufSize, but it takes its buffer from connBufPool at the first write
// and gives it back when it flushes (writePacket flushes every packet).
type connWriter struct {
	wr  io.Writer
	buf *[connBufSize]byte // nil while nothing is buffered
	n   int                // buf[:n] is buffered
	err error              // a write failed: every later one fails
}

func (b *connWriter) Write(p []byte) (int, error) {
	nn := 0
	for len(p) > 0 {
		if b.err != nil {
			return nn, b.err
		}
		if b.n == 0 && len(p) >= connBufSize {
			// Nothing buffered: a large write needs no copy.
			n, err := b.wr.Write(p)
			if err == nil && n < len(p) {
				err = io.ErrShortWrite
			}
			b.err = err
			return nn + n, err
		}
		if b.buf == nil {
			b.buf = connBufPool.Get().(*[connBufSize]byte)
		}
		n := copy(b.buf[b.n:], p)
		b.n += n
		nn += n
		p = p[n:]
		if b.n == connBufSize {
			b.Flush()
		}
	}
	return nn, b.err
}

// Flush writes what is buffered and gives the buffer back.
func (b *connWriter) Flush() error {
	if b.err != nil {
		return b.err
	}
	if b.buf == nil {
		return nil
	}
	n, err := b.wr.Write(b.buf[:b.n])
	if err == nil && n < b.n {
		err = io.ErrShortWrite
	}
	b.err = err
	connBufPool.Put(b.buf)
	b.buf, b.n = nil, 0
	return err
}

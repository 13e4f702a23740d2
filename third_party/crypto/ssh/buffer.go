// Copyright 2012 The Go Authors. All rights reserved.
// Use of this source code is governed by a BSD-style
// license that can be found in the LICENSE file.

package ssh

import (
	"io"
	"sync"
)

// buffer provides a linked list buffer for data exchange
// between producer and consumer. Theoretically the buffer is
// of unlimited capacity as it does no allocation of its own.
type buffer struct {
	// protects concurrent access to head, tail and closed
	*sync.Cond

	head *element // the buffer that will be read first
	tail *element // the buffer that will be read last

	closed bool
}

// An element represents a single link in a linked list.
type element struct {
	buf    []byte
	packet []byte // the recycled data packet buf points into, if any
	next   *element
}

// dataPacketSize is the size of the recycled buffers that channel data
// packets are read into: the largest payload a channel accepts
// (channelMaxPacket) with the header of an extended data message.
const dataPacketSize = channelMaxPacket + 13

// dataPackets recycles the buffers of channel data packets: a transfer
// would otherwise allocate a new buffer for every packet it receives,
// and the garbage collector would reclaim each once it has been read.
var dataPackets = sync.Pool{New: func() any { return new([dataPacketSize]byte) }}

// smallDataPacket is the largest channel data packet allocated to its
// size rather than recycled: a small packet (such as the header of an
// SFTP write that a client sends apart from its data) would otherwise
// hold a whole recycled buffer while it waits to be read, and a window
// of them many times the memory the window stands for.
const smallDataPacket = 1024

// newDataPacket returns a buffer for a channel data packet of n bytes.
func newDataPacket(n int) []byte {
	if n > dataPacketSize || n <= smallDataPacket {
		return make([]byte, n) // refused by handleData or small, never recycled
	}
	return dataPackets.Get().(*[dataPacketSize]byte)[:n]
}

// freeDataPacket gives back a buffer from newDataPacket; nothing may
// refer to it afterwards.
func freeDataPacket(p []byte) {
	if cap(p) == dataPacketSize {
		dataPackets.Put((*[dataPacketSize]byte)(p[:dataPacketSize]))
	}
}

// newBuffer returns an empty buffer that is not closed.
func newBuffer() *buffer {
	e := new(element)
	b := &buffer{
		Cond: newCond(),
		head: e,
		tail: e,
	}
	return b
}

// write makes buf available for Read to receive.
// buf must not be modified after the call to write.
func (b *buffer) write(buf []byte) { b.writePacket(buf, nil) }

// writePacket is write of data that points into packet, a buffer from
// newDataPacket, which Read recycles once it has read all of buf.
func (b *buffer) writePacket(buf, packet []byte) {
	b.Cond.L.Lock()
	e := &element{buf: buf, packet: packet}
	b.tail.next = e
	b.tail = e
	b.Cond.Signal()
	b.Cond.L.Unlock()
}

// eof closes the buffer. Reads from the buffer once all
// the data has been consumed will receive io.EOF.
func (b *buffer) eof() {
	b.Cond.L.Lock()
	b.closed = true
	b.Cond.Signal()
	b.Cond.L.Unlock()
}

// Read reads data from the internal buffer in buf.  Reads will block
// if no data is available, or until the buffer is closed.
func (b *buffer) Read(buf []byte) (n int, err error) {
	b.Cond.L.Lock()
	defer b.Cond.L.Unlock()

	for len(buf) > 0 {
		// if there is data in b.head, copy it
		if len(b.head.buf) > 0 {
			r := copy(buf, b.head.buf)
			buf, b.head.buf = buf[r:], b.head.buf[r:]
			n += r
			if len(b.head.buf) == 0 && b.head.packet != nil {
				// All read: recycled now, not when the next
				// data arrives, so an idle channel holds none.
				b.head.buf = nil
				freeDataPacket(b.head.packet)
				b.head.packet = nil
			}
			continue
		}
		// if there is a next buffer, make it the head
		if len(b.head.buf) == 0 && b.head != b.tail {
			b.head = b.head.next
			continue
		}

		// if at least one byte has been copied, return
		if n > 0 {
			break
		}

		// if nothing was read, and there is nothing outstanding
		// check to see if the buffer is closed.
		if b.closed {
			err = io.EOF
			break
		}
		// out of buffers, wait for producer
		b.Cond.Wait()
	}
	return
}

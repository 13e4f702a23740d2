package storage

import (
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"os"
	"sync"
)

// An upload's sha256 is computed behind its writes, by a goroutine that
// reads the data back from the file (still in the page cache) once it is
// written in order, so the connection's goroutine only writes: on a
// machine with a core to spare, hashing (about a third of an upload's
// CPU) no longer slows the transfer. Writes that arrive early (pipelined
// SFTP clients, reordered by a server's workers) are neither copied nor
// hashed until the gap before them fills. Close hashes what is left.

// hashLag is how far the data written in order may run ahead of the
// sha256 before a goroutine starts hashing it; smaller uploads are hashed
// by Close, in one read.
const hashLag = 256 << 10

// maxAhead bounds the out-of-order data waiting for the gap before it;
// pipelined SFTP clients keep a few MiB in flight. Past it, or on a
// rewrite, Close re-reads the whole file instead.
const maxAhead = 16 << 20

// hashing is an upload's sha256 and the goroutine computing it.
type hashing struct {
	sum hash.Hash // written by the goroutine while it runs, by Close after stop

	mu      sync.Mutex
	hashed  int64 // bytes of the file in sum, in order
	ready   int64 // the data below it is written in order and may be hashed
	running bool
	stopped bool
	err     error // a read failed: Close re-reads, and says why if it fails again
	wg      sync.WaitGroup
}

// hashBuffers are the buffers data is read back through, shared by uploads.
var hashBuffers = sync.Pool{New: func() any { return new([hashLag]byte) }}

// noteWritten records, with u.mu held, that n bytes were written at off,
// and hands the data now written in order to the hashing goroutine.
func (u *Upload) noteWritten(off int64, n int) {
	switch {
	case u.inOrder < 0 || n == 0:
		return
	case off == u.inOrder:
		u.inOrder += int64(n)
		for m, ok := u.ahead[u.inOrder]; ok; m, ok = u.ahead[u.inOrder] {
			delete(u.ahead, u.inOrder)
			u.aheadN -= m
			u.inOrder += int64(m)
		}
	case off > u.inOrder && u.aheadN+n <= maxAhead && u.ahead[off] == 0:
		if u.ahead == nil {
			u.ahead = make(map[int64]int)
		}
		u.ahead[off] = n
		u.aheadN += n
		return
	default:
		u.inOrder, u.ahead, u.aheadN = -1, nil, 0
		return
	}
	h := &u.hash
	h.mu.Lock()
	h.ready = u.inOrder
	start := !h.running && !h.stopped && h.err == nil && h.ready-h.hashed >= hashLag
	if start {
		h.running = true
		h.wg.Add(1)
	}
	h.mu.Unlock()
	if start {
		go h.run(u.file)
	}
}

// run hashes the data written in order, read back from file, until fewer
// than hashLag bytes are left or Close stops it; each turn hashes at
// least one byte or ends it, so it ends by the file's size at the latest.
func (h *hashing) run(file *os.File) {
	defer h.wg.Done()
	buf := hashBuffers.Get().(*[hashLag]byte)
	defer hashBuffers.Put(buf)
	for {
		h.mu.Lock()
		from, n := h.hashed, h.ready-h.hashed
		if h.stopped || n < hashLag {
			h.running = false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
		want := int(min(n, int64(len(buf))))
		m, err := file.ReadAt(buf[:want], from)
		h.sum.Write(buf[:m])
		h.mu.Lock()
		h.hashed += int64(m)
		if m < want { // ReadAt says why
			h.err, h.running = err, false
			h.mu.Unlock()
			return
		}
		h.mu.Unlock()
	}
}

// stop ends the hashing goroutine and waits for it: after stop, Close
// alone touches sum and the file.
func (h *hashing) stop() {
	h.mu.Lock()
	h.stopped = true
	h.mu.Unlock()
	h.wg.Wait()
}

// digest256 hashes what the goroutine left (all of it when the data was
// not written in order) and returns the sha256; call it after stop.
func (u *Upload) digest256() (string, error) {
	h := &u.hash
	from := h.hashed
	if u.inOrder != u.size || len(u.ahead) > 0 || h.err != nil {
		h.sum.Reset()
		from = 0
	}
	buf := hashBuffers.Get().(*[hashLag]byte)
	defer hashBuffers.Put(buf)
	if _, err := io.CopyBuffer(h.sum, io.NewSectionReader(u.file, from, u.size-from), buf[:]); err != nil {
		return "", fmt.Errorf("hash: %w", err)
	}
	u.ahead = nil
	return hex.EncodeToString(h.sum.Sum(nil)), nil
}

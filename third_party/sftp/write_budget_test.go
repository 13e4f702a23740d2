package sftp

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"sync"
	"testing"
	"time"
)

// countingBudget lends up to size bytes and records the most it lent at
// once (the module does not require x/sync's semaphore).
type countingBudget struct {
	mu                   sync.Mutex
	freed                *sync.Cond
	size, held, most, in int64
}

func newCountingBudget(size int64) *countingBudget {
	b := &countingBudget{size: size}
	b.freed = sync.NewCond(&b.mu)
	return b
}

func (b *countingBudget) TryAcquire(n int64) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.held+n > b.size {
		return false
	}
	b.held += n
	b.in += n
	b.most = max(b.most, b.held)
	return true
}

func (b *countingBudget) Release(n int64) {
	b.mu.Lock()
	b.held -= n
	b.mu.Unlock()
	b.freed.Broadcast()
}

// Many sessions, each with many writes in flight, share a budget of one
// page of the largest packet: every upload completes, byte for byte, the
// budget is never exceeded and it is all given back.
func TestWriteBudgetSharedBySessions(t *testing.T) {
	t.Parallel()
	const size = maxMsgLength
	b := newCountingBudget(size)
	h := InMemHandler()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- budgetUpload(h, b, fmt.Sprintf("/f%d", i), int64(1+i)<<20)
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	if b.in == 0 {
		t.Fatal("the writes took nothing from the budget")
	}
	if b.most > size || b.held != 0 {
		t.Fatalf("budget of %d: %d lent at most, %d still lent after the sessions", size, b.most, b.held)
	}
}

// budgetUpload runs a request server with budget b and uploads n bytes to
// name through pkg/sftp's client (64 writes in flight), then reads them back.
func budgetUpload(h Handlers, b WriteBudget, name string, n int64) error {
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	rs := NewRequestServer(struct {
		io.Reader
		io.WriteCloser
	}{sr, sw}, h, WithRSAllocator(), WithRSWriteBudget(b))
	done := make(chan error, 1)
	go func() { done <- rs.Serve(); sw.Close() }()
	defer func() { cw.Close(); <-done }()
	c, err := NewClientPipe(cr, cw, UseConcurrentWrites(true), MaxConcurrentRequestsPerFile(64))
	if err != nil {
		return err
	}
	defer c.Close()
	want := bytes.Repeat([]byte(name+"0123456789abcdef"), int(n)/(len(name)+16)+1)[:n]
	f, err := c.Create(name)
	if err != nil {
		return err
	}
	if _, err := f.ReadFrom(bytes.NewReader(want)); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	g, err := c.Open(name)
	if err != nil {
		return err
	}
	defer g.Close()
	got, err := io.ReadAll(g)
	if err != nil {
		return err
	}
	if !bytes.Equal(got, want) {
		return fmt.Errorf("%s: %d bytes read back, not the %d written", name, len(got), n)
	}
	return nil
}

// A session whose client stops reading replies keeps what it took from the
// budget, but never makes another session wait: the other uploads, byte for
// byte, on its own share while the stuck one holds the whole budget.
func TestWriteBudgetStuckSessionDoesNotStallOthers(t *testing.T) {
	t.Parallel()
	size := int64(pageSize(32<<10 + 64)) // the page of one of the stuck session's writes
	b := newCountingBudget(size)
	h := InMemHandler()

	// The stuck session: its client reads the replies it needs to get a
	// handle, then writes and never reads again.
	cr, sw := io.Pipe()
	sr, cw := io.Pipe()
	rs := NewRequestServer(struct {
		io.Reader
		io.WriteCloser
	}{sr, sw}, h, WithRSAllocator(), WithRSWriteBudget(b))
	served := make(chan error, 1)
	go func() { served <- rs.Serve() }()
	defer func() { cw.Close(); cr.Close(); <-served }()
	if err := sendPacket(cw, &sshFxInitPacket{Version: sftpProtocolVersion}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := recvPacket(cr, nil, 0); err != nil {
		t.Fatal(err)
	}
	if err := sendPacket(cw, &sshFxpOpenPacket{ID: 1, Path: "/stuck", Pflags: sshFxfWrite | sshFxfCreat}); err != nil {
		t.Fatal(err)
	}
	typ, reply, err := recvPacket(cr, nil, 0)
	if err != nil || typ != sshFxpHandle {
		t.Fatalf("open: packet type %v, %v", typ, err)
	}
	handle := string(reply[4+4 : 4+4+binary.BigEndian.Uint32(reply[4:])]) // id, then the handle string
	sent := make(chan error, 1)
	go func() {
		data := make([]byte, 32<<10)
		for i := range 256 { // more than the workers and their queue take
			if err := sendPacket(cw, &sshFxpWritePacket{ID: uint32(2 + i), Handle: handle, Offset: uint64(i * len(data)), Length: uint32(len(data)), Data: data}); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	for i := 0; ; i++ { // until the stuck session holds the whole budget
		b.mu.Lock()
		held := b.held
		b.mu.Unlock()
		if held == size {
			break
		}
		if i == 1000 {
			t.Fatalf("the stuck session took %d of the budget's %d", held, size)
		}
		time.Sleep(5 * time.Millisecond)
	}

	done := make(chan error, 1)
	go func() { done <- budgetUpload(h, b, "/other", 2<<20) }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("a session whose client stopped reading replies stalled another's upload")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.most > size {
		t.Errorf("budget of %d: %d lent at most", size, b.most)
	}
}

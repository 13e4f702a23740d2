package sftp

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"sync"
	"testing"
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

func (b *countingBudget) Acquire(_ context.Context, n int64) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.held+n > b.size {
		b.freed.Wait()
	}
	b.held += n
	b.in += n
	b.most = max(b.most, b.held)
	return nil
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

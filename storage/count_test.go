package storage_test

import (
	"bytes"
	"context"
	"io"
	"sync/atomic"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// byteCount is a storage.Counter: the gateway's live session does the
// same with its own atomics, and lists the transfers in flight.
type byteCount struct {
	in, out atomic.Int64
	open    atomic.Int64 // transfers begun and not ended
	begun   atomic.Int64
}

func (c *byteCount) Begin(vpath string, in bool) storage.Flow {
	c.open.Add(1)
	c.begun.Add(1)
	if in {
		return &countFlow{c: c, n: &c.in}
	}
	return &countFlow{c: c, n: &c.out}
}

type countFlow struct {
	c     *byteCount
	n     *atomic.Int64
	ended atomic.Bool
}

func (f *countFlow) Count(n int64) { f.n.Add(n) }
func (f *countFlow) End() {
	if f.ended.Swap(true) {
		panic("a transfer ended twice")
	}
	f.c.open.Add(-1)
}

// countedView is u's view with its bytes counted into c.
func countedView(t *testing.T, e *env, u *store.User, c storage.Counter) *storage.View {
	t.Helper()
	v, err := storage.NewView(context.Background(), storage.ViewOptions{
		User: u, Files: e.files, Decider: e.rules, Auditor: e.st, Counter: c,
		Session: storage.Session{ID: "count-" + u.Name, Protocol: "test", Remote: "192.0.2.1:50000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func TestViewCountsTheBytesItMoves(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	e.write(t, "clients/ACME/factura.pdf", "%PDF-1.4 "+string(bytes.Repeat([]byte("f"), 991))) // 1000 bytes

	var up byteCount
	corr := countedView(t, e, addUser(t, e.st, "corr", store.RoleCorrespondent, "ACME"), &up)
	u, err := corr.Create(ctx, "/ACME/lote.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write(make([]byte, 700)); err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt(make([]byte, 300), 700); err != nil {
		t.Fatal(err)
	}
	if got := up.in.Load(); got != 1000 {
		t.Errorf("an upload in progress counted %d bytes in, want 1000.", got)
	}
	if n := up.open.Load(); n != 1 {
		t.Errorf("an upload in progress is %d transfers in flight, want 1.", n)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	// Writes refused after Close count nothing.
	u.Write(make([]byte, 10))
	if got, out := up.in.Load(), up.out.Load(); got != 1000 || out != 0 {
		t.Errorf("after the upload the counter holds %d in, %d out; want 1000 in, 0 out.", got, out)
	}
	if n := up.open.Load(); n != 0 {
		t.Errorf("after the upload closed %d transfers are in flight, want 0.", n)
	}

	var down byteCount
	client := countedView(t, e, addUser(t, e.st, "acme", store.RoleClient, "ACME"), &down)
	d, err := client.Open(ctx, "/ACME/factura.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.ReadAt(make([]byte, 100), 900); err != nil && err != io.EOF {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(d); err != nil {
		t.Fatal(err)
	}
	if n := down.open.Load(); n != 1 {
		t.Errorf("a download in progress is %d transfers in flight, want 1.", n)
	}
	d.Close()
	d.Close() // twice: the transfer ends once
	if n, b := down.open.Load(), down.begun.Load(); n != 0 || b != 1 {
		t.Errorf("after the download closed %d of %d transfers are in flight, want 0 of 1.", n, b)
	}
	if got := down.out.Load(); got != 1100 {
		t.Errorf("a download of 100 bytes at 900 and then the whole file counted %d bytes out, want 1100.", got)
	}
	if got := down.in.Load(); got != 0 {
		t.Errorf("a download counted %d bytes in, want 0.", got)
	}

	// A view without a counter moves data as before.
	plain := e.view(t, "corr2", store.RoleCorrespondent, "ACME")
	u2, err := plain.Create(ctx, "/ACME/otro.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u2.Write([]byte("%PDF")); err != nil {
		t.Fatal(err)
	}
	if err := u2.Close(); err != nil {
		t.Fatal(err)
	}
}

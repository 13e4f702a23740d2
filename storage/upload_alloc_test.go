package storage_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"runtime"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// writeSwappedPairs writes n chunk-sized pieces from off in the order a
// pipelining server's workers often deliver them: each pair swapped, so
// every other write arrives before the one in front of it.
func writeSwappedPairs(tb testing.TB, u *storage.Upload, p []byte, off int64, n int) {
	for i := 0; i < n; i += 2 {
		next := off + int64(i+1)*int64(len(p))
		for _, o := range []int64{next, next - int64(len(p))} {
			if _, err := u.WriteAt(p, o); err != nil {
				tb.Fatal(err)
			}
		}
	}
}

// TestEarlyWritesReuseHashBuffers: writes that arrive before the data in
// front of them are hashed once it fills the gap, without allocating per
// write (each early write used to allocate its copy: one allocation per
// early write, half of a pipelined upload's bytes).
// Not parallel: AllocsPerRun counts the allocations of the whole process.
func TestEarlyWritesReuseHashBuffers(t *testing.T) {
	e := newEnv(t, "ACME")
	v := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	u, err := v.Create(context.Background(), "/ACME/pares.pdf")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 32<<10)
	const pairs = 16
	var off int64
	allocs := testing.AllocsPerRun(20, func() {
		writeSwappedPairs(t, u, p, off, 2*pairs)
		off += 2 * pairs * int64(len(p))
	})
	if allocs >= pairs/2 {
		t.Errorf("%d out-of-order pairs of writes allocate %.1f times, want about none (one copy buffer for the upload)", pairs, allocs)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestEarlyWritesAreNotCopied: writes that arrive before the data in
// front of them are read back from the file once the gap fills, not
// copied: an upload whose first piece comes last holds none of the rest
// in memory (it held a copy of each, up to 16 MiB per upload: 20 uploads
// from clients with 64 writes of 255 KiB in flight held 320 MiB).
// Not parallel: it reads the bytes the whole process allocates.
func TestEarlyWritesAreNotCopied(t *testing.T) {
	e := newEnv(t, "ACME")
	v := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	u, err := v.Create(context.Background(), "/ACME/tarde.pdf")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 255<<10)
	for i := range p {
		p[i] = byte(i)
	}
	const early = 32 // 8 MiB past a gap at the start
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 1; i <= early; i++ {
		if _, err := u.WriteAt(p, int64(i*len(p))); err != nil {
			t.Fatal(err)
		}
	}
	runtime.ReadMemStats(&after)
	if got := after.TotalAlloc - before.TotalAlloc; got > 1<<20 {
		t.Errorf("%d early writes of %d KiB allocated %d KiB; want them not copied (under 1 MiB)", early, len(p)>>10, got>>10)
	}
	if _, err := u.WriteAt(p, 0); err != nil { // the gap fills: the rest is hashed from the file
		t.Fatal(err)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	want := sha256.New()
	for range early + 1 {
		want.Write(p)
	}
	if got, want := u.SHA256(), hex.EncodeToString(want.Sum(nil)); got != want {
		t.Errorf("sha256 %s, want %s", got, want)
	}
}

// BenchmarkUploadSwappedPairs writes 64 MiB in 32 KiB pieces, each pair
// swapped, and closes (fsync, hash, audit commit): B/op and allocs/op are
// what the write path allocates per 64 MiB.
func BenchmarkUploadSwappedPairs(b *testing.B) {
	e := newEnv(b, "ACME")
	v := e.view(b, "corr", store.RoleCorrespondent, "ACME")
	p := make([]byte, 32<<10)
	const size = 64 << 20
	b.SetBytes(size)
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ { // a correspondent may not overwrite: a new name each time
		u, err := v.Create(context.Background(), fmt.Sprintf("/ACME/pares-%d.pdf", i))
		if err != nil {
			b.Fatal(err)
		}
		writeSwappedPairs(b, u, p, 0, size/len(p))
		if err := u.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

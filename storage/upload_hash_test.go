package storage_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// An upload written in order is hashed behind its writes, by another
// goroutine, while the transfer goes on: Close finds at most a little left.
func TestUploadIsHashedBehindItsWrites(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "ACME")
	v := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	u, err := v.Create(context.Background(), "/ACME/grande.pdf")
	if err != nil {
		t.Fatal(err)
	}
	p := make([]byte, 32<<10)
	const size = 4 << 20
	want := sha256.New()
	for off := int64(0); off < size; off += int64(len(p)) {
		for i := range p {
			p[i] = byte(off>>15) + byte(i)
		}
		want.Write(p)
		if _, err := u.Write(p); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; storage.HashedBehind(u) < size-256<<10; i++ {
		if i == 1000 {
			t.Fatalf("%d of %d bytes written in order hashed behind the writes after 10 s", storage.HashedBehind(u), size)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if got, want := u.SHA256(), hex.EncodeToString(want.Sum(nil)); got != want {
		t.Errorf("sha256 %s, want %s", got, want)
	}
}

// Whatever order the writes come in, rewrites included, while the
// goroutine hashes behind them, the sha256 is the file's.
func TestUploadHashMatchesTheFileInAnyWriteOrder(t *testing.T) {
	t.Parallel()
	e := newEnv(t, "ACME")
	v := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	const chunk, n = 32 << 10, 96 // 3 MiB
	content := make([]byte, chunk*n)
	for i := range content {
		content[i] = byte(i*7 + i>>13)
	}
	rng := rand.New(rand.NewPCG(17, 2026))
	for o, order := range []string{"in order", "pairs swapped", "shuffled in windows", "rewrite midway", "rewrite ahead"} {
		t.Run(order, func(t *testing.T) {
			u, err := v.Create(context.Background(), fmt.Sprintf("/ACME/orden-%d.pdf", o))
			if err != nil {
				t.Fatal(err)
			}
			idx := make([]int, n)
			for i := range idx {
				idx[i] = i
			}
			switch order {
			case "pairs swapped":
				for i := 0; i+1 < n; i += 2 {
					idx[i], idx[i+1] = idx[i+1], idx[i]
				}
			case "shuffled in windows": // as 16 requests in flight arrive
				for w := 0; w < n; w += 16 {
					rng.Shuffle(16, func(i, j int) { idx[w+i], idx[w+j] = idx[w+j], idx[w+i] })
				}
			}
			write := func(i int, b []byte) {
				if _, err := u.WriteAt(b, int64(i*chunk)); err != nil {
					t.Fatal(err)
				}
			}
			for k, i := range idx {
				data := content[i*chunk : (i+1)*chunk]
				switch {
				case order == "rewrite midway" && k == n/2: // garbage first, then the content again, behind the hasher
					write(i/2, make([]byte, chunk))
					time.Sleep(20 * time.Millisecond)
					write(i/2, content[i/2*chunk:(i/2+1)*chunk])
				case order == "rewrite ahead" && k == n/2: // the same early write twice
					write(n-1, make([]byte, chunk))
					write(n-1, content[(n-1)*chunk:])
				}
				write(i, data)
			}
			if err := u.Close(); err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(content)
			if got, want := u.SHA256(), hex.EncodeToString(sum[:]); got != want {
				t.Errorf("sha256 %s, want %s", got, want)
			}
		})
	}
}

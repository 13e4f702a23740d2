package argon2

import (
	"bytes"
	"testing"
)

// TestRecycledMemoryGivesTheSameKey: a derivation on memory a previous
// one left behind gives the key a fresh area gives (the area is cleared:
// the first pass XORs into it).
func TestRecycledMemoryGivesTheSameKey(t *testing.T) {
	fresh := deriveKey(argon2id, []byte("password"), []byte("somesalt"), nil, nil, 2, 64, 2, 32)
	for i := range 3 {
		IDKey([]byte("other"), []byte("othersalt"), 1, 64, 2, 32) // leaves its area to recycle
		if got := IDKey([]byte("password"), []byte("somesalt"), 2, 64, 2, 32); !bytes.Equal(got, fresh) {
			t.Fatalf("run %d: key on recycled memory %x, want %x", i, got, fresh)
		}
	}
}

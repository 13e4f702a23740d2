package clamd_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/clamd"
	"github.com/oaq/custodia/internal/testkit"
)

// BenchmarkScan streams 64 MiB of random bytes to a real clamd over its
// Unix socket: the scan's own cost, which an upload adds.
func BenchmarkScan(b *testing.B) {
	cd := testkit.StartClamd(b, "StreamMaxLength 100M", "MaxFileSize 100M")
	c, err := clamd.New(cd.Addr, time.Minute)
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, 64<<20)
	rand.Read(data)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		if sig, err := c.Scan(context.Background(), bytes.NewReader(data)); err != nil || sig != "" {
			b.Fatalf("scan = %q, %v", sig, err)
		}
	}
}

package backup_test

import (
	"crypto/sha256"
	"encoding/hex"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/internal/testkit"
)

// BenchmarkS3Put uploads a 64 MiB archive to versitygw on loopback: from a
// file (parts read in place, as the runner does) and from a plain reader
// (one part-sized buffer). It reports MB/s and the bytes allocated per
// upload, which stay far below the archive's size.
func BenchmarkS3Put(b *testing.B) {
	s3 := testkit.StartS3(b)
	admin := s3Admin(b, s3)
	if err := admin.MakeBucket(b.Context(), "bench", minio.MakeBucketOptions{}); err != nil {
		b.Fatal(err)
	}
	tg, err := backup.NewS3(backup.S3Options{Endpoint: s3.Endpoint, Bucket: "bench", Region: "us-east-1",
		AccessKey: s3.AccessKey, SecretKey: s3.SecretKey, Insecure: true})
	if err != nil {
		b.Fatal(err)
	}
	const size = 64 << 20
	file := filepath.Join(b.TempDir(), "a.age")
	f, err := os.Create(file)
	if err != nil {
		b.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(io.MultiWriter(f, h), zeroes{}, size); err != nil {
		b.Fatal(err)
	}
	f.Close()
	sum := hex.EncodeToString(h.Sum(nil))
	for _, c := range []struct {
		name  string
		plain bool
	}{{"file", false}, {"reader", true}} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(size)
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			for i := 0; b.Loop(); i++ {
				f, err := os.Open(file)
				if err != nil {
					b.Fatal(err)
				}
				var r io.Reader = f
				if c.plain {
					r = struct{ io.Reader }{f}
				}
				if err := tg.Put(b.Context(), "bench/"+c.name+".age", r, size, sum); err != nil {
					b.Fatal(err)
				}
				f.Close()
			}
			runtime.ReadMemStats(&after)
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/float64(b.N)/(1<<20), "alloc-MiB/op")
		})
	}
}

type zeroes struct{}

func (zeroes) Read(p []byte) (int, error) { clear(p); return len(p), nil }

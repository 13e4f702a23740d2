package server_test

import (
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// antivirusBenchSize is one benchmark upload: 64 MiB, under clamd's
// StreamMaxLength of 100M set below.
const antivirusBenchSize = 64 << 20

// BenchmarkUploadAntivirus uploads a 64 MiB file of random bytes over
// SFTP (pkg/sftp, 64 requests in flight) without antivirus ("off") and
// with every upload scanned by a real clamd over its Unix socket
// ("clamd"); MB/s is the figure, the scan included.
func BenchmarkUploadAntivirus(b *testing.B) {
	src := filepath.Join(b.TempDir(), "payload")
	f, err := os.Create(src)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, antivirusBenchSize); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	for _, mode := range []string{"off", "clamd"} {
		b.Run(mode, func(b *testing.B) {
			var extra []string
			if mode == "clamd" {
				extra = append(extra, testkit.StartClamd(b, "StreamMaxLength 100M", "MaxFileSize 100M").ClamdEnv())
			}
			tg := testkit.Start(b, extra...)
			tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin})
			conn, err := tg.Dial("bench", testkit.Password)
			if err != nil {
				b.Fatal(err)
			}
			c, err := gosftp.NewClient(conn, gosftp.UseConcurrentWrites(true), gosftp.MaxConcurrentRequestsPerFile(64))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { c.Close(); conn.Close() })
			b.SetBytes(antivirusBenchSize)
			b.ResetTimer()
			for b.Loop() {
				f.Seek(0, io.SeekStart)
				dst, err := c.Create("/departments/operaciones/bench.bin")
				if err != nil {
					b.Fatal(err)
				}
				if _, err := dst.ReadFrom(f); err != nil {
					b.Fatal(err)
				}
				if err := dst.Close(); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			if mode == "clamd" && testkit.Metric(b, tg, "custodia_antivirus_scans_total", `result="clean"`) < 1 {
				b.Fatal("no upload was scanned")
			}
		})
	}
}

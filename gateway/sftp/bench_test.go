package sftp_test

import (
	"io"
	"os"
	"path/filepath"
	"testing"

	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// benchClient logs in as the admin over loopback with pkg/sftp's client,
// concurrent reads and writes on, as a transfer tool would use it.
func benchClient(b *testing.B) (*testkit.Gateway, *gosftp.Client) {
	tg := testkit.Start(b)
	tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin})
	conn, err := tg.Dial("bench", testkit.Password)
	if err != nil {
		b.Fatal(err)
	}
	return tg, pipelinedClient(b, conn)
}

// pipelinedClient is pkg/sftp's client with 64 requests in flight per
// file, the same for custodia and for OpenSSH.
func pipelinedClient(b *testing.B, conn *ssh.Client) *gosftp.Client {
	c, err := gosftp.NewClient(conn, gosftp.UseConcurrentWrites(true), gosftp.UseConcurrentReads(true),
		gosftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(); conn.Close() })
	return c
}

// uploadLoop times uploads of src to name; downloadLoop downloads of name.
func uploadLoop(b *testing.B, c *gosftp.Client, src *os.File, name string) {
	b.SetBytes(testkit.BenchSize)
	b.ResetTimer()
	for b.Loop() {
		src.Seek(0, io.SeekStart)
		dst, err := c.Create(name)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := dst.ReadFrom(src); err != nil {
			b.Fatal(err)
		}
		if err := dst.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func downloadLoop(b *testing.B, c *gosftp.Client, name string) {
	b.SetBytes(testkit.BenchSize)
	b.ResetTimer()
	for b.Loop() {
		f, err := c.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		n, err := f.WriteTo(io.Discard)
		f.Close()
		if err != nil || n != testkit.BenchSize {
			b.Fatalf("downloaded %d bytes: %v", n, err)
		}
	}
}

// BenchmarkSFTPUpload moves a 256 MiB file up; MB/s is the figure.
func BenchmarkSFTPUpload(b *testing.B) {
	_, c := benchClient(b)
	uploadLoop(b, c, testkit.BenchFile(b), "/departments/operaciones/bench.bin")
}

// BenchmarkSFTPDownload moves a 256 MiB file down; MB/s is the figure.
func BenchmarkSFTPDownload(b *testing.B) {
	tg, c := benchClient(b)
	testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(tg.DataDir, "files/departments/operaciones/bench.bin"))
	downloadLoop(b, c, "/departments/operaciones/bench.bin")
}

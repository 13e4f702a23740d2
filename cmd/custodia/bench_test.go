package main

import (
	"crypto/rand"
	"io"
	"os"
	"path/filepath"
	"testing"

	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

const benchSize = 256 << 20

// benchClient logs in as the admin over loopback with pkg/sftp's client,
// concurrent reads and writes on, as a transfer tool would use it.
func benchClient(b *testing.B) (*Gateway, *gosftp.Client) {
	tg := Start(b)
	tg.addUser("bench", "--role", "admin")
	conn, err := tg.Dial("bench", Password)
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

func benchFile(b *testing.B) *os.File {
	p := filepath.Join(b.TempDir(), "payload")
	f, err := os.Create(p)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.CopyN(f, rand.Reader, benchSize); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { f.Close() })
	return f
}

// uploadLoop times uploads of src to name; downloadLoop downloads of name.
func uploadLoop(b *testing.B, c *gosftp.Client, src *os.File, name string) {
	b.SetBytes(benchSize)
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
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		f, err := c.Open(name)
		if err != nil {
			b.Fatal(err)
		}
		n, err := f.WriteTo(io.Discard)
		f.Close()
		if err != nil || n != benchSize {
			b.Fatalf("downloaded %d bytes: %v", n, err)
		}
	}
}

// copyTo writes src's content to a local file.
func copyTo(b *testing.B, src *os.File, name string) {
	out, err := os.Create(name)
	if err != nil {
		b.Fatal(err)
	}
	defer out.Close()
	src.Seek(0, io.SeekStart)
	if _, err := io.Copy(out, src); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkSFTPUpload moves a 256 MiB file up; MB/s is the figure.
func BenchmarkSFTPUpload(b *testing.B) {
	_, c := benchClient(b)
	uploadLoop(b, c, benchFile(b), "/departments/operaciones/bench.bin")
}

// BenchmarkSFTPDownload moves a 256 MiB file down; MB/s is the figure.
func BenchmarkSFTPDownload(b *testing.B) {
	tg, c := benchClient(b)
	copyTo(b, benchFile(b), filepath.Join(tg.DataDir, "files/departments/operaciones/bench.bin"))
	downloadLoop(b, c, "/departments/operaciones/bench.bin")
}

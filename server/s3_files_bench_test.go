package server_test

import (
	"bytes"
	"io"
	"testing"
)

// BenchmarkS3SFTPDownload downloads a 64 MiB file whose bytes are in S3
// over SFTP with pkg/sftp's client (concurrent reads): the reads reach the
// view out of order, and each is a ranged GET or the continuation of one.
func BenchmarkS3SFTPDownload(b *testing.B) {
	g := startS3Gateway(b)
	data := bytes.Repeat([]byte("expediente 0123456789abcdef "), (64<<20)/27)
	f, err := g.SFTP("ana").Create("/operaciones/grande.zip")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := f.ReadFrom(bytes.NewReader(data)); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	sc := g.SFTP("ana")
	b.SetBytes(int64(len(data)))
	b.ResetTimer()
	for b.Loop() {
		f, err := sc.Open("/operaciones/grande.zip")
		if err != nil {
			b.Fatal(err)
		}
		n, err := f.WriteTo(io.Discard)
		f.Close()
		if err != nil || n != int64(len(data)) {
			b.Fatalf("downloaded %d bytes (%v), want %d", n, err, len(data))
		}
	}
}

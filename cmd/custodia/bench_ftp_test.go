package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"
)

// benchFTP logs in as the admin over explicit FTPS (AES-GCM, as Go's TLS
// picks on this machine) and returns the client.
func benchFTP(b *testing.B) (*testGateway, *ftp.ServerConn) {
	tg := startGateway(b)
	tg.addUser("bench", "--role", "admin")
	c, err := tg.dialFTP("bench", testPassword)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Quit() })
	return tg, c
}

// ftpUploadLoop and ftpDownloadLoop time 256 MiB transfers; they serve
// custodia and vsftpd alike.
func ftpUploadLoop(b *testing.B, c *ftp.ServerConn, src *os.File, name string) {
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		src.Seek(0, io.SeekStart)
		if err := c.Stor(name, src); err != nil {
			b.Fatal(err)
		}
	}
}

func ftpDownloadLoop(b *testing.B, c *ftp.ServerConn, name string) {
	b.SetBytes(benchSize)
	b.ResetTimer()
	for b.Loop() {
		r, err := c.Retr(name)
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, r)
		if cerr := r.Close(); err == nil {
			err = cerr
		}
		if err != nil || n != benchSize {
			b.Fatalf("downloaded %d bytes: %v", n, err)
		}
	}
}

// ftpSmallFilesLoop uploads 50 files of 4 KiB over one session, the case
// where a stall per data connection shows; the figure is ms/file.
func ftpSmallFilesLoop(b *testing.B, c *ftp.ServerConn, dir string) {
	body := bytes.Repeat([]byte("x"), 4<<10)
	const files = 50
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		for i := range files {
			if err := c.Stor(fmt.Sprintf("%s/small-%02d.txt", dir, i), bytes.NewReader(body)); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N*files), "ms/file")
}

// BenchmarkFTPSUpload moves a 256 MiB file up over explicit FTPS.
func BenchmarkFTPSUpload(b *testing.B) {
	_, c := benchFTP(b)
	ftpUploadLoop(b, c, benchFile(b), "/departments/operaciones/bench.bin")
}

// BenchmarkFTPSDownload moves a 256 MiB file down over explicit FTPS.
func BenchmarkFTPSDownload(b *testing.B) {
	tg, c := benchFTP(b)
	copyTo(b, benchFile(b), filepath.Join(tg.dataDir, "files/departments/operaciones/bench.bin"))
	ftpDownloadLoop(b, c, "/departments/operaciones/bench.bin")
}

// BenchmarkFTPSSmallFiles uploads 50 small files per iteration.
func BenchmarkFTPSSmallFiles(b *testing.B) {
	_, c := benchFTP(b)
	ftpSmallFilesLoop(b, c, "/departments/operaciones")
}


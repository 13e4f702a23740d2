package ftp_test

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/internal/yardstick"
)

// startVsftpd runs vsftpd on 127.0.0.1 with explicit FTPS required for the
// login and the data connections (internal/yardstick), as the yardstick
// for the FTPS benchmarks, and logs in as its anonymous user, who may
// write to /upload. It skips unless vsftpd is installed and the benchmark
// runs as root.
func startVsftpd(b *testing.B) (*ftp.ServerConn, string) {
	v, err := yardstick.StartVsftpd(b.TempDir())
	if errors.Is(err, yardstick.ErrMissing) {
		b.Skipf("skipping: %v", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(v.Stop)
	c, err := ftp.Dial(v.Addr, ftp.DialWithExplicitTLS(v.ClientTLS()), ftp.DialWithTimeout(10*time.Second))
	if err == nil {
		err = c.Login("anonymous", "bench@")
	}
	if err != nil {
		b.Fatalf("cannot log in to vsftpd: %v", err)
	}
	b.Cleanup(func() { c.Quit() })
	return c, v.Root
}

// BenchmarkVsftpdUpload is BenchmarkFTPSUpload against vsftpd.
func BenchmarkVsftpdUpload(b *testing.B) {
	c, _ := startVsftpd(b)
	ftpUploadLoop(b, c, testkit.BenchFile(b), "/upload/bench.bin")
}

// BenchmarkVsftpdDownload is BenchmarkFTPSDownload against vsftpd.
func BenchmarkVsftpdDownload(b *testing.B) {
	c, root := startVsftpd(b)
	testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(root, "bench.bin"))
	os.Chmod(filepath.Join(root, "bench.bin"), 0o644)
	ftpDownloadLoop(b, c, "/bench.bin")
}

// BenchmarkVsftpdSmallFiles is BenchmarkFTPSSmallFiles against vsftpd.
func BenchmarkVsftpdSmallFiles(b *testing.B) {
	c, _ := startVsftpd(b)
	ftpSmallFilesLoop(b, c, "/upload")
}

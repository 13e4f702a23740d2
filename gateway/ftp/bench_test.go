package ftp_test

import (
	"bytes"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// benchFTP logs in as the admin over explicit FTPS (AES-GCM, as Go's TLS
// picks on this machine) and returns the client.
func benchFTP(b *testing.B) (*testkit.Gateway, *ftp.ServerConn) {
	tg := testkit.Start(b)
	tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin})
	c, err := tg.DialFTP("bench", testkit.Password)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Quit() })
	return tg, c
}

// ftpUploadLoop and ftpDownloadLoop time 256 MiB transfers; they serve
// custodia and vsftpd alike.
func ftpUploadLoop(b *testing.B, c *ftp.ServerConn, src *os.File, name string) {
	b.SetBytes(testkit.BenchSize)
	b.ResetTimer()
	for b.Loop() {
		src.Seek(0, io.SeekStart)
		if err := c.Stor(name, src); err != nil {
			b.Fatal(err)
		}
	}
}

func ftpDownloadLoop(b *testing.B, c *ftp.ServerConn, name string) {
	b.SetBytes(testkit.BenchSize)
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
		if err != nil || n != testkit.BenchSize {
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
	ftpUploadLoop(b, c, testkit.BenchFile(b), "/departments/operaciones/bench.bin")
}

// BenchmarkFTPSDownload moves a 256 MiB file down over explicit FTPS.
func BenchmarkFTPSDownload(b *testing.B) {
	tg, c := benchFTP(b)
	testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(tg.DataDir, "files/departments/operaciones/bench.bin"))
	ftpDownloadLoop(b, c, "/departments/operaciones/bench.bin")
}

// BenchmarkFTPSSmallFiles uploads 50 small files per iteration.
func BenchmarkFTPSSmallFiles(b *testing.B) {
	_, c := benchFTP(b)
	ftpSmallFilesLoop(b, c, "/departments/operaciones")
}

// BenchmarkFTPSSmallFilesNagle uploads 50 small files per iteration as
// Python's ftplib does: Nagle's algorithm left on, and the end of each
// upload a TLS close_notify after which the client waits for the server's.
// Without quick acknowledgements on the server's side, each file waits for
// a delayed ACK (about 40 ms).
func BenchmarkFTPSSmallFilesNagle(b *testing.B) {
	tg := testkit.Start(b)
	tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin})
	r := tg.RawFTPConn(tg.FTPAddr, false)
	r.Login("bench")
	body := bytes.Repeat([]byte("x"), 4<<10)
	const files = 50
	b.ResetTimer()
	start := time.Now()
	for b.Loop() {
		r.Conn.SetDeadline(time.Now().Add(time.Minute))
		for i := range files {
			dc, _ := r.Passive()
			dc.(*tls.Conn).NetConn().(*net.TCPConn).SetNoDelay(false)
			r.Expect(150, "STOR /departments/operaciones/nagle-%02d.txt", i)
			if _, err := dc.Write(body); err != nil {
				b.Fatal(err)
			}
			dc.(*tls.Conn).CloseWrite()
			io.Copy(io.Discard, dc)
			dc.Close()
			if code, msg := r.Reply(); code != 226 {
				b.Fatalf("upload %d: %d %s", i, code, msg)
			}
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N*files), "ms/file")
}

// BenchmarkCurlFTPSSmallFiles has one curl process upload 30 files of 4 KiB
// over one session per iteration, the case where curl waited 1 s per file
// for a server that answered EPSV too fast (see gateway/ftp/passive.go).
// Besides ms/file it reports the server's CPU time (user and system) per
// file, which other work on a shared machine moves less than the wall
// time: the test process is the server, and curl, a child, is counted
// apart. It skips without curl.
func BenchmarkCurlFTPSSmallFiles(b *testing.B) {
	curl, err := exec.LookPath("curl")
	if err != nil {
		b.Skip("skipping: needs curl")
	}
	tg := testkit.Start(b)
	tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin})
	dir := b.TempDir()
	const files = 30
	names := make([]string, files)
	for i := range names {
		names[i] = fmt.Sprintf("small-%02d.txt", i)
		os.WriteFile(filepath.Join(dir, names[i]), bytes.Repeat([]byte("y"), 4<<10), 0o600)
	}
	args := []string{"-sS", "--ssl-reqd", "--cacert", filepath.Join(tg.DataDir, "keys", "tls.crt"),
		"--connect-to", "localhost::" + tg.FTPAddr, "-u", "bench:" + testkit.Password,
		"-T", "{" + strings.Join(names, ",") + "}", "ftp://localhost/departments/operaciones/"}
	b.ResetTimer()
	start, cpu0 := time.Now(), serverCPU()
	for b.Loop() {
		cmd := exec.Command(curl, args...)
		cmd.Dir = dir
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("curl: %v\n%s", err, out)
		}
	}
	b.ReportMetric(float64(time.Since(start).Milliseconds())/float64(b.N*files), "ms/file")
	b.ReportMetric(float64((serverCPU()-cpu0).Microseconds())/1000/float64(b.N*files), "cpu-ms/file")
}

// serverCPU is the CPU time, user and system, the test process (the
// gateway under test) has used; its children's is counted apart.
func serverCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

package sftp_test

import (
	"bytes"
	"fmt"
	"sync"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
)

// BenchmarkSFTPSmallFiles uploads 50 files of 4 KiB per iteration, one
// after another over one session, as OpenSSH's sftp does for a batch of
// puts (a stat of the name, open, write, close); the figure is ms/file.
// Each is acknowledged only once durable and audited.
func BenchmarkSFTPSmallFiles(b *testing.B) {
	_, c := benchClient(b)
	body := bytes.Repeat([]byte("x"), 4<<10)
	const files = 50
	n := 0
	start := time.Now()
	for b.Loop() {
		for range files {
			name := fmt.Sprintf("/departments/operaciones/small-%05d.txt", n)
			n++
			c.Stat(name) // absent: the client looks before it writes
			f, err := c.Create(name)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := f.Write(body); err != nil {
				b.Fatal(err)
			}
			if err := f.Close(); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(n), "ms/file")
}

// BenchmarkSFTPSmallFilesParallel is BenchmarkSFTPSmallFiles over 8
// sessions at once, each uploading its own files one after another: the
// uploads' commits meet in the store. The figure is ms/file over all of them.
func BenchmarkSFTPSmallFilesParallel(b *testing.B) {
	tg, first := benchClient(b)
	const sessions, files = 8, 10
	clients := []*gosftp.Client{first}
	for len(clients) < sessions {
		conn, err := tg.Dial("bench", testkit.Password)
		if err != nil {
			b.Fatal(err)
		}
		clients = append(clients, pipelinedClient(b, conn))
	}
	body := bytes.Repeat([]byte("x"), 4<<10)
	n := 0
	start := time.Now()
	for b.Loop() {
		var wg sync.WaitGroup
		errs := make(chan error, sessions)
		for s, c := range clients {
			wg.Go(func() {
				for i := range files {
					name := fmt.Sprintf("/departments/operaciones/par-%05d-%d-%d.txt", n, s, i)
					c.Stat(name)
					f, err := c.Create(name)
					if err != nil {
						errs <- err
						return
					}
					if _, err := f.Write(body); err != nil {
						errs <- err
						return
					}
					if err := f.Close(); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
		n++
	}
	b.ReportMetric(float64(time.Since(start).Microseconds())/1000/float64(n*sessions*files), "ms/file")
}

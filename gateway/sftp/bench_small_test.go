package sftp_test

import (
	"bytes"
	"fmt"
	"testing"
	"time"
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

package sftp_test

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// BenchmarkSFTPList100000 lists a client's folder of 100,000 files with
// pkg/sftp's client over loopback, as a client user whose every entry is
// authorized on its way out (issue 17: at most 1 s a listing). The files
// are made empty, straight in the data directory.
func BenchmarkSFTPList100000(b *testing.B) {
	const entries = 100_000
	tg := testkit.Start(b)
	tg.AddClient("ACME", "Acme")
	tg.AddUser(store.NewUser{Name: "carla", Role: store.RoleClient, Clients: []string{"ACME"}})
	dir := filepath.Join(tg.DataDir, "files/clients/ACME/2026")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	for i := range entries {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("pedimento-26-%07d.pdf", i)), os.O_CREATE|os.O_WRONLY, 0o640)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	conn, err := tg.Dial("carla", testkit.Password)
	if err != nil {
		b.Fatal(err)
	}
	c, err := gosftp.NewClient(conn)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close(); conn.Close() })
	b.ReportAllocs() // the client's and the server's: both run in this process
	b.ResetTimer()
	for b.Loop() {
		fis, err := c.ReadDir("/ACME/2026")
		if err != nil || len(fis) != entries {
			b.Fatalf("listed %d entries: %v", len(fis), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/list")
}

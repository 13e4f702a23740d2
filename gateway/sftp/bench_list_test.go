package sftp_test

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/internal/yardstick"
	"github.com/oaq/custodia/store"
)

const listEntries = 100_000

// startListBench starts a gateway with a client user, carla (password
// testkit.Password, or the public key given), and a folder of her client
// holding listEntries empty files, made straight in the data directory. It
// returns the folder's path as carla sees it.
func startListBench(b *testing.B, keys ...store.NewKey) (*testkit.Gateway, string) {
	tg := testkit.Start(b)
	tg.AddClient("ACME", "Acme")
	tg.AddUser(store.NewUser{Name: "carla", Role: store.RoleClient, Clients: []string{"ACME"}, Keys: keys})
	dir := filepath.Join(tg.DataDir, "files/clients/ACME/2026")
	if err := os.MkdirAll(dir, 0o750); err != nil {
		b.Fatal(err)
	}
	for i := range listEntries {
		f, err := os.OpenFile(filepath.Join(dir, fmt.Sprintf("pedimento-26-%07d.pdf", i)), os.O_CREATE|os.O_WRONLY, 0o640)
		if err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	return tg, "/ACME/2026"
}

// BenchmarkSFTPList100000 lists a client's folder of 100,000 files with
// pkg/sftp's client over loopback, as a client user whose every entry is
// authorized on its way out (issue 17: at most 1 s a listing).
func BenchmarkSFTPList100000(b *testing.B) {
	tg, folder := startListBench(b)
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
		fis, err := c.ReadDir(folder)
		if err != nil || len(fis) != listEntries {
			b.Fatalf("listed %d entries: %v", len(fis), err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/list")
}

// BenchmarkSSHClientList100000 is BenchmarkSFTPList100000 with OpenSSH's
// sftp client (its own process, so this process's CPU time and
// allocations are the server's): one session per listing, "ls -l" of the
// folder (the server's long names), written to /dev/null.
func BenchmarkSSHClientList100000(b *testing.B) {
	if err := yardstick.Need("sftp"); err != nil {
		b.Skipf("skipping: %v", err)
	}
	dir := b.TempDir()
	key, k := clientKey(b, dir)
	tg, folder := startListBench(b, k)
	args, err := sftpClient(tg, "carla", key, dir).Args()
	if err != nil {
		b.Fatal(err)
	}
	batch := filepath.Join(dir, "batch")
	if err := os.WriteFile(batch, []byte("ls -l "+folder+"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	args = append(args, "-b", batch, "carla@127.0.0.1")
	b.ReportAllocs()
	before := processCPU()
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command(args[0], args[1:]...) // its output to /dev/null
		if err := cmd.Run(); err != nil {
			b.Fatalf("%s: %v", cmd, err)
		}
	}
	b.StopTimer()
	cpu := processCPU() - before
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/list")
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N), "server-cpu-ms/list")
}

package sftp_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/internal/yardstick"
	"github.com/oaq/custodia/store"
)

// sshClientBench runs OpenSSH's sftp client (its own process) against an
// in-process gateway, so every CPU cycle and allocation this process
// reports is the server's: profile it with -cpuprofile / -memprofile.
// The cipher is OpenSSH's default unless CUSTODIA_BENCH_CIPHER names one.
type sshClientBench struct {
	tg     *testkit.Gateway
	client *yardstick.SFTPClient
}

func newSSHClientBench(b *testing.B) *sshClientBench {
	if err := yardstick.Need("sftp"); err != nil {
		b.Skipf("skipping: %v", err)
	}
	tg := testkit.Start(b)
	dir := b.TempDir()
	key, k := clientKey(b, dir)
	tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin, Keys: []store.NewKey{k}})
	c := sftpClient(tg, "bench", key, dir)
	c.Cipher = os.Getenv("CUSTODIA_BENCH_CIPHER")
	return &sshClientBench{tg: tg, client: c}
}

// run runs one batch command b.N times and reports the server's CPU time
// per MB (getrusage of this process: the server's, the client is apart).
func (s *sshClientBench) run(b *testing.B, cmd string) {
	b.SetBytes(testkit.BenchSize)
	b.ReportAllocs()
	before := processCPU()
	b.ResetTimer()
	for b.Loop() {
		if err := s.client.Batch(context.Background(), cmd); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	cpu := float64((processCPU() - before).Milliseconds())
	b.ReportMetric(cpu/float64(b.N)/(testkit.BenchSize/1e6), "server-cpu-ms/MB")
}

// BenchmarkSSHClientUpload puts a 256 MiB file with OpenSSH's sftp.
func BenchmarkSSHClientUpload(b *testing.B) {
	s := newSSHClientBench(b)
	src := testkit.BenchFile(b)
	s.run(b, "put "+src.Name()+" /departments/operaciones/bench.bin")
}

// BenchmarkSSHClientDownload gets a 256 MiB file with OpenSSH's sftp.
func BenchmarkSSHClientDownload(b *testing.B) {
	s := newSSHClientBench(b)
	testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(s.tg.DataDir, "files/departments/operaciones/bench.bin"))
	s.run(b, "get /departments/operaciones/bench.bin /dev/null")
}

// openSSHClientBench is sshClientBench against OpenSSH's sshd with its
// internal-sftp (internal/yardstick), the yardstick: the CPU reported is
// that of sshd's process tree, so the two benchmarks' server-cpu-ms/MB
// compare. CUSTODIA_BENCH_CIPHER picks the cipher as for custodia.
func openSSHClientBench(b *testing.B, cmd func(dir string) string, setup func(dir string)) {
	if err := yardstick.Need("sftp"); err != nil {
		b.Skipf("skipping: %v", err)
	}
	d, err := yardstick.StartSSHD(b.TempDir())
	if errors.Is(err, yardstick.ErrMissing) {
		b.Skipf("skipping: %v", err)
	}
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(d.Stop)
	setup(d.Files)
	c := &yardstick.SFTPClient{Port: d.Port, User: "root", Key: d.Key.File,
		Cipher: os.Getenv("CUSTODIA_BENCH_CIPHER"), Dir: b.TempDir()}
	b.SetBytes(testkit.BenchSize)
	b.ResetTimer()
	m := yardstick.MeasureCPU(d.Pid())
	for b.Loop() {
		if err := c.Batch(context.Background(), cmd(d.Files)); err != nil {
			b.Fatal(err)
		}
	}
	cpu := m.Stop()
	b.StopTimer()
	b.ReportMetric(float64(cpu.Milliseconds())/float64(b.N)/(testkit.BenchSize/1e6), "server-cpu-ms/MB")
}

// BenchmarkSSHClientOpenSSHUpload is BenchmarkSSHClientUpload against
// OpenSSH's sshd.
func BenchmarkSSHClientOpenSSHUpload(b *testing.B) {
	src := testkit.BenchFile(b)
	openSSHClientBench(b, func(dir string) string { return "put " + src.Name() + " " + filepath.Join(dir, "bench.bin") },
		func(string) {})
}

// BenchmarkSSHClientOpenSSHDownload is BenchmarkSSHClientDownload against
// OpenSSH's sshd.
func BenchmarkSSHClientOpenSSHDownload(b *testing.B) {
	openSSHClientBench(b, func(dir string) string { return "get " + filepath.Join(dir, "bench.bin") + " /dev/null" },
		func(dir string) { testkit.CopyTo(b, testkit.BenchFile(b), filepath.Join(dir, "bench.bin")) })
}

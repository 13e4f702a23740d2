package sftp_test

import (
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// sshClientBench runs OpenSSH's sftp client (its own process) against an
// in-process gateway, so every CPU cycle and allocation this process
// reports is the server's: profile it with -cpuprofile / -memprofile.
// The cipher is OpenSSH's default unless CUSTODIA_BENCH_CIPHER names one.
type sshClientBench struct {
	tg    *testkit.Gateway
	args  []string
	batch string
}

func newSSHClientBench(b *testing.B) *sshClientBench {
	sftpBin, err := exec.LookPath("sftp")
	if err != nil {
		b.Skip("skipping: needs OpenSSH's sftp")
	}
	tg := testkit.Start(b)
	dir := b.TempDir()
	key := filepath.Join(dir, "id_ed25519")
	if out, err := exec.Command("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", key).CombinedOutput(); err != nil {
		b.Fatalf("ssh-keygen: %v\n%s", err, out)
	}
	pub, _ := os.ReadFile(key + ".pub")
	k, err := gateway.ParseKeyFile(pub)
	if err != nil {
		b.Fatal(err)
	}
	tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin, Keys: []store.NewKey{k}})
	_, port, _ := net.SplitHostPort(tg.SFTPAddr)
	args := []string{sftpBin, "-q", "-i", key, "-P", port, "-o", "StrictHostKeyChecking=no",
		"-o", "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "IdentitiesOnly=yes"}
	if c := os.Getenv("CUSTODIA_BENCH_CIPHER"); c != "" {
		args = append(args, "-o", "Ciphers="+c)
	}
	return &sshClientBench{tg: tg, args: args, batch: filepath.Join(dir, "batch")}
}

// run runs one batch command b.N times and reports the server's CPU time
// per MB (getrusage of this process: the server's, the client is apart).
func (s *sshClientBench) run(b *testing.B, cmd string) {
	os.WriteFile(s.batch, []byte(cmd+"\n"), 0o600)
	args := append(append([]string(nil), s.args...), "-b", s.batch, "bench@127.0.0.1")
	b.SetBytes(testkit.BenchSize)
	b.ReportAllocs()
	var before, after syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &before)
	b.ResetTimer()
	for b.Loop() {
		if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
			b.Fatalf("sftp %s: %v\n%s", cmd, err, out)
		}
	}
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &after)
	cpu := float64(syscall.TimevalToNsec(after.Utime)+syscall.TimevalToNsec(after.Stime)-
		syscall.TimevalToNsec(before.Utime)-syscall.TimevalToNsec(before.Stime)) / 1e6
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

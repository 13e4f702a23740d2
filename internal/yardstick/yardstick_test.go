package yardstick_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/yardstick"
)

// need skips the test when a tool or root is missing, unless CI is set.
func need(t *testing.T, err error) {
	t.Helper()
	if err == nil {
		return
	}
	if errors.Is(err, yardstick.ErrMissing) && os.Getenv("CI") == "" {
		t.Skip(err)
	}
	t.Fatal(err)
}

// bigFile writes n bytes that do not compress.
func bigFile(t *testing.T, n int) string {
	t.Helper()
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7919 ^ i>>9)
	}
	f := filepath.Join(t.TempDir(), "up.bin")
	if err := os.WriteFile(f, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return f
}

// measured runs op and returns the CPU time the server tree used
// meanwhile, its sessions' processes gone.
func measured(t *testing.T, pid int, op func() error) time.Duration {
	t.Helper()
	procs := len(yardstick.Tree(pid))
	m := yardstick.MeasureCPU(pid)
	err := op()
	if err == nil {
		err = yardstick.WaitTree(pid, procs)
	}
	used := m.Stop()
	if err != nil {
		t.Fatal(err)
	}
	return used
}

// TestSSHDTakesAnUploadAndItsSessionCPUCounts: the sshd started here
// takes a put from OpenSSH's sftp -b with a key, and the CPU of the
// session's processes (forked, gone when measured) is counted.
func TestSSHDTakesAnUploadAndItsSessionCPUCounts(t *testing.T) {
	t.Parallel()
	need(t, yardstick.Need("sshd", "sftp"))
	need(t, yardstick.NeedRoot("sshd"))
	d, err := yardstick.StartSSHD(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	src := bigFile(t, 32<<20)
	c := &yardstick.SFTPClient{Port: d.Port, User: "root", Key: d.Key.File, Dir: t.TempDir()}
	dst := filepath.Join(d.Files, "up.bin")
	used := measured(t, d.Pid(), func() error { return c.Batch(context.Background(), "put "+src+" "+dst) })
	if st, err := os.Stat(dst); err != nil || st.Size() != 32<<20 {
		t.Fatalf("the upload arrived as %v, %v", st, err)
	}
	if used <= 0 {
		t.Errorf("sshd's session used %v of CPU for 32 MiB", used)
	}
	if len(yardstick.Tree(d.Pid())) != 1 {
		t.Errorf("sshd's tree after the session: %v", yardstick.Tree(d.Pid()))
	}
}

// TestVsftpdTakesAnFTPSUploadAndItsSessionCPUCounts: the vsftpd started
// here refuses plain FTP, takes an explicit-TLS upload from curl, and the
// CPU of its session's processes counts (its listener does not reap them
// all, so a parent's reaped-children time would miss it).
func TestVsftpdTakesAnFTPSUploadAndItsSessionCPUCounts(t *testing.T) {
	t.Parallel()
	need(t, yardstick.Need("vsftpd", "curl"))
	need(t, yardstick.NeedRoot("vsftpd"))
	v, err := yardstick.StartVsftpd(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer v.Stop()
	dir := t.TempDir()
	curl, err := yardstick.NewCurl(dir, "vsftpd", "anonymous", "", v.Cert.CertFile)
	if err != nil {
		t.Fatal(err)
	}
	// Long enough (about half a second) for the meter, which reads the
	// tree every 20 ms, to see the session's processes even on a machine
	// busy with other tests: with 32 MiB a whole session once came and
	// went between two readings of a starved meter (0 s counted).
	const size = 128 << 20
	src := bigFile(t, size)
	ctx := context.Background()
	if err := curl.Run(ctx, "", "--connect-to", "localhost::"+v.Addr, "-T", src, "ftp://localhost/upload/plain.bin"); err == nil {
		t.Error("vsftpd took an upload without TLS")
	}
	used := measured(t, v.Pid(), func() error {
		return curl.Run(ctx, "", "--ssl-reqd", "--tls-max", "1.2", "--connect-to", "localhost::"+v.Addr,
			"-T", src, "ftp://localhost/upload/up.bin")
	})
	if st, err := os.Stat(filepath.Join(v.Root, "upload", "up.bin")); err != nil || st.Size() != size {
		t.Fatalf("the upload arrived as %v, %v", st, err)
	}
	if used <= 0 {
		t.Errorf("vsftpd's session used %v of CPU for %d MiB over TLS", used, size>>20)
	}
}

// TestTreePSSCountsASession: a logged-in session's processes add to the
// server tree's memory.
func TestTreePSSCountsASession(t *testing.T) {
	t.Parallel()
	need(t, yardstick.Need("sshd"))
	need(t, yardstick.NeedRoot("sshd"))
	d, err := yardstick.StartSSHD(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer d.Stop()
	alone, err := yardstick.TreePSS(d.Pid())
	if err != nil || alone <= 0 {
		t.Fatalf("sshd alone: %d KiB, %v", alone, err)
	}
	conn, err := ssh.Dial("tcp", d.Addr, &ssh.ClientConfig{User: "root", Auth: []ssh.AuthMethod{ssh.PublicKeys(d.Key.Signer)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: 30 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	with, err := yardstick.TreePSS(d.Pid())
	if err != nil {
		t.Fatal(err)
	}
	if n := len(yardstick.Tree(d.Pid())); n < 2 || with <= alone {
		t.Errorf("sshd's tree with a session: %d processes, %d KiB; alone %d KiB", n, with, alone)
	}
}

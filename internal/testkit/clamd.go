package testkit

import (
	"bytes"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// EICAR is the EICAR anti-virus test file: harmless, and detected by
// every scanner (here by the signature StartClamd builds). It is put
// together at run time so that this source file is not itself flagged.
var EICAR = `X5O!P%@AP[4\PZX54(P^)7CC)7}$` + "EICAR-STANDARD-ANTIVIRUS-" + `TEST-FILE!$H+H*`

// EICARSignature is the name clamd reports for EICAR with StartClamd's
// database (clamd marks signatures of unofficial databases so).
const EICARSignature = "Custodia.Test.EICAR.UNOFFICIAL"

// Clamd is a real clamd started for a test, with a signature database
// the test built with sigtool (there is no network for freshclam).
type Clamd struct {
	Addr   string // as custodia's antivirus.clamd takes it: unix:/…/clamd.sock
	Socket string
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
	once   sync.Once
}

// ClamdEnv is the setting that points a gateway at c.
func (c *Clamd) ClamdEnv() string { return "CUSTODIA_ANTIVIRUS_CLAMD=" + c.Addr }

// clamdPath finds clamd, which Debian installs in /usr/sbin.
func clamdPath(t testing.TB) string {
	t.Helper()
	return findTool(t, "clamd", "apt-get install clamav clamav-daemon", "clamd", "/usr/sbin/clamd")
}

// StartClamd starts clamd in a temporary dir: its own clamd.conf (extra
// lines appended, e.g. "StreamMaxLength 1M"), its socket, and a database
// with one signature, built with sigtool, that matches EICAR anywhere in
// a file. It waits until clamd answers PING, and stops it when the test
// ends.
func StartClamd(t testing.TB, extra ...string) *Clamd {
	t.Helper()
	clamd := clamdPath(t)
	sigtool, err := exec.LookPath("sigtool")
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("sigtool is not installed, and CI is set: .ci/run must install clamav")
		}
		t.Skipf("skipping: sigtool is not installed (apt-get install clamav)")
	}
	// A Unix socket's path must fit in 108 bytes: t.TempDir() may not.
	dir, err := os.MkdirTemp("", "clamd-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	hex := exec.Command(sigtool, "--hex-dump")
	hex.Stdin = strings.NewReader(EICAR)
	sig, err := hex.Output()
	if err != nil {
		t.Fatalf("sigtool --hex-dump: %v", err)
	}
	db := fmt.Sprintf("Custodia.Test.EICAR:0:*:%s\n", bytes.TrimSpace(sig))
	if err := os.WriteFile(filepath.Join(dir, "custodia-test.ndb"), []byte(db), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &Clamd{Socket: filepath.Join(dir, "clamd.sock"), out: &syncBuffer{}, exited: make(chan struct{})}
	c.Addr = "unix:" + c.Socket
	conf := strings.Join(append([]string{
		"LocalSocket " + c.Socket, "Foreground yes", "DatabaseDirectory " + dir,
		"LogFile " + filepath.Join(dir, "clamd.log"), "PidFile " + filepath.Join(dir, "clamd.pid"),
	}, extra...), "\n") + "\n"
	confFile := filepath.Join(dir, "clamd.conf")
	if err := os.WriteFile(confFile, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	c.cmd = exec.Command(clamd, "--config-file="+confFile)
	c.cmd.Stdout, c.cmd.Stderr = c.out, c.out
	if err := c.cmd.Start(); err != nil {
		t.Fatalf("clamd: %v", err)
	}
	go func() { c.cmd.Wait(); close(c.exited) }()
	t.Cleanup(c.Stop)
	if !Poll(30*time.Second, func() bool {
		select {
		case <-c.exited:
			return true
		default:
		}
		return c.ping() == nil
	}) || c.ping() != nil {
		t.Fatalf("clamd did not answer PING within 30 s:\n%s", c.out.String())
	}
	return c
}

// ping sends PING and wants PONG.
func (c *Clamd) ping() error {
	conn, err := net.DialTimeout("unix", c.Socket, time.Second)
	if err != nil {
		return err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return err
	}
	b := make([]byte, 16)
	n, _ := conn.Read(b)
	if string(bytes.TrimRight(b[:n], "\x00")) != "PONG" {
		return fmt.Errorf("PING answered %q", b[:n])
	}
	return nil
}

// Stop stops clamd (SIGTERM, then SIGKILL after 10 s) and waits for it.
// Scans after it find nothing to connect to.
func (c *Clamd) Stop() {
	c.once.Do(func() {
		c.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-c.exited:
		case <-time.After(10 * time.Second):
			c.cmd.Process.Kill()
			<-c.exited
		}
		os.Remove(c.Socket)
	})
}

// Log is what clamd printed.
func (c *Clamd) Log() string { return c.out.String() }

package soak_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/soak"
)

// The test binary also plays the two other processes of
// TestServerDiesWithTheHarness, chosen by SOAK_PLAY: "custodia", a
// stand-in for the server (init succeeds; serve says it listens, then
// waits), and "harness", a benchmark that starts it with soak.Start and
// then hangs.
func TestMain(m *testing.M) {
	switch os.Getenv("SOAK_PLAY") {
	case "custodia":
		if len(os.Args) > 1 && os.Args[1] == "serve" {
			for _, l := range []string{"sftp", "ftp", "webdav"} {
				fmt.Fprintf(os.Stderr, "level=INFO msg=\"%s listening\" addr=127.0.0.1:1\n", l)
			}
			time.Sleep(time.Hour)
		}
		os.Exit(0)
	case "harness":
		os.Setenv("SOAK_PLAY", "custodia")
		srv, err := soak.Start(context.Background(), os.Args[0], os.Getenv("SOAK_DIR"))
		if err != nil {
			fmt.Println("error:", err)
			os.Exit(1)
		}
		fmt.Println(srv.Pid())
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestServerDiesWithTheHarness: when the process that started the server
// dies without stopping it (killed, or ended by go test's -timeout), the
// server dies too instead of running on as an orphan.
func TestServerDiesWithTheHarness(t *testing.T) {
	t.Parallel()
	harness := exec.Command(os.Args[0])
	harness.Env = append(os.Environ(), "SOAK_PLAY=harness", "SOAK_DIR="+t.TempDir())
	out, err := harness.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := harness.Start(); err != nil {
		t.Fatal(err)
	}
	defer harness.Process.Kill()
	line, err := bufio.NewReader(out).ReadString('\n')
	pid, perr := strconv.Atoi(strings.TrimSpace(line))
	if err != nil || perr != nil {
		t.Fatalf("the harness did not start the server: %q %v", line, err)
	}
	harness.Process.Kill()
	harness.Wait()
	deadline := time.Now().Add(10 * time.Second)
	for alive(pid) {
		if time.Now().After(deadline) {
			syscall.Kill(pid, syscall.SIGKILL) // the orphan this test made
			t.Fatalf("the server (pid %d) still runs 10 s after its harness was killed", pid)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// alive reports whether pid runs (a zombie waiting for its new parent to
// reap it does not).
func alive(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	_, rest, _ := strings.Cut(string(stat), ") ")
	return !strings.HasPrefix(rest, "Z")
}

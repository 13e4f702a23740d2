package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
)

// TestServeProcess is `custodia serve` in a process of its own when
// CUSTODIA_TEST_SERVE is set (TestSFTPSurvivesDescriptorExhaustion runs
// it under prlimit); otherwise it does nothing.
func TestServeProcess(t *testing.T) {
	if os.Getenv("CUSTODIA_TEST_SERVE") == "" {
		t.Skip("only as the server process of TestSFTPSurvivesDescriptorExhaustion")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	root := newRoot(os.Stdin, os.Stdout, os.Stderr, os.Environ())
	root.SetArgs([]string{"serve"})
	go func() { // the parent closes our stdin to stop us
		io.Copy(io.Discard, os.Stdin)
		cancel()
	}()
	if err := root.ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "custodia:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// TestSFTPSurvivesDescriptorExhaustion: a real `custodia serve` process,
// run with RLIMIT_NOFILE at 256 and no open-file limits of its own, is
// driven out of descriptors by one SFTP session's open handles; a client
// that connects then waits. Once the handles close, SFTP serves again
// (the waiting client and a new one log in) and /readyz is 200: the
// accept loop backed off instead of ending.
func TestSFTPSurvivesDescriptorExhaustion(t *testing.T) {
	t.Parallel()
	testkit.NeedTool(t, "prlimit")
	data := t.TempDir()
	if err := os.MkdirAll(filepath.Join(data, "files", "departments", "operaciones"), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(data, "files", "departments", "operaciones", "r.txt"), []byte("r"), 0o640); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("prlimit", "--nofile=256:256", os.Args[0], "-test.run=^TestServeProcess$")
	cmd.Env = append(os.Environ(), testkit.Env(data, "CUSTODIA_TEST_SERVE=1", "CUSTODIA_LOG_LEVEL=info",
		"CUSTODIA_FTP_LISTEN=off", "CUSTODIA_WEBDAV_LISTEN=off", "CUSTODIA_LIMITS_MAX_OPEN_FILES_PER_SESSION=0",
		"CUSTODIA_LIMITS_MAX_OPEN_FILES_PER_USER=0",
		// Logins at the real argon2id cost wait for a check as long as they
		// must: on a loaded machine the default 3 s refused them.
		"CUSTODIA_LIMITS_PASSWORD_WAIT=2m")...)
	stdin, _ := cmd.StdinPipe()
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = cmd.Stdout
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stdin.Close()
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-done
		}
	})
	var logs lockedLog
	found := map[string]string{}
	patterns := map[string]*regexp.Regexp{
		"sftp": regexp.MustCompile(`sftp listening" addr=(\S+)`), "admin": regexp.MustCompile(`admin api listening" addr=(\S+)`),
		"password": regexp.MustCompile(`with password: (\S+)`),
	}
	lines := make(chan string, 1000)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	deadline := time.After(60 * time.Second)
	for len(found) < 3 {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("the server exited:\n%s", logs.String())
			}
			logs.WriteString(l + "\n")
			for k, re := range patterns {
				if m := re.FindStringSubmatch(l); m != nil {
					found[k] = m[1]
				}
			}
		case <-deadline:
			t.Fatalf("the server did not start:\n%s", logs.String())
		}
	}
	go func() { // keep reading the log
		for l := range lines {
			logs.WriteString(l + "\n")
		}
	}()
	dial := func(timeout time.Duration) (*gosftp.Client, error) {
		conn, err := ssh.Dial("tcp", found["sftp"], &ssh.ClientConfig{User: "admin", Auth: []ssh.AuthMethod{ssh.Password(found["password"])},
			HostKeyCallback: ssh.InsecureIgnoreHostKey(), Timeout: timeout})
		if err != nil {
			return nil, err
		}
		return gosftp.NewClient(conn)
	}
	c, err := dial(10 * time.Second)
	if err != nil {
		t.Fatalf("admin cannot log in over SFTP: %v", err)
	}
	defer c.Close()
	var held []*gosftp.File
	for range 400 {
		f, err := c.Open("/departments/operaciones/r.txt")
		if err != nil {
			break
		}
		held = append(held, f)
	}
	if len(held) == 400 {
		t.Fatalf("400 handles opened under a limit of 256 descriptors")
	}
	// An open may need two descriptors: connections take what is left.
	for range 3 {
		if raw, err := net.Dial("tcp", found["sftp"]); err == nil {
			defer raw.Close()
		}
	}
	waiting := make(chan error, 1)
	go func() { // connects while the server has no descriptor to accept with
		w, err := dial(30 * time.Second)
		if err == nil {
			w.Close()
		}
		waiting <- err
	}()
	// The server fails to accept the waiting client (logged once, at
	// WARN); the checks below say whether SFTP lived through it.
	failedAccept := testkit.Poll(10*time.Second, func() bool { return strings.Contains(logs.String(), "accept failed") })
	// Ending the session gives every handle back at once: released one
	// by one, the waiting client could be accepted while the server still
	// had no descriptor for its login's store queries.
	c.Close()
	if err := <-waiting; err != nil {
		t.Errorf("the client that connected while descriptors ran out did not log in once they came back: %v", err)
	}
	n, err := dial(10 * time.Second)
	if err != nil {
		t.Fatalf("SFTP no longer serves after descriptors came back: %v\n%s", err, logs.String())
	}
	n.Close()
	resp, err := http.Get("http://" + found["admin"] + "/readyz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Errorf("/readyz answers %d after descriptors came back, want 200", resp.StatusCode)
	}
	if !failedAccept {
		t.Errorf("no accept failed with %d handles open: descriptors did not run out\n%s", len(held), logs.String())
	}
}

// lockedLog is the server's output, read while it is written.
type lockedLog struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedLog) WriteString(s string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.WriteString(s)
}

func (l *lockedLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

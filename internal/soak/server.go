// Package soak holds a gateway under many concurrent sessions for a while
// and reports what that cost it: the errors honest clients saw, the
// server's memory and file descriptors over time, and operation latency
// per protocol. The server is the real binary in its own process, so what
// /proc says about it is its own. BenchmarkSoak runs it.
package soak

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Server is a custodia process serving a temporary data dir.
type Server struct {
	Bin, DataDir string
	Env          []string // the process's environment, CUSTODIA_* settings included
	SFTP, FTP    string   // listening addresses
	DAV          string
	// Admin is the admin API's base URL ("https://127.0.0.1:port") when
	// the settings turn it on (CUSTODIA_ADMIN_LISTEN), else "".
	Admin string
	Web   string // the portal's address, when the settings turn it on (CUSTODIA_WEB_LISTEN)
	// InitOutput is what `custodia init` printed (the first admin's
	// password, on an empty store).
	InitOutput string
	log        string // the server's log file
	cmd        *exec.Cmd
	exited     chan error // receives Wait's result, then is closed
}

// Build compiles custodia into dir and returns the binary's path.
func Build(ctx context.Context, dir string) (string, error) {
	bin := filepath.Join(dir, "custodia")
	ctx, cancel := context.WithTimeout(ctx, 10*time.Minute)
	defer cancel()
	out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, "github.com/oaq/custodia/cmd/custodia").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return bin, nil
}

// listening matches the start lines that name a listener's address.
var listening = regexp.MustCompile(`msg="(sftp|ftp|webdav|web portal|admin api) listening" addr=(\S+)(?: scheme=(\S+))?`)

// Start runs `custodia init` and then `custodia serve` on dir with every
// listener on 127.0.0.1 (admin API and portal off: the portal's default,
// :8444 on every interface, would take the port from tests that bind it
// on another loopback address) and the given settings, and waits until
// SFTP, FTPS and WebDAV listen. The server's log goes to
// dir/server.log.
func Start(ctx context.Context, bin, dir string, settings ...string) (*Server, error) {
	s := &Server{Bin: bin, DataDir: filepath.Join(dir, "data"), log: filepath.Join(dir, "server.log")}
	for _, kv := range os.Environ() { // the developer's own CUSTODIA_* settings stay out
		if !strings.HasPrefix(kv, "CUSTODIA_") {
			s.Env = append(s.Env, kv)
		}
	}
	s.Env = append(s.Env, "CUSTODIA_DATA_DIR="+s.DataDir,
		"CUSTODIA_SFTP_LISTEN=127.0.0.1:0", "CUSTODIA_FTP_LISTEN=127.0.0.1:0", "CUSTODIA_WEBDAV_LISTEN=127.0.0.1:0",
		"CUSTODIA_ADMIN_LISTEN=off", "CUSTODIA_WEB_LISTEN=off", "CUSTODIA_LOG_LEVEL=info")
	s.Env = append(s.Env, settings...)
	out, err := s.CLI(ctx, "", "init")
	if err != nil {
		return nil, err
	}
	s.InitOutput = out
	if err := s.serve(); err != nil {
		return nil, err
	}
	return s, nil
}

// Restart runs `custodia serve` again on the data dir, with the same
// settings, after Stop or Kill; the log is appended to.
func (s *Server) Restart() error {
	select {
	case <-s.exited:
	default:
		return errors.New("custodia serve is still running")
	}
	s.SFTP, s.FTP, s.DAV, s.Web, s.Admin = "", "", "", "", ""
	return s.serve()
}

// serve starts `custodia serve` and waits until its listeners listen.
func (s *Server) serve() error {
	s.exited = make(chan error, 1)
	logf, err := os.OpenFile(s.log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	s.cmd = exec.Command(s.Bin, "serve")
	s.cmd.Env = s.Env
	s.cmd.SysProcAttr = orphanless()
	s.cmd.Stdout = logf
	stderr, err := s.cmd.StderrPipe()
	if err != nil {
		logf.Close()
		return err
	}
	if err := s.cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	admin, web := false, false // whether to wait for the admin API and the portal too
	for _, kv := range s.Env {
		if v, ok := strings.CutPrefix(kv, "CUSTODIA_ADMIN_LISTEN="); ok {
			admin = v != "off" && v != ""
		}
		if v, ok := strings.CutPrefix(kv, "CUSTODIA_WEB_LISTEN="); ok {
			web = v != "off" && v != ""
		}
	}
	addrs := make(chan [3]string, 8)
	exited := s.exited
	go func() {
		// Reads the log to its end (the pipe must be drained), copying it
		// to the file and passing on the listeners' addresses.
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			if m := listening.FindStringSubmatch(line); m != nil {
				addrs <- [3]string{m[1], m[2], m[3]}
			}
			io.WriteString(logf, line+"\n")
		}
		io.Copy(logf, stderr)
		close(addrs)
	}()
	cmd := s.cmd
	go func() {
		exited <- cmd.Wait()
		close(exited)
		logf.Close()
	}()
	timeout := time.After(30 * time.Second)
	for s.SFTP == "" || s.FTP == "" || s.DAV == "" || admin && s.Admin == "" || web && s.Web == "" {
		select {
		case a, ok := <-addrs:
			if !ok {
				return fmt.Errorf("custodia serve ended before listening; see %s", logf.Name())
			}
			switch a[0] {
			case "sftp":
				s.SFTP = a[1]
			case "ftp":
				s.FTP = a[1]
			case "webdav":
				s.DAV = a[1]
			case "web portal":
				s.Web = a[1]
			case "admin api":
				s.Admin = a[2] + "://" + a[1]
			}
		case <-timeout:
			s.Stop()
			return fmt.Errorf("custodia serve did not listen within 30 s; see %s", logf.Name())
		}
	}
	go func() {
		for range addrs { // drain: no more addresses are expected
		}
	}()
	return nil
}

// Pid is the server process's id.
func (s *Server) Pid() int { return s.cmd.Process.Pid }

// CLI runs a custodia command against the data dir (over the server's
// socket while it runs), with stdin as its standard input.
func (s *Server) CLI(ctx context.Context, stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, cliTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, s.Bin, args...)
	cmd.Env = s.Env
	cmd.SysProcAttr = orphanless()
	cmd.WaitDelay = 5 * time.Second
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return string(out), fmt.Errorf("custodia %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return string(out), nil
}

// cliTimeout bounds one CLI command: a hung one fails the run.
const cliTimeout = 2 * time.Minute

// orphanless has the kernel kill a child when the process that started it
// dies (PR_SET_PDEATHSIG): a benchmark killed by go test's -timeout, or by
// hand, leaves no custodia process behind holding ports and a data dir.
// The signal follows the thread that started the child; Go ends an OS
// thread only when a goroutine locked to it exits, which the harness
// never does.
func orphanless() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// Stop ends the server with SIGTERM, as an operator would, and waits up
// to 30 s before killing it.
func (s *Server) Stop() error {
	if s.cmd == nil || s.cmd.Process == nil {
		return nil
	}
	select {
	case <-s.exited: // already ended
		return nil
	default:
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case err := <-s.exited:
		return err
	case <-time.After(30 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
		return errors.New("custodia serve did not stop within 30 s of SIGTERM; killed")
	}
}

// Kill ends the server with SIGKILL, as a crash would: nothing of it
// runs after the signal. It waits until the process is gone.
func (s *Server) Kill() {
	if s.cmd == nil || s.cmd.Process == nil {
		return
	}
	s.cmd.Process.Kill()
	<-s.exited
}

// Usage is what /proc says about a process at one moment.
type Usage struct {
	RSSKiB  int64 // VmRSS: now
	HWMKiB  int64 // VmHWM: the peak since the start, or since the peak was reset (clear_refs 5)
	FDs     int   // entries of /proc/<pid>/fd
	Threads int
}

// ReadUsage reads a process's resident memory (now and its peak), open
// descriptors and threads.
func ReadUsage(pid int) (Usage, error) {
	var u Usage
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return u, err
	}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		f := strings.Fields(v)
		if len(f) == 0 {
			continue
		}
		n, _ := strconv.ParseInt(f[0], 10, 64)
		switch k {
		case "VmRSS":
			u.RSSKiB = n
		case "VmHWM":
			u.HWMKiB = n
		case "Threads":
			u.Threads = int(n)
		}
	}
	fds, err := os.ReadDir(fmt.Sprintf("/proc/%d/fd", pid))
	if err != nil {
		return u, err
	}
	u.FDs = len(fds)
	return u, nil
}

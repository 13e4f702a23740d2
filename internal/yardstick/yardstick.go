// Package yardstick runs the servers custodia is measured against, on
// loopback, as processes of their own: OpenSSH's sshd with internal-sftp
// and vsftpd with FTPS required. It also runs the standard clients
// (OpenSSH's sftp -b, curl) and reads what a server's process tree costs
// (CPU time, resident memory) from /proc. The benchmarks of gateway/sftp
// and gateway/ftp and the bench command (bench/) share it; it imports
// nothing of custodia's.
package yardstick

import (
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// ErrMissing is wrapped by the errors that name a tool that is not
// installed, or a privilege the process lacks.
var ErrMissing = errors.New("missing")

// tools maps each tool to the Debian package that installs it.
var tools = map[string]string{
	"sshd":       "openssh-server",
	"sftp":       "openssh-client",
	"ssh-keygen": "openssh-client",
	"vsftpd":     "vsftpd",
	"curl":       "curl",
}

// Need returns an error naming every tool of names that is not
// installed and the package that brings it (apt-get install …), or nil.
func Need(names ...string) error {
	var missing, pkgs []string
	for _, n := range names {
		if _, err := Look(n); err != nil {
			missing = append(missing, n)
			if p := tools[n]; p != "" && !contains(pkgs, p) {
				pkgs = append(pkgs, p)
			}
		}
	}
	if len(missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (apt-get install %s)", ErrMissing, strings.Join(missing, ", "), strings.Join(pkgs, " "))
}

// NeedRoot returns an error unless the process runs as root (sshd logs in
// as root here; vsftpd drops to a system user).
func NeedRoot(what string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: root (%s)", ErrMissing, what)
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// Look finds a tool on PATH or in /usr/sbin (not on every user's PATH).
func Look(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	p := "/usr/sbin/" + name
	if st, err := os.Stat(p); err == nil && !st.IsDir() {
		return p, nil
	}
	return "", fmt.Errorf("%w: %s", ErrMissing, name)
}

// Process is a server started by this package. The kernel kills it when
// the process that started it dies (PR_SET_PDEATHSIG), so nothing it
// starts outlives a benchmark or the bench command.
type Process struct {
	Addr   string // 127.0.0.1:port it listens on
	cmd    *exec.Cmd
	exited chan struct{}
	log    *strings.Builder
}

// Run starts cmd as a server of this package's kind (killed with the
// process that started it) and waits until each of addrs accepts
// connections, for at most 30 s. Addr is the first.
func Run(cmd *exec.Cmd, addrs ...string) (*Process, error) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	p := &Process{Addr: addrs[0], cmd: cmd, exited: make(chan struct{}), log: &log}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	go func() { cmd.Wait(); close(p.exited) }()
	waiting := addrs
	for range 300 {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("%s exited before listening: %s", cmd.Path, strings.TrimSpace(log.String()))
		default:
		}
		c, err := net.DialTimeout("tcp", waiting[0], time.Second)
		if err == nil {
			c.Close()
			if waiting = waiting[1:]; len(waiting) == 0 {
				return p, nil
			}
			continue
		}
		time.Sleep(100 * time.Millisecond)
	}
	p.Stop()
	return nil, fmt.Errorf("%s did not listen on %s within 30 s", cmd.Path, waiting[0])
}

// FreePort is a loopback port nobody listens on now (the server started
// next binds it; a race with another process is possible and shows as a
// start failure).
func FreePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// Pid is the server's (listening) process id: the root of its tree.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Stop kills the server and the sessions it forked and waits for it.
func (p *Process) Stop() {
	for _, pid := range Tree(p.Pid()) {
		syscall.Kill(pid, syscall.SIGKILL)
	}
	<-p.exited
}

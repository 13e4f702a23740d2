package testkit

import (
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

// Frontend is one TCP frontend of a test HAProxy: it listens on a free
// loopback port and balances over Backends (host:port of each gateway's
// listener), announcing each client with a PROXY header.
type Frontend struct {
	Name     string   // e.g. "sftp"; unique within one HAProxy
	Backends []string // each server's address, e.g. tg.SFTPAddr of each gateway
	// SendProxy is the server option that sends the header:
	// "send-proxy-v2" (the default) or "send-proxy" (v1).
	SendProxy string
	// Check turns health checks on, sent with a PROXY header
	// (check-send-proxy), as a gateway that trusts the proxy requires.
	Check bool
	// Balance is the algorithm, "roundrobin" by default; "source" keeps a
	// client on one server (FTP's data connections must reach the server
	// holding the control connection).
	Balance string
}

// HAProxy is Debian's haproxy, started for a test in TCP mode.
type HAProxy struct {
	Addrs  map[string]string // frontend name → the address clients dial
	Config string            // the configuration it runs
	cmd    *exec.Cmd
	out    *syncBuffer
	exited chan struct{}
	once   sync.Once
}

// haproxyPath finds haproxy, which Debian installs in /usr/sbin.
func haproxyPath(t testing.TB) string {
	t.Helper()
	return findTool(t, "haproxy", "apt-get install haproxy", "haproxy", "/usr/sbin/haproxy")
}

// StartHAProxy runs haproxy (-db: in the foreground) with one TCP
// frontend per fronts on free loopback ports, its configuration in a
// temporary dir; it waits until every frontend accepts and stops haproxy
// when the test ends (and the kernel kills it if the test process dies).
func StartHAProxy(t testing.TB, fronts ...Frontend) *HAProxy {
	t.Helper()
	bin := haproxyPath(t)
	dir := t.TempDir()
	for attempt := 0; attempt < 5; attempt++ {
		h := &HAProxy{Addrs: map[string]string{}, out: &syncBuffer{}, exited: make(chan struct{})}
		var b strings.Builder
		b.WriteString("global\n\tmaxconn 1024\n\ndefaults\n\tmode tcp\n\ttimeout connect 5s\n\ttimeout client 2m\n\ttimeout server 2m\n\ttimeout check 2s\n")
		for _, f := range fronts {
			addr := freeLoopbackAddr(t)
			h.Addrs[f.Name] = addr
			send, balance := f.SendProxy, f.Balance
			if send == "" {
				send = "send-proxy-v2"
			}
			if balance == "" {
				balance = "roundrobin"
			}
			fmt.Fprintf(&b, "\nfrontend %s\n\tbind %s\n\tdefault_backend %s_servers\n", f.Name, addr, f.Name)
			fmt.Fprintf(&b, "\nbackend %s_servers\n\tbalance %s\n", f.Name, balance)
			for i, be := range f.Backends {
				check := ""
				if f.Check {
					check = " check check-send-proxy inter 1s"
				}
				fmt.Fprintf(&b, "\tserver s%d %s %s%s\n", i, be, send, check)
			}
		}
		h.Config = b.String()
		cfg := filepath.Join(dir, "haproxy.cfg")
		if err := os.WriteFile(cfg, []byte(h.Config), 0o600); err != nil {
			t.Fatal(err)
		}
		if h.run(bin, cfg, nil) {
			t.Cleanup(h.Stop)
			return h
		}
		t.Logf("haproxy did not start (attempt %d):\n%s", attempt+1, h.out.String())
	}
	t.Fatalf("haproxy did not start")
	return nil
}

// StartHAProxyFile runs haproxy with the configuration file cfg (e.g. the
// repository's deploy/haproxy.cfg) and env added to its environment (HAProxy
// expands "${VAR}" in its configuration), waits until every address of
// listen accepts, and stops haproxy when the test ends. Addrs names the
// addresses by themselves.
func StartHAProxyFile(t testing.TB, cfg string, env []string, listen ...string) *HAProxy {
	t.Helper()
	bin := haproxyPath(t)
	text, err := os.ReadFile(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h := &HAProxy{Addrs: map[string]string{}, Config: string(text), out: &syncBuffer{}, exited: make(chan struct{})}
	for _, a := range listen {
		h.Addrs[a] = a
	}
	if !h.run(bin, cfg, env) {
		t.Fatalf("haproxy -f %s did not start:\n%s", cfg, h.out.String())
	}
	t.Cleanup(h.Stop)
	return h
}

// run starts haproxy in the foreground on cfg and reports whether every
// frontend listens within 10 s; when not, haproxy is stopped.
func (h *HAProxy) run(bin, cfg string, env []string) bool {
	h.cmd = exec.Command(bin, "-f", cfg, "-db")
	h.cmd.Env = append(os.Environ(), env...)
	h.cmd.Stdout, h.cmd.Stderr = h.out, h.out
	h.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := h.cmd.Start(); err != nil {
		fmt.Fprintf(h.out, "haproxy: %v\n", err)
		close(h.exited)
		return false
	}
	go func() { h.cmd.Wait(); close(h.exited) }()
	if h.waitListening(10 * time.Second) {
		return true
	}
	h.Stop() // lost a port to another process, or failed
	return false
}

// waitListening waits until haproxy has bound every frontend: it is
// still running and each port refuses to be bound again.
func (h *HAProxy) waitListening(limit time.Duration) bool {
	return Poll(limit, func() bool {
		select {
		case <-h.exited:
			return true
		default:
		}
		for _, a := range h.Addrs {
			l, err := net.Listen("tcp", a)
			if err == nil {
				l.Close()
				return false
			}
		}
		return true
	}) && func() bool {
		select {
		case <-h.exited:
			return false
		default:
			return true
		}
	}()
}

// Stop stops haproxy (SIGTERM, then SIGKILL after 10 s) and waits for it.
func (h *HAProxy) Stop() {
	h.once.Do(func() {
		if h.cmd.Process == nil {
			return
		}
		h.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-h.exited:
		case <-time.After(10 * time.Second):
			h.cmd.Process.Kill()
			<-h.exited
		}
	})
}

// Log is what haproxy printed.
func (h *HAProxy) Log() string { return h.out.String() }

package server

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/oaq/custodia/gateway"
)

// SocketName is the Unix socket in the data dir over which a running
// server carries out the management commands of its owner.
const SocketName = "custodia.sock"

// maxRequest bounds one management request (its arguments and stdin).
const maxRequest = 1 << 20

// Command is one management command the server runs for the CLI: its
// arguments (paths already absolute), standard input and output, and the
// operating-system account that asked ("os:NAME").
type Command struct {
	Args           []string
	Stdin          io.Reader
	Stdout, Stderr io.Writer
	Caller         string
}

// Manager runs a management command in the server process, over s's
// store, policies, files and live sessions (cmd/custodia runs its own
// command tree).
type Manager func(ctx context.Context, s *Server, c Command) error

// Request is what the CLI sends over the socket.
type Request struct {
	Args  []string `json:"args"`
	Stdin []byte   `json:"stdin,omitempty"`
}

// Reply is one line the server answers with: output as it comes, then
// one line with Done set and the command's error, if any.
type Reply struct {
	Out   []byte `json:"out,omitempty"`
	Err   []byte `json:"err,omitempty"`
	Done  bool   `json:"done,omitempty"`
	Error string `json:"error,omitempty"`
}

// startManage listens on the data dir's socket, owner-only, when the
// server was given a Manager.
func (s *Server) startManage(ctx context.Context, run Manager) error {
	if run == nil {
		return nil
	}
	p := filepath.Join(s.cfg.DataDir, SocketName)
	os.Remove(p) // a socket left by a server that died: this one holds the lock
	ln, err := net.Listen("unix", p)
	if err != nil {
		return fmt.Errorf("management socket %s: %w", p, err)
	}
	if err := os.Chmod(p, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("management socket %s: %w", p, err)
	}
	m := &manager{s: s, run: run}
	s.serve(ctx, "manage", ln, m.serve, m.conns.Shutdown)
	return nil
}

// manager serves the management socket.
type manager struct {
	s     *Server
	run   Manager
	conns gateway.Conns
}

func (m *manager) serve(ctx context.Context, ln net.Listener) error {
	ln, err := m.conns.Listen(ln)
	if err != nil {
		return nil
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			if m.conns.Closed() {
				return nil
			}
			m.s.log.Error("management socket: accept", "err", err)
			time.Sleep(100 * time.Millisecond) // an accept error never ends the listener
			continue
		}
		m.conns.Go(func() {
			defer c.Close()
			m.handle(ctx, c)
		})
	}
}

// handle runs one request from a peer running as the server's own user.
func (m *manager) handle(ctx context.Context, c net.Conn) {
	caller, err := peer(c)
	if err != nil {
		m.s.log.Warn("management socket: refused a peer", "err", err)
		return
	}
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	var req Request
	if err := json.NewDecoder(io.LimitReader(c, maxRequest)).Decode(&req); err != nil {
		m.s.log.Warn("management socket: bad request", "err", err)
		return
	}
	c.SetReadDeadline(time.Time{})
	w := &replyWriter{enc: json.NewEncoder(c)}
	err = m.run(ctx, m.s, Command{Args: req.Args, Stdin: bytes.NewReader(req.Stdin), Stdout: w.stream(false),
		Stderr: w.stream(true), Caller: caller})
	done := Reply{Done: true}
	if err != nil {
		done.Error = err.Error()
	}
	w.send(done)
}

// peer checks that the peer runs as the server's user and names it.
func peer(c net.Conn) (string, error) {
	if w, ok := c.(interface{ NetConn() net.Conn }); ok {
		c = w.NetConn()
	}
	uc, ok := c.(*net.UnixConn)
	if !ok {
		return "", errors.New("not a Unix socket")
	}
	raw, err := uc.SyscallConn()
	if err != nil {
		return "", err
	}
	var cred *unix.Ucred
	var cerr error
	if err := raw.Control(func(fd uintptr) { cred, cerr = unix.GetsockoptUcred(int(fd), unix.SOL_SOCKET, unix.SO_PEERCRED) }); err != nil {
		return "", err
	}
	if cerr != nil {
		return "", cerr
	}
	if int(cred.Uid) != os.Getuid() {
		return "", fmt.Errorf("peer uid %d is not the server's (%d)", cred.Uid, os.Getuid())
	}
	name := strconv.Itoa(int(cred.Uid))
	if u, err := user.LookupId(name); err == nil {
		name = u.Username
	}
	return "os:" + name, nil
}

// replyWriter encodes the command's output as replies, one at a time.
type replyWriter struct {
	mu  sync.Mutex
	enc *json.Encoder
}

func (w *replyWriter) send(r Reply) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.enc.Encode(r)
}

func (w *replyWriter) stream(stderr bool) io.Writer {
	return writerFunc(func(p []byte) (int, error) {
		r := Reply{Out: p}
		if stderr {
			r = Reply{Err: p}
		}
		if err := w.send(r); err != nil {
			return 0, err
		}
		return len(p), nil
	})
}

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

// Send runs a management command in the server that owns dataDir, if one
// runs: it reports false (and does nothing) when none answers on the
// socket. The command's output is copied to stdout and stderr as it
// comes; the error is the command's.
func Send(dataDir string, req Request, stdout, stderr io.Writer) (bool, error) {
	c, err := net.Dial("unix", filepath.Join(dataDir, SocketName))
	if err != nil {
		return false, nil // no server: the caller runs the command itself
	}
	defer c.Close()
	if err := json.NewEncoder(c).Encode(req); err != nil {
		return true, fmt.Errorf("management socket: %w", err)
	}
	sc := bufio.NewScanner(c)
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for sc.Scan() {
		var r Reply
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			return true, fmt.Errorf("management socket: %w", err)
		}
		stdout.Write(r.Out)
		stderr.Write(r.Err)
		if r.Done {
			if r.Error != "" {
				return true, errors.New(r.Error)
			}
			return true, nil
		}
	}
	return true, errors.New("the server closed the management socket before the command finished (see its log)")
}

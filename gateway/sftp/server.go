// Package sftp is custodia's SFTP front end: an x/crypto/ssh server that
// offers only the sftp subsystem, served by pkg/sftp's request server over
// the user's storage view.
package sftp

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
	"golang.org/x/sync/semaphore"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
)

// Options configure the SFTP server.
type Options struct {
	Core         *gateway.Core
	HostKey      ssh.Signer
	IdleTimeout  time.Duration // a connection with no traffic this long is closed
	LoginTimeout time.Duration // the SSH handshake and login must finish within it
	MaxAuthTries int           // authentication attempts per connection
	// LegacyClients also offers AES-CTR with SHA-2 MACs, for libssh2 < 1.11,
	// and ChaCha20-Poly1305 where AES-GCM is the fast cipher (ciphers.go).
	LegacyClients bool
	// WriteBudget bounds the bytes of write requests that all sessions
	// hold at once between reading them and writing them to their files
	// (pkg/sftp's WriteBudget): while others hold it all, a session uses a
	// share of its own (256 KiB) and waits for its own writes, never for
	// another session's. 0 means DefaultWriteBudget.
	WriteBudget int64
	Logger      *slog.Logger
}

// DefaultWriteBudget is the default Options.WriteBudget: twice a lone
// session's pipeline (OpenSSH's and pkg/sftp's clients send at most 2 MiB
// ahead, SSH's channel window), so one or two uploads never wait for it,
// while 20 at once hold 4 MiB of writes (and 256 KiB each of their own)
// rather than about 33 (issue 17). 8 MiB peaked 5-10 MiB higher with the
// same throughput.
const DefaultWriteBudget = 4 << 20

// Server serves SFTP.
type Server struct {
	o      Options
	config *ssh.ServerConfig
	log    *slog.Logger
	conns  gateway.Conns       // the listener, connections and their goroutines
	writes *semaphore.Weighted // Options.WriteBudget, shared by every session
}

// New returns a server.
func New(o Options) (*Server, error) {
	if o.Core == nil || o.HostKey == nil {
		return nil, errors.New("sftp: Core and HostKey are required")
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 15 * time.Minute
	}
	if o.LoginTimeout <= 0 {
		o.LoginTimeout = 30 * time.Second
	}
	if o.MaxAuthTries <= 0 {
		o.MaxAuthTries = 3
	}
	if o.WriteBudget <= 0 {
		o.WriteBudget = DefaultWriteBudget
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{o: o, log: o.Logger.With("proto", "sftp"), writes: semaphore.NewWeighted(o.WriteBudget)}
	s.config = &ssh.ServerConfig{
		Config: ssh.Config{
			KeyExchanges: []string{"mlkem768x25519-sha256", "curve25519-sha256", "curve25519-sha256@libssh.org"},
			Ciphers:      ciphers(o.LegacyClients), // ciphers.go
			MACs:         []string{"hmac-sha2-256-etm@openssh.com", "hmac-sha2-512-etm@openssh.com"},
		},
		PublicKeyAuthAlgorithms: []string{
			ssh.KeyAlgoED25519, ssh.KeyAlgoSKED25519, ssh.KeyAlgoECDSA256, ssh.KeyAlgoECDSA384,
			ssh.KeyAlgoECDSA521, ssh.KeyAlgoSKECDSA256, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSASHA512,
		},
		MaxAuthTries:  o.MaxAuthTries,
		ServerVersion: "SSH-2.0-custodia",
		// Channel windows and data received and not yet read, by all
		// connections: each channel may have 128 KiB, and those whose
		// peers keep them busy share 4 MiB more, up to 2 MiB each
		// (x/crypto/ssh's WindowLimit, third_party/crypto), so that 20
		// uploads whose writes wait for WriteBudget do not each hold a
		// full window; a lone upload keeps the whole window.
		WindowLimit: &ssh.WindowLimit{Limit: 4 << 20, Min: 128 << 10},
	}
	if o.LegacyClients {
		c := &s.config.Config
		c.MACs = append(c.MACs, "hmac-sha2-256", "hmac-sha2-512")
	}
	hostKey := o.HostKey
	if hostKey.PublicKey().Type() == ssh.KeyAlgoRSA {
		// An RSA host key signs with SHA-2 only, never ssh-rsa (SHA-1).
		as, ok := hostKey.(ssh.AlgorithmSigner)
		if !ok {
			return nil, errors.New("sftp: RSA host key cannot sign with SHA-2")
		}
		var err error
		if hostKey, err = ssh.NewSignerWithAlgorithms(as, []string{ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256}); err != nil {
			return nil, fmt.Errorf("sftp: host key: %w", err)
		}
	}
	s.config.AddHostKey(hostKey)
	return s, nil
}

// Addr returns the listening address, once Serve runs.
func (s *Server) Addr() net.Addr { return s.conns.Addr() }

// Serve accepts connections until ln fails or Shutdown is called.
// Banned addresses and connections over the core's limits are refused.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	ln, err := s.conns.Listen(s.o.Core.Listener(ln, nil))
	if err != nil {
		return nil // shut down before it started: nothing to serve
	}
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.conns.Closed() {
				return nil
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			return fmt.Errorf("sftp: accept: %w", err)
		}
		s.conns.Go(func() {
			// The session runs in a goroutine of its own, not the
			// login's: the login's deep calls (the password check, the
			// store) grow a stack to tens of KiB, which an idle session
			// would otherwise keep until the GC shrank it, a half at a
			// time.
			if serve := s.handle(ctx, c); serve != nil {
				s.conns.Go(func() {
					defer c.Close()
					serve()
				})
			} else {
				c.Close()
			}
		})
	}
}

// Shutdown stops accepting, closes every connection and waits for their
// goroutines (uploads in flight are discarded, as after a dropped link).
func (s *Server) Shutdown(ctx context.Context) error { return s.conns.Shutdown(ctx) }

// handle runs one connection's handshake and login, and returns what
// serves its channels, or nil if the login failed.
func (s *Server) handle(ctx context.Context, c net.Conn) (serve func()) {
	// What serve undoes when it ends, in reverse order; handle undoes it
	// itself if the login fails.
	var undo []func()
	defer func() {
		if serve == nil {
			slices.Reverse(undo)
			for _, f := range undo {
				f()
			}
		}
	}()
	remote := gateway.AddrOf(c.RemoteAddr())
	sid := gateway.NewSessionID()
	log := s.log.With("session", sid, "remote", remote.String())
	ctx, cancel := context.WithCancel(ctx)
	undo = append(undo, cancel)
	// The login's checks and its success reach the limits through ctx: a
	// connection whose password is being checked is not evicted, and one
	// that logged in is no longer subject to the login deadline.
	ctx = gateway.WithConn(ctx, c)

	l := &login{core: s.o.Core, ctx: ctx, remote: remote, session: sid}
	cfg := *s.config
	cfg.PasswordCallback = l.password
	cfg.PublicKeyCallback = l.publicKey

	ic := &idleConn{Conn: c, idle: s.o.IdleTimeout}
	c.SetDeadline(time.Now().Add(s.o.LoginTimeout))
	sconn, chans, reqs, err := ssh.NewServerConn(ic, &cfg)
	if err != nil {
		l.finish(nil)
		log.Debug("handshake failed", "err", err)
		return nil
	}
	undo = append(undo, func() { sconn.Close() })
	c.SetDeadline(time.Time{})
	ic.start()
	// A key login is over once the handshake succeeded: it leaves the
	// login deadline and the unauthenticated budget before finish writes
	// its audit row (a password login left them in its callback).
	if sconn.Permissions != nil && !gateway.LoggedIn(c) {
		log.Debug("login finished after the connection gave up its slot")
		return nil
	}
	u := l.finish(sconn.Permissions)
	if u == nil {
		return nil
	}
	log = log.With("user", u.Name, "role", string(u.Role))
	// A kick closes the connection: the channels end, an open upload is
	// discarded, and the client's next request fails.
	live := s.o.Core.Register(sid, u.Name, "sftp", remote, func() { c.Close() })
	undo = append(undo, live.End)
	view, err := s.o.Core.View(ctx, u, storage.Session{ID: sid, Protocol: "sftp", Remote: remote.String()})
	if err != nil {
		log.Error("view not built", "err", err)
		return nil
	}
	log.Info("session started")
	files := s.o.Core.OpenFiles(u.Name) // one count for every channel of the connection
	return func() {
		defer func() {
			log.Info("session ended")
			slices.Reverse(undo)
			for _, f := range undo {
				f()
			}
		}()
		s.channels(ctx, chans, reqs, view, files, log)
	}
}

// channels serves a logged-in connection's channels and refuses its
// global requests, until the connection ends.
func (s *Server) channels(ctx context.Context, chans <-chan ssh.NewChannel, reqs <-chan *ssh.Request,
	view *storage.View, files *gateway.FileCounter, log *slog.Logger) {
	var wg sync.WaitGroup
	defer wg.Wait()
	// A channel whose sftp subsystem runs hands its further requests
	// (they are all refused) to this loop through drain, so that they
	// need no goroutine of their own; the first such channel's are
	// refused here, any other channel's by a goroutine.
	drain, done := make(chan (<-chan *ssh.Request)), make(chan struct{})
	defer close(done) // before wg.Wait: a channel no longer hands its requests over
	var drained <-chan *ssh.Request
	for {
		// Global requests (tcpip-forward and every other) are refused
		// here rather than by a goroutine of their own: an idle session
		// holds as few goroutines as it can.
		var nc ssh.NewChannel
		select {
		case req, ok := <-reqs:
			if !ok {
				reqs = nil
			} else if req.WantReply {
				req.Reply(false, nil)
			}
			continue
		case req, ok := <-drained:
			if !ok {
				drained = nil
			} else if req.WantReply {
				req.Reply(false, nil)
			}
			continue
		case r := <-drain:
			if drained == nil {
				drained = r
			} else {
				go ssh.DiscardRequests(r)
			}
			continue
		case c, ok := <-chans:
			if !ok {
				return
			}
			nc = c
		}
		if nc.ChannelType() != "session" {
			nc.Reject(ssh.Prohibited, "only the sftp subsystem is available")
			continue
		}
		ch, creqs, err := nc.Accept()
		if err != nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.session(ctx, ch, creqs, view, files, log, func(reqs <-chan *ssh.Request) {
				select {
				case drain <- reqs:
				case <-done:
					go ssh.DiscardRequests(reqs)
				}
			})
		}()
	}
}

// maxRead is the largest read answered in one packet, advertised to
// OpenSSH's client with the write limit (limits@openssh.com, third_party/sftp):
// 255 KiB reads and writes, as OpenSSH's own sftp-server, move a file in an
// eighth of the requests, syscalls and replies of 32 KiB ones.
const maxRead = 255 << 10

// session serves one channel: it accepts only "subsystem sftp". Once the
// subsystem runs, it hands the channel's further requests to discard.
func (s *Server) session(ctx context.Context, ch ssh.Channel, reqs <-chan *ssh.Request, view *storage.View,
	files *gateway.FileCounter, log *slog.Logger, discard func(<-chan *ssh.Request)) {
	defer ch.Close()
	for req := range reqs {
		if req.Type != "subsystem" || len(req.Payload) < 4 || string(req.Payload[4:]) != "sftp" {
			log.Debug("channel request refused", "request", req.Type)
			req.Reply(false, nil)
			continue
		}
		req.Reply(true, nil)
		discard(reqs)
		h := &handlers{ctx: ctx, view: view, log: log}
		cf := countedFiles{h: h, count: files}
		rs := gosftp.NewRequestServer(ch, gosftp.Handlers{FileGet: cf, FilePut: cf, FileCmd: h, FileList: h},
			gosftp.WithRSMaxTxPacket(maxRead), gosftp.WithRSAllocator(), gosftp.WithRSWriteBudget(s.writes))
		if err := rs.Serve(); err != nil && !errors.Is(err, net.ErrClosed) && err.Error() != "EOF" {
			log.Debug("sftp session ended", "err", err)
		}
		rs.Close()
		ch.SendRequest("exit-status", false, ssh.Marshal(struct{ Status uint32 }{0}))
		return
	}
}

// idleConn closes a connection that has seen no traffic for idle: every
// read pushes the deadline further.
type idleConn struct {
	net.Conn
	idle   time.Duration
	active atomic.Bool // set once logged in; the handshake has its own deadline
}

func (c *idleConn) start() { c.active.Store(true) }

func (c *idleConn) Read(p []byte) (int, error) {
	if c.active.Load() {
		c.Conn.SetReadDeadline(time.Now().Add(c.idle))
	}
	return c.Conn.Read(p)
}

// Package ftp is custodia's FTPS front end: an ftpserverlib driver that
// translates FTP commands to the session's storage view. TLS is required
// by default for the login and for every data connection.
package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync/atomic"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/oaq/custodia/gateway"
)

// Options configure an FTP server: one per listener (explicit, implicit).
type Options struct {
	Core *gateway.Core
	// TLS is the certificate configuration (gateway.TLSConfig); nil turns
	// TLS off, which only an explicit "ftp.tls = off" should do.
	TLS *tls.Config
	// TLSRequired refuses a login before AUTH TLS and a data connection
	// without PROT P. Without it clients may choose clear text.
	TLSRequired bool
	// Implicit speaks TLS from the first byte (port 990 style).
	Implicit bool
	// PassivePorts is the inclusive range of passive data ports; zero
	// values let the system pick any free port.
	PassivePorts [2]int
	// PublicPassivePorts, when set, are the ports PASV and EPSV announce
	// for PassivePorts, in order (as many): a balancer forwards them.
	PublicPassivePorts [2]int
	// PublicHost is the IPv4 address announced in PASV replies, for NAT;
	// empty announces the address the client reached.
	PublicHost string
	// ActiveMode allows PORT/EPRT, only towards the client's own address.
	ActiveMode  bool
	IdleTimeout time.Duration // a control connection idle this long is closed
	Logger      *slog.Logger
}

// Server serves FTP on one listener.
type Server struct {
	o      Options
	driver *driver
	log    *slog.Logger
	lib    atomic.Pointer[ftpserver.FtpServer]
	// conns are the listener, the open control connections and what
	// Shutdown waits for: connected clients and open transfers.
	conns gateway.Conns
}

// New returns a server.
func New(o Options) (*Server, error) {
	if o.Core == nil {
		return nil, errors.New("ftp: Core is required")
	}
	if (o.Implicit || o.TLSRequired) && o.TLS == nil {
		return nil, errors.New("ftp: implicit or required TLS needs a certificate")
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 15 * time.Minute
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	log := o.Logger.With("proto", "ftp")
	s := &Server{o: o, log: log}
	s.driver = newDriver(s)
	return s, nil
}

// settings are ftpserverlib's settings for a listener.
func (s *Server) settings(ln net.Listener) *ftpserver.Settings {
	st := &ftpserver.Settings{
		Listener:                ln,
		PublicHost:              s.o.PublicHost,
		Banner:                  "custodia",
		IdleTimeout:             max(1, int(s.o.IdleTimeout/time.Second)),
		ConnectionTimeout:       30,
		DisableActiveMode:       !s.o.ActiveMode,
		ActiveTransferPortNon20: true,
		ActiveConnectionsCheck:  ftpserver.IPMatchRequired,
		PasvConnectionsCheck:    ftpserver.IPMatchRequired,
		DisableSite:             true,
		DisableLISTArgs:         true,
		EnableHASH:              true,
		DisableMFMT:             false,
		DisableSYST:             false,
		DefaultTransferType:     ftpserver.TransferTypeBinary,
		DisableASCIIConversion:  true,
	}
	if p := s.o.PassivePorts; p[1] > 0 {
		st.PassiveTransferPortRange = ftpserver.PortRange{Start: p[0], End: p[1]}
		if pub := s.o.PublicPassivePorts; pub[1] > 0 {
			st.PassiveTransferPortRange = ftpserver.PortMappingRange{ExposedStart: pub[0], ListenedStart: p[0], Count: p[1] - p[0] + 1}
		}
	}
	switch {
	case s.o.Implicit:
		st.TLSRequired = ftpserver.ImplicitEncryption
	case s.o.TLSRequired:
		st.TLSRequired = ftpserver.MandatoryEncryption
	default:
		st.TLSRequired = ftpserver.ClearOrEncrypted
	}
	return st
}

// Addr returns the listening address, once Serve runs.
func (s *Server) Addr() net.Addr { return s.conns.Addr() }

// Serve accepts connections until ln fails or Shutdown is called.
// Banned addresses and connections over the core's limits get a 421.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	refuse := func(c net.Conn, reason string) { fmt.Fprintf(c, "421 %s\r\n", reason) }
	if s.o.Implicit {
		refuse = nil // no clear text on a TLS port
	}
	lib := ftpserver.NewFtpServer(s.driver)
	lib.Logger = s.log
	// Known before the listener is: a Shutdown that misses it finds the
	// listener and closes it, or Serve finds Shutdown done.
	s.lib.Store(lib)
	wrapped, err := s.conns.Listen(s.o.Core.Listener(ln, refuse))
	if err != nil { // shut down before it started: nothing to serve
		return nil
	}
	if s.o.Implicit {
		wrapped = tls.NewListener(wrapped, s.o.TLS)
	}
	s.driver.ctx = ctx
	s.driver.set = s.settings(wrapped)
	err = lib.Listen()
	if s.conns.Closed() { // shut down while it started: Stop may have come first
		lib.Stop()
		ln.Close()
		return nil
	}
	if err != nil {
		return fmt.Errorf("ftp: %w", err)
	}
	if err := lib.Serve(); err != nil && !s.conns.Closed() {
		return fmt.Errorf("ftp: %w", err)
	}
	return nil
}

// Shutdown stops accepting, disconnects every client and waits for their
// transfers to end (uploads in flight are discarded, as after an ABOR).
func (s *Server) Shutdown(ctx context.Context) error {
	if lib := s.lib.Load(); lib != nil {
		lib.Stop() // closes the listener and the shared passive listeners
	}
	// Closing the sockets, not ftpserverlib's ClientContext.Close (which
	// races with the client's own goroutine), ends each session.
	return s.conns.Shutdown(ctx)
}

package ftp

import (
	"context"
	"crypto/tls"
	"errors"
	"log/slog"
	"net/netip"

	ftpserver "github.com/fclairamb/ftpserverlib"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
)

// driver is ftpserverlib's MainDriver: connections, login, TLS.
type driver struct {
	s   *Server
	ctx context.Context // the server's
	set *ftpserver.Settings
}

var (
	_ ftpserver.MainDriver                         = (*driver)(nil)
	_ ftpserver.MainDriverExtensionPostAuthMessage = (*driver)(nil)
	_ ftpserver.MainDriverExtensionQuitMessage     = (*driver)(nil)
)

func newDriver(s *Server) *driver {
	return &driver{s: s}
}

// session is what a connection carries from connect to disconnect.
type session struct {
	id     string
	remote netip.Addr
	ctx    context.Context
	cancel context.CancelFunc
	log    *slog.Logger
	user   string
	live   *gateway.LiveSession // from login to disconnect
	done   func()               // ends the server's hold on the connection
}

func sessionOf(cc ftpserver.ClientContext) *session {
	s, _ := cc.Extra().(*session)
	return s
}

// GetSettings returns the listener's settings.
func (d *driver) GetSettings() (*ftpserver.Settings, error) { return d.set, nil }

// GetTLSConfig returns the certificate configuration, unless TLS is off.
func (d *driver) GetTLSConfig() (*tls.Config, error) {
	if d.s.o.TLS == nil {
		return nil, errors.New("TLS is off on this server")
	}
	return d.s.o.TLS, nil
}

// ClientConnected starts a session and greets the client.
func (d *driver) ClientConnected(cc ftpserver.ClientContext) (string, error) {
	ctx, cancel := context.WithCancel(d.ctx)
	s := &session{id: gateway.NewSessionID(), remote: gateway.AddrOf(cc.RemoteAddr()), ctx: ctx, cancel: cancel}
	s.log = d.s.log.With("session", s.id, "remote", s.remote.String())
	s.done = d.s.conns.Hold()
	cc.SetExtra(s)
	if d.s.o.TLSRequired && !cc.HasTLSForControl() {
		return "custodia ready; send AUTH TLS before logging in", nil
	}
	return "custodia ready", nil
}

// ClientDisconnected ends the session.
func (d *driver) ClientDisconnected(cc ftpserver.ClientContext) {
	s := sessionOf(cc)
	if s == nil {
		return // ClientConnected never ran
	}
	s.cancel()
	if s.live != nil {
		s.live.End()
	}
	if s.user != "" {
		s.log.Info("session ended")
	}
	s.done()
}

// AuthUser checks a login through the shared core and builds the view.
// ftpserverlib closes the connection after a failed PASS.
func (d *driver) AuthUser(cc ftpserver.ClientContext, user, pass string) (ftpserver.ClientDriver, error) {
	s := sessionOf(cc)
	if d.s.o.TLSRequired && !cc.HasTLSForControl() {
		s.log.Debug("login before AUTH TLS refused")
		return nil, errTLSFirst
	}
	// Through ctx, the control connection is not evicted while its
	// password is checked, and leaves the login deadline and the
	// unauthenticated budget as soon as the password is good.
	ctx := gateway.WithConn(s.ctx, d.s.conns.Conn(cc.RemoteAddr()))
	u, err := d.s.o.Core.Login(ctx, gateway.Credentials{
		Username: user, Password: pass, Remote: s.remote, Protocol: "ftp", Session: s.id,
	})
	if err != nil {
		return nil, gateway.ErrLoginFailed
	}
	if s.live != nil {
		s.live.End() // a second login on the same connection
	}
	// A kick closes the control connection: ftpserverlib then ends the
	// session and closes its data connection, so a transfer in flight
	// fails (an upload is discarded).
	remote := cc.RemoteAddr()
	s.live = d.s.o.Core.Register(s.id, u.Name, "ftp", s.remote, func() { d.s.conns.CloseRemote(remote) })
	view, err := d.s.o.Core.View(s.ctx, u, storage.Session{ID: s.id, Protocol: "ftp", Remote: s.remote.String()})
	if err != nil {
		s.live.End()
		s.live = nil
		s.log.Error("view not built", "user", u.Name, "err", err)
		return nil, gateway.ErrLoginFailed
	}
	s.user = u.Name
	s.log = s.log.With("user", u.Name, "role", string(u.Role))
	s.log.Info("session started", "tls", cc.HasTLSForControl())
	return &client{ctx: s.ctx, view: view, log: s.log, track: d.s.conns.Hold, dataTLS: cc.HasTLSForTransfers}, nil
}

// PostAuthMessage is the text of the login reply: one text for every
// failure cause, as over SFTP.
func (d *driver) PostAuthMessage(_ ftpserver.ClientContext, _ string, err error) string {
	switch {
	case errors.Is(err, errTLSFirst):
		return errTLSFirst.Error()
	case err != nil:
		return "Login incorrect"
	}
	return "Logged in"
}

// QuitMessage answers QUIT.
func (d *driver) QuitMessage() string { return "Goodbye" }

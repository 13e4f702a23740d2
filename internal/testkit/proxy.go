package testkit

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"github.com/jlaffaye/ftp"
	proxyproto "github.com/pires/go-proxyproto"
	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"
)

// ProxyDialer dials a gateway as a proxy forwarding a client would: from
// the loopback address From, it sends a PROXY protocol header naming
// Client before anything else. Gateways in tests trust 127.0.0.3 as their
// proxy (ProxyEnv), so testkit's other clients, which dial from
// 127.0.0.1, stay direct clients.
type ProxyDialer struct {
	From    string         // local address, e.g. "127.0.0.3"; "": the system's choice
	Version byte           // 1 or 2; 0: no header at all
	Client  netip.AddrPort // the header's source: the client the proxy forwards
	Dest    netip.AddrPort // the header's destination; zero: the address dialed
	Local   bool           // a LOCAL header (a proxy's health check) instead
}

// TrustedProxy is the address the gateways ProxyEnv configures trust.
const TrustedProxy = "127.0.0.3"

// ProxyEnv turns the PROXY protocol on, trusting TrustedProxy.
func ProxyEnv() string { return "CUSTODIA_PROXY_PROTOCOL_TRUSTED=" + TrustedProxy }

// ViaProxy is a ProxyDialer from TrustedProxy with a v2 header naming
// client (e.g. "192.0.2.10:40001").
func ViaProxy(client string) ProxyDialer {
	return ProxyDialer{From: TrustedProxy, Version: 2, Client: netip.MustParseAddrPort(client)}
}

// Dial connects to addr and writes the header.
func (d ProxyDialer) Dial(network, addr string) (net.Conn, error) {
	return d.DialContext(context.Background(), network, addr)
}

// DialContext is Dial for net/http's Transport.
func (d ProxyDialer) DialContext(ctx context.Context, _, addr string) (net.Conn, error) {
	nd := &net.Dialer{Timeout: 5 * time.Second}
	if d.From != "" {
		nd.LocalAddr = &net.TCPAddr{IP: net.ParseIP(d.From)}
	}
	c, err := nd.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	if d.Version == 0 {
		return c, nil
	}
	dest := d.Dest
	if !dest.IsValid() {
		dest = netip.MustParseAddrPort(c.RemoteAddr().String())
	}
	h := proxyproto.HeaderProxyFromAddrs(d.Version, net.TCPAddrFromAddrPort(d.Client), net.TCPAddrFromAddrPort(dest))
	if d.Local {
		h = &proxyproto.Header{Version: d.Version, Command: proxyproto.LOCAL, TransportProtocol: proxyproto.UNSPEC}
	}
	c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	if _, err := h.WriteTo(c); err != nil {
		c.Close()
		return nil, fmt.Errorf("writing the PROXY header: %w", err)
	}
	c.SetWriteDeadline(time.Time{})
	return c, nil
}

// Through makes an HTTP client of the gateway (Web().HTTP, DAV().HTTP)
// reach addr through d, whatever host its URLs name.
func (d ProxyDialer) Through(c *http.Client, addr string) {
	c.Transport.(*http.Transport).DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		return d.DialContext(ctx, network, addr)
	}
}

// SFTPOver logs in over SSH on nc with a password and opens an SFTP
// session; the client closes nc.
func SFTPOver(nc net.Conn, user, password string) (*gosftp.Client, error) {
	nc.SetDeadline(time.Now().Add(20 * time.Second))
	cc, chans, reqs, err := ssh.NewClientConn(nc, nc.RemoteAddr().String(), &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(password)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	c, err := gosftp.NewClient(ssh.NewClient(cc, chans, reqs))
	if err != nil {
		cc.Close()
		return nil, err
	}
	return c, nil
}

// DialFTPVia logs in over explicit FTPS with the control and every data
// connection dialed through d (jlaffaye/ftp leaves a data connection
// dialed by a DialFunc in clear text: the TLS is added here).
func (tg *Gateway) DialFTPVia(d ProxyDialer, user, password string) (*ftp.ServerConn, error) {
	return tg.DialFTP(user, password, ftp.DialWithDialFunc(func(network, addr string) (net.Conn, error) {
		c, err := d.Dial(network, addr)
		if err != nil || addr == tg.FTPAddr {
			return c, err
		}
		return tls.Client(c, tg.ClientTLS()), nil
	}))
}

// RawFTPOver is RawFTPConn on a connection the test dialed (e.g. through
// a ProxyDialer).
func (tg *Gateway) RawFTPOver(conn net.Conn, implicit bool) *RawFTP {
	tg.T.Helper()
	r := &RawFTP{t: tg.T, Conn: conn, tls: tg.ClientTLS()}
	if implicit {
		r.Conn = tls.Client(conn, r.tls)
	}
	r.TP = textproto.NewConn(r.Conn)
	tg.T.Cleanup(func() { r.Conn.Close() })
	r.Conn.SetDeadline(time.Now().Add(20 * time.Second))
	if _, _, err := r.TP.ReadResponse(220); err != nil {
		tg.T.Fatalf("no FTP greeting: %v", err)
	}
	return r
}

// PassiveVia is Passive with the data connection dialed through d.
func (r *RawFTP) PassiveVia(d ProxyDialer) net.Conn {
	r.t.Helper()
	msg := r.Expect(229, "EPSV")
	open, end := strings.Index(msg, "|||"), strings.LastIndex(msg, "|")
	port, err := strconv.Atoi(msg[open+3 : end])
	if err != nil {
		r.t.Fatalf("bad EPSV reply %q", msg)
	}
	host, _, _ := net.SplitHostPort(r.Conn.RemoteAddr().String())
	dc, err := d.Dial("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
	if err != nil {
		r.t.Fatalf("data connection to port %d: %v", port, err)
	}
	dc.SetDeadline(time.Now().Add(20 * time.Second))
	return tls.Client(dc, r.tls)
}

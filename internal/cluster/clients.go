package cluster

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"time"

	"github.com/jlaffaye/ftp"
	gosftp "github.com/pkg/sftp"
	"golang.org/x/crypto/ssh"

	"github.com/oaq/custodia/internal/testkit"
)

// A Route is how a client reaches the cluster: through HAProxy (Gateway
// 0), where the balancer picks the gateway, or pinned to gateway n by
// dialing it directly from the proxy's address with a PROXY v2 header
// naming the client, as HAProxy would.
type Route struct {
	Gateway int        // 0: through HAProxy; 1–3: that gateway
	Client  netip.Addr // the client's address (Cluster.Client)
}

// ViaLB is the route of client n through HAProxy.
func (c *Cluster) ViaLB(n int) Route { return Route{Client: c.Client(n)} }

// Pinned is the route of client n to gateway g.
func (c *Cluster) Pinned(g, n int) Route { return Route{Gateway: g, Client: c.Client(n)} }

// publicPassive are the FTPS public passive ports of deploy/haproxy.cfg,
// which forwards each to its gateway passiveOffset ports down.
var publicPassive = [2]int{40000, 40299}

const passiveOffset = 10000

// dialer dials what the route says: addr is the HAProxy frontend's
// address; a pinned route dials the same port on its gateway's address.
func (c *Cluster) dialer(r Route) func(ctx context.Context, addr string) (net.Conn, error) {
	if r.Gateway == 0 {
		d := &net.Dialer{Timeout: 10 * time.Second, LocalAddr: &net.TCPAddr{IP: r.Client.AsSlice()}}
		return func(ctx context.Context, addr string) (net.Conn, error) { return d.DialContext(ctx, "tcp", addr) }
	}
	host := c.Gateways[r.Gateway-1].Host
	return func(ctx context.Context, addr string) (net.Conn, error) {
		_, p, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		// A client port of its own per connection, as a real client has.
		client := netip.AddrPortFrom(r.Client, uint16(40000+c.ports.Add(1)%20000))
		if n, err := strconv.Atoi(p); err == nil && n >= publicPassive[0] && n <= publicPassive[1] {
			p = strconv.Itoa(n - passiveOffset) // as deploy/haproxy.cfg forwards an FTPS data port
		}
		pd := testkit.ProxyDialer{From: c.Proxy(), Version: 2, Client: client,
			Dest: netip.MustParseAddrPort(addr)}
		return pd.DialContext(ctx, "tcp", net.JoinHostPort(host, p))
	}
}

// DialSFTP logs user in over SFTP by route r.
func (c *Cluster) DialSFTP(r Route, user, pass string) (*gosftp.Client, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := c.dialer(r)(ctx, c.SFTP)
	if err != nil {
		return nil, err
	}
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	cc, chans, reqs, err := ssh.NewClientConn(nc, c.SFTP, &ssh.ClientConfig{
		User: user, Auth: []ssh.AuthMethod{ssh.Password(pass)},
		HostKeyCallback: ssh.InsecureIgnoreHostKey(),
	})
	if err != nil {
		nc.Close()
		return nil, err
	}
	nc.SetDeadline(time.Time{})
	sc, err := gosftp.NewClient(ssh.NewClient(cc, chans, reqs), gosftp.UseConcurrentWrites(true))
	if err != nil {
		cc.Close()
		return nil, err
	}
	return sc, nil
}

// HostKey is the SSH host key that route r's gateway shows.
func (c *Cluster) HostKey(r Route) (ssh.PublicKey, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	nc, err := c.dialer(r)(ctx, c.SFTP)
	if err != nil {
		return nil, err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(30 * time.Second))
	var key ssh.PublicKey
	_, _, _, err = ssh.NewClientConn(nc, c.SFTP, &ssh.ClientConfig{
		User: "nobody", Auth: []ssh.AuthMethod{ssh.Password("x")},
		HostKeyCallback: func(_ string, _ net.Addr, k ssh.PublicKey) error { key = k; return nil },
	})
	if key == nil {
		return nil, fmt.Errorf("no host key: %v", err)
	}
	return key, nil
}

// DialFTPS logs user in over explicit FTPS by route r: the control and the
// passive data connections take the same route (a data connection dials
// the port PASV names, on HAProxy or on the pinned gateway).
func (c *Cluster) DialFTPS(r Route, user, pass string) (*ftp.ServerConn, error) {
	dial := c.dialer(r)
	first := true
	fc, err := ftp.Dial(c.FTP, ftp.DialWithExplicitTLS(c.TLS), ftp.DialWithShutTimeout(10*time.Second),
		ftp.DialWithTimeout(30*time.Second),
		ftp.DialWithDialFunc(func(_, addr string) (net.Conn, error) {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			nc, err := dial(ctx, addr)
			if err != nil || first {
				first = false
				return nc, err
			}
			return tls.Client(nc, c.TLS), nil // the library leaves a dialed data connection's TLS to us
		}))
	if err != nil {
		return nil, err
	}
	if err := fc.Login(user, pass); err != nil {
		fc.Quit()
		return nil, err
	}
	return fc, nil
}

// HTTPClient is a client of the WebDAV and portal frontends by route r (one
// connection at a time, kept alive).
func (c *Cluster) HTTPClient(r Route) *http.Client {
	dial := c.dialer(r)
	return &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{
		TLSClientConfig: c.TLS, MaxConnsPerHost: 1, MaxIdleConnsPerHost: 1,
		DialContext: func(ctx context.Context, _, addr string) (net.Conn, error) { return dial(ctx, addr) },
	}}
}

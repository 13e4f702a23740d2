package gateway

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"time"

	proxyproto "github.com/pires/go-proxyproto"
)

// ProxyProtocol says which peers are proxies (HAProxy, a cloud load
// balancer) that start each connection with a PROXY protocol header (v1
// or v2) naming the client they forward. Trusted empty: off, and no
// connection is expected to carry a header.
type ProxyProtocol struct {
	Trusted       []netip.Prefix // proxies' addresses
	HeaderTimeout time.Duration  // a trusted proxy's header must arrive within it; 0: 5 s
}

const defaultProxyHeaderTimeout = 5 * time.Second

func (p ProxyProtocol) withDefaults() ProxyProtocol {
	if p.HeaderTimeout <= 0 {
		p.HeaderTimeout = defaultProxyHeaderTimeout
	}
	return p
}

func (p ProxyProtocol) on() bool { return len(p.Trusted) > 0 }

// trusts reports whether a is one of the proxies.
func (p ProxyProtocol) trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, t := range p.Trusted {
		if t.Contains(a) {
			return true
		}
	}
	return false
}

// errProxyLocal is the failure of a login over a connection whose header
// was LOCAL (a proxy's own health check): it names no client, so nobody
// logs in over it. Not the client's fault: it counts towards no ban (a
// ban would be the proxy's own address).
var errProxyLocal = &LoginError{Reason: "proxy health-check connection (PROXY LOCAL): no login", busy: true}

// errProxyHeaderRefused is the read error of a connection from an
// untrusted peer that sent a PROXY header.
var errProxyHeaderRefused = errors.New("gateway: PROXY header from an untrusted address refused")

// readProxyHeader reads the header a trusted proxy sends first on raw,
// within timeout, and returns the connection as its client: RemoteAddr
// is the header's source, LocalAddr its destination (the address the
// client reached). A LOCAL header (v2's health checks, v1's UNKNOWN)
// keeps the proxy's own addresses and marks the connection local: no
// login over it.
func readProxyHeader(raw net.Conn, timeout time.Duration) (*proxyConn, error) {
	if err := raw.SetReadDeadline(time.Now().Add(timeout)); err != nil {
		return nil, err
	}
	br := bufio.NewReader(raw)
	h, err := proxyproto.Read(br)
	if err != nil {
		return nil, fmt.Errorf("PROXY header: %w", err)
	}
	if err := raw.SetReadDeadline(time.Time{}); err != nil {
		return nil, err
	}
	pc := &proxyConn{Conn: raw, br: br, remote: raw.RemoteAddr(), local: raw.LocalAddr()}
	if h.Command.IsLocal() {
		pc.isLocal = true
		return pc, nil
	}
	src, dst, ok := h.TCPAddrs()
	if !ok {
		return nil, fmt.Errorf("PROXY header: not a TCP connection (%v)", h.TransportProtocol)
	}
	pc.remote, pc.local = src, dst
	return pc, nil
}

// proxyConn is a connection a trusted proxy forwards, seen as its client's.
type proxyConn struct {
	net.Conn
	br            *bufio.Reader // holds what arrived with the header
	remote, local net.Addr
	isLocal       bool
}

func (c *proxyConn) Read(p []byte) (int, error) {
	if c.br != nil {
		if c.br.Buffered() > 0 {
			return c.br.Read(p)
		}
		c.br = nil // drained: read the socket directly from now on
	}
	return c.Conn.Read(p)
}

func (c *proxyConn) RemoteAddr() net.Addr { return c.remote }
func (c *proxyConn) LocalAddr() net.Addr  { return c.local }

// NetConn is the connection from the proxy.
func (c *proxyConn) NetConn() net.Conn { return c.Conn }

// proxyLocalCtx reports whether the connection ctx carries (WithConn)
// came with a LOCAL header.
func proxyLocalCtx(ctx context.Context) bool {
	c, _ := ctx.Value(connKey{}).(net.Conn)
	for c != nil {
		if pc, ok := c.(*proxyConn); ok {
			return pc.isLocal
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return false
		}
		c = u.NetConn()
	}
	return false
}

// The PROXY protocol's signatures: v1's line starts "PROXY ", v2's
// binary header with these 12 bytes.
var (
	proxySigV1 = []byte("PROXY ")
	proxySigV2 = []byte("\r\n\r\n\x00\r\nQUIT\n")
)

// sniffConn is a connection from an untrusted peer while the PROXY
// protocol is on: if it starts with a header, its first read fails and
// it is closed, so nobody but a proxy names a client's address. Reading
// stops as soon as the bytes cannot be a header (at most 12 are held).
type sniffConn struct {
	net.Conn
	onRefuse func()
	checked  bool
	held     []byte
}

func (c *sniffConn) Read(p []byte) (int, error) {
	if !c.checked {
		if err := c.sniff(); err != nil {
			return 0, err
		}
	}
	if len(c.held) > 0 {
		n := copy(p, c.held)
		c.held = c.held[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

func (c *sniffConn) sniff() error {
	var buf [12]byte
	n := 0
	for {
		maybe, whole := proxySignature(buf[:n])
		if whole {
			c.Conn.Close()
			if c.onRefuse != nil {
				c.onRefuse()
			}
			return errProxyHeaderRefused
		}
		if !maybe || n == len(buf) {
			c.checked, c.held = true, buf[:n:n]
			return nil
		}
		m, err := c.Conn.Read(buf[n:])
		n += m
		if err != nil {
			if n == 0 {
				return err
			}
			// Hand over what arrived; the error comes again on the next read.
			c.checked, c.held = true, buf[:n:n]
			return nil
		}
	}
}

// proxySignature reports whether b may still begin a PROXY header
// (maybe) and whether it begins with a whole signature (whole).
func proxySignature(b []byte) (maybe, whole bool) {
	for _, sig := range [][]byte{proxySigV1, proxySigV2} {
		if bytes.HasPrefix(b, sig) {
			return true, true
		}
		if bytes.HasPrefix(sig, b) {
			maybe = true
		}
	}
	return maybe, false
}

// NetConn is the connection underneath.
func (c *sniffConn) NetConn() net.Conn { return c.Conn }

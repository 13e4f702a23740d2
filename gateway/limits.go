package gateway

import (
	"net"
	"net/netip"
	"sync"
	"time"
)

// Limits bound the open connections, across every protocol; 0 is no limit.
type Limits struct {
	Total   int // connections in all
	PerAddr int // connections from one IP address
}

// limiter counts open connections.
type limiter struct {
	lim   Limits
	mu    sync.Mutex
	total int
	per   map[netip.Addr]int
}

func newLimiter(l Limits) *limiter { return &limiter{lim: l, per: make(map[netip.Addr]int)} }

// acquire counts a new connection from a, or says why it may not open.
func (l *limiter) acquire(a netip.Addr) (refusal string, ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.lim.Total > 0 && l.total >= l.lim.Total {
		return "too many connections", false
	}
	if l.lim.PerAddr > 0 && l.per[a] >= l.lim.PerAddr {
		return "too many connections from your address", false
	}
	l.total++
	l.per[a]++
	return "", true
}

func (l *limiter) release(a netip.Addr) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.total--
	if l.per[a]--; l.per[a] <= 0 {
		delete(l.per, a)
	}
}

// Listener wraps a front end's listener: a connection from a banned
// address, or over the limits, is refused before the protocol starts.
// refuse, when not nil, may write the protocol's refusal (e.g. FTP's 421)
// first; the connection is then closed.
func (c *Core) Listener(ln net.Listener, refuse func(conn net.Conn, reason string)) net.Listener {
	return &limitListener{Listener: ln, core: c, refuse: refuse}
}

type limitListener struct {
	net.Listener
	core   *Core
	refuse func(net.Conn, string)
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		a := AddrOf(conn.RemoteAddr())
		reason, ok := "service not available", false
		if !l.core.defender.Banned(a) {
			reason, ok = l.core.limits.acquire(a)
		}
		if ok {
			return &limitedConn{Conn: conn, release: func() { l.core.limits.release(a) }}, nil
		}
		l.core.log.Debug("connection refused", "remote", a.String(), "reason", reason)
		go func() {
			conn.SetWriteDeadline(time.Now().Add(time.Second))
			if l.refuse != nil {
				l.refuse(conn, reason)
			}
			conn.Close()
		}()
	}
}

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitedConn) Close() error {
	c.once.Do(c.release)
	return c.Conn.Close()
}

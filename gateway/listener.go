package gateway

import (
	"errors"
	"net"
	"sync"
	"time"
)

// Accept errors back off as net/http's do: from minAcceptDelay doubling
// to maxAcceptDelay.
const (
	minAcceptDelay = 5 * time.Millisecond
	maxAcceptDelay = time.Second
)

// Listener wraps a front end's listener: a connection from a banned
// address, or over the limits, is refused before the protocol starts, and
// one that does not log in within the login deadline is closed. refuse,
// when not nil, may write the protocol's refusal (e.g. FTP's 421) first;
// the connection is then closed.
//
// An accept error never ends the listener: out of file descriptors
// (EMFILE, ENFILE) or any other failure, Accept backs off and tries
// again, logging once per burst, until the listener is closed.
//
// With the PROXY protocol on (Options.Proxy), a connection from a trusted
// proxy is admitted by the address its header names (proxyListener).
func (c *Core) Listener(ln net.Listener, refuse func(conn net.Conn, reason string)) net.Listener {
	l := &limitListener{Listener: ln, core: c, refuse: refuse, closed: make(chan struct{})}
	if c.proxy.on() {
		return newProxyListener(l)
	}
	return l
}

type limitListener struct {
	net.Listener
	core   *Core
	refuse func(net.Conn, string)

	closeOnce sync.Once
	closed    chan struct{}
}

func (l *limitListener) Close() error {
	l.closeOnce.Do(func() { close(l.closed) })
	return l.Listener.Close()
}

func (l *limitListener) Accept() (net.Conn, error) {
	for {
		conn, err := l.acceptRaw()
		if err != nil {
			return nil, err
		}
		if lc := l.admit(conn); lc != nil {
			return lc, nil
		}
	}
}

// acceptRaw accepts the next connection, backing off on errors until the
// listener is closed.
func (l *limitListener) acceptRaw() (net.Conn, error) {
	var delay time.Duration
	var failures int
	for {
		conn, err := l.Listener.Accept()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return nil, err
			}
			if delay == 0 {
				delay = minAcceptDelay
				l.core.log.Warn("accept failed; retrying", "addr", l.Addr().String(), "err", err)
			} else {
				delay = min(2*delay, maxAcceptDelay)
			}
			failures++
			l.core.metrics.acceptError()
			select {
			case <-time.After(delay):
			case <-l.closed:
				return nil, net.ErrClosed
			}
			continue
		}
		if failures > 0 {
			l.core.log.Warn("accepting again", "addr", l.Addr().String(), "failed_accepts", failures)
		}
		return conn, nil
	}
}

// admit gives conn a slot, or refuses it (in the background) and
// returns nil.
func (l *limitListener) admit(conn net.Conn) net.Conn {
	a := AddrOf(conn.RemoteAddr())
	lim := l.core.limits
	reason := "service not available"
	if !l.core.defender.Banned(a) {
		lc := &limitedConn{Conn: conn, lim: lim}
		s, evicted, refusal := lim.acquire(AddrKey(a), lc)
		for _, v := range evicted {
			l.core.metrics.refused("evicted")
			l.core.log.Debug("unauthenticated connection dropped for a newer one", "remote", v.conn.RemoteAddr().String())
			v.conn.Close()
		}
		if s != nil {
			if d := lim.lim.LoginTimeout; d > 0 {
				lim.startDeadline(s, d)
			}
			return lc
		}
		reason = refusal
		l.core.metrics.refused("limit")
	} else {
		l.core.metrics.refused("banned")
	}
	l.core.log.Debug("connection refused", "remote", a.String(), "reason", reason)
	go func() {
		conn.SetWriteDeadline(time.Now().Add(time.Second))
		if l.refuse != nil {
			l.refuse(conn, reason)
		}
		conn.Close()
	}()
	return nil
}

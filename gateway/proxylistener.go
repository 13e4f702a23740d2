package gateway

import (
	"errors"
	"net"
	"sync"
)

// proxyListener is a limitListener with the PROXY protocol on. A
// connection from a trusted proxy must begin with a header: while it is
// read (within HeaderTimeout, in a goroutine of its own, so a slow proxy
// holds up no other connection) the connection counts as unauthenticated
// from the proxy's own address; then it is admitted, or refused, by the
// address the header names (bans, per-address limits), and that address
// is what every layer above sees as its RemoteAddr. A connection from a
// trusted proxy without a header is dropped: a misconfigured proxy must
// not make every client look like the proxy. A connection from anywhere
// else is admitted as before, and refused if it sends a header.
type proxyListener struct {
	*limitListener
	ready chan net.Conn // admitted connections, for Accept
	done  chan struct{} // closed when the accept loop ends
	err   error         // why it ended (the listener's own error: libraries look at it), set before done

	wg      sync.WaitGroup // the accept loop and the header readers
	mu      sync.Mutex
	pending map[net.Conn]struct{} // connections whose header is being read
}

func newProxyListener(l *limitListener) *proxyListener {
	p := &proxyListener{limitListener: l, ready: make(chan net.Conn), done: make(chan struct{}),
		pending: make(map[net.Conn]struct{})}
	p.wg.Add(1)
	go p.run()
	return p
}

func (p *proxyListener) Accept() (net.Conn, error) {
	select {
	case c := <-p.ready:
		return c, nil
	case <-p.done:
		return nil, p.err
	}
}

// Close stops accepting, closes the connections whose header is being
// read and waits for their goroutines.
func (p *proxyListener) Close() error {
	err := p.limitListener.Close()
	p.mu.Lock()
	for c := range p.pending {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}

func (p *proxyListener) run() {
	defer p.wg.Done()
	defer close(p.done)
	for {
		raw, err := p.acceptRaw()
		if err != nil {
			p.err = err
			return
		}
		if !p.core.proxy.trusts(AddrOf(raw.RemoteAddr())) {
			sc := &sniffConn{Conn: raw, onRefuse: func() {
				p.core.metrics.refused("proxy header")
				p.core.log.Debug("connection refused: PROXY header from an address not trusted as a proxy", "remote", raw.RemoteAddr().String())
			}}
			if c := p.admit(sc); c != nil {
				p.hand(c)
			}
			continue
		}
		p.fromProxy(raw)
	}
}

// fromProxy holds raw as one of its proxy's unauthenticated connections
// and reads its header in the background.
func (p *proxyListener) fromProxy(raw net.Conn) {
	lim := p.core.limits
	lc := &limitedConn{Conn: raw, lim: lim}
	s, evicted, refusal := lim.acquire(AddrKey(AddrOf(raw.RemoteAddr())), lc)
	for _, v := range evicted {
		p.core.metrics.refused("evicted")
		v.conn.Close()
	}
	if s == nil {
		p.core.metrics.refused("limit")
		p.core.log.Debug("proxy connection refused", "remote", raw.RemoteAddr().String(), "reason", refusal)
		raw.Close()
		return
	}
	p.mu.Lock()
	select {
	case <-p.closed:
		p.mu.Unlock()
		lc.Close()
		return
	default:
	}
	p.pending[raw] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		pc, err := readProxyHeader(raw, p.core.proxy.HeaderTimeout)
		p.mu.Lock()
		delete(p.pending, raw)
		p.mu.Unlock()
		lim.release(s) // the proxy's slot; the client's is taken by admit
		if err != nil {
			p.core.metrics.refused("proxy header")
			p.core.log.Debug("proxy connection dropped: no valid PROXY header", "remote", raw.RemoteAddr().String(), "err", err)
			raw.Close()
			return
		}
		if pc.isLocal {
			p.core.log.Debug("proxy connection with a LOCAL header (a health check): served as the proxy's own, no login", "remote", raw.RemoteAddr().String())
		}
		if c := p.admit(pc); c != nil {
			p.hand(c)
		}
	}()
}

// hand gives an admitted connection to Accept, or closes it once the
// listener is closed.
func (p *proxyListener) hand(c net.Conn) {
	select {
	case p.ready <- c:
	case <-p.closed:
		c.Close()
	}
}

// DataListener wraps a listener that ftpserverlib opens for one passive
// data connection: with the PROXY protocol on, a connection from a
// trusted proxy is read for its header (within HeaderTimeout) and seen
// as the client the header names, so the library's check that the data
// connection comes from the control connection's client compares the
// clients; a trusted proxy's connection without a valid header, or with
// a LOCAL one, is dropped and the next awaited. One from anywhere else
// is refused if it sends a header. Off: ln itself.
func (c *Core) DataListener(ln net.Listener) net.Listener {
	if !c.proxy.on() {
		return ln
	}
	return &proxyDataListener{Listener: ln, core: c}
}

type proxyDataListener struct {
	net.Listener
	core *Core
}

// Accept waits until a connection comes or the listener is closed (the
// library closes a passive listener with its transfer, or when its
// session ends).
func (l *proxyDataListener) Accept() (net.Conn, error) {
	for {
		raw, err := l.Listener.Accept()
		if err != nil {
			return nil, err
		}
		if !l.core.proxy.trusts(AddrOf(raw.RemoteAddr())) {
			return &sniffConn{Conn: raw, onRefuse: func() {
				l.core.metrics.refused("proxy header")
				l.core.log.Debug("data connection refused: PROXY header from an address not trusted as a proxy", "remote", raw.RemoteAddr().String())
			}}, nil
		}
		pc, err := readProxyHeader(raw, l.core.proxy.HeaderTimeout)
		if err == nil && pc.isLocal {
			err = errProxyLocalData
		}
		if err != nil {
			l.core.metrics.refused("proxy header")
			l.core.log.Debug("data connection dropped: no valid PROXY header", "remote", raw.RemoteAddr().String(), "err", err)
			raw.Close()
			continue
		}
		return pc, nil
	}
}

// errProxyLocalData drops a data connection whose header was LOCAL.
var errProxyLocalData = errors.New("a LOCAL header names no client to match")

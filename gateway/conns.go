package gateway

import (
	"context"
	"net"
	"sync"
)

// Conns is a front end's lifecycle: its listener, the connections it
// accepted and the goroutines that serve them. Listen wraps the listener
// so that every accepted connection is tracked until closed; Shutdown
// stops accepting, closes every connection and waits for the goroutines.
// The zero value is ready to use; a Conns serves one listener.
type Conns struct {
	mu     sync.Mutex
	ln     net.Listener
	conns  map[net.Conn]struct{}
	closed bool
	busy   int           // goroutines and holds not yet done
	idle   chan struct{} // closed when busy drops to zero; nil while nobody waits
}

// Listen returns ln wrapped: its Accept tracks each connection, and after
// Close refuses (closes) a connection it accepts and returns
// net.ErrClosed. Close closes ln. After Close, Listen closes ln and
// returns net.ErrClosed: a front end shut down before it started serves
// nothing and holds no port.
func (t *Conns) Listen(ln net.Listener) (net.Listener, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.closed {
		ln.Close()
		return nil, net.ErrClosed
	}
	t.ln = ln
	return &trackListener{Listener: ln, t: t}, nil
}

// Addr is the listener's address, nil before Listen.
func (t *Conns) Addr() net.Addr {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.ln == nil {
		return nil
	}
	return t.ln.Addr()
}

// Closed reports whether Close (or Shutdown) ran: an accept error after it
// is the listener closing, not a failure.
func (t *Conns) Closed() bool {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.closed
}

// Go runs f in a goroutine that Wait (and Shutdown) waits for.
func (t *Conns) Go(f func()) {
	done := t.Hold()
	go func() {
		defer done()
		f()
	}()
}

// Hold counts work that Wait must wait for, such as a session or a
// transfer whose start and end are callbacks, until done runs. done may
// run more than once.
func (t *Conns) Hold() (done func()) {
	t.mu.Lock()
	t.busy++
	t.mu.Unlock()
	var once sync.Once
	return func() { once.Do(t.release) }
}

func (t *Conns) release() {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.busy--
	if t.busy == 0 && t.idle != nil {
		close(t.idle)
		t.idle = nil
	}
}

// CloseRemote closes the open connection from remote, if any (a kick): the
// goroutine reading it fails and ends the session. Closing the socket, not
// a library's own session close, avoids racing that goroutine.
func (t *Conns) CloseRemote(remote net.Addr) {
	if conn := t.find(remote); conn != nil {
		conn.Close()
	}
}

// Conn returns the open connection from remote, nil when there is none,
// for front ends whose library does not hand over the connection (e.g. to
// carry it in a login's context, WithConn).
func (t *Conns) Conn(remote net.Addr) net.Conn { return t.find(remote) }

// find returns the open connection from remote, nil when there is none.
func (t *Conns) find(remote net.Addr) net.Conn {
	if remote == nil {
		return nil
	}
	want := remote.String()
	t.mu.Lock()
	defer t.mu.Unlock()
	for c := range t.conns {
		if ra := c.RemoteAddr(); ra != nil && ra.String() == want {
			return c
		}
	}
	return nil
}

// Close stops accepting: it closes the listener and every open
// connection. It does not wait; Wait does.
func (t *Conns) Close() {
	t.mu.Lock()
	t.closed = true
	ln := t.ln
	conns := make([]net.Conn, 0, len(t.conns))
	for c := range t.conns {
		conns = append(conns, c)
	}
	t.mu.Unlock()
	if ln != nil {
		ln.Close()
	}
	for _, c := range conns {
		c.Close() // untracks c, so outside the lock
	}
}

// Wait waits until every goroutine started by Go and every Hold is done,
// or ctx ends.
func (t *Conns) Wait(ctx context.Context) error {
	t.mu.Lock()
	if t.busy == 0 {
		t.mu.Unlock()
		return nil
	}
	if t.idle == nil {
		t.idle = make(chan struct{})
	}
	idle := t.idle
	t.mu.Unlock()
	select {
	case <-idle:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Shutdown closes (Close) and waits (Wait) until ctx ends.
func (t *Conns) Shutdown(ctx context.Context) error {
	t.Close()
	return t.Wait(ctx)
}

// trackListener tracks the connections it accepts.
type trackListener struct {
	net.Listener
	t *Conns
}

func (l *trackListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	tc := &trackedConn{Conn: c, t: l.t}
	l.t.mu.Lock()
	defer l.t.mu.Unlock()
	if l.t.closed {
		c.Close()
		return nil, net.ErrClosed
	}
	if l.t.conns == nil {
		l.t.conns = make(map[net.Conn]struct{})
	}
	l.t.conns[tc] = struct{}{}
	return tc, nil
}

// trackedConn leaves the tracked set when closed.
type trackedConn struct {
	net.Conn
	t *Conns
}

// NetConn is the connection underneath, as tls.Conn's NetConn (for what
// only the socket tells, e.g. a Unix peer's credentials).
func (c *trackedConn) NetConn() net.Conn { return c.Conn }

func (c *trackedConn) Close() error {
	c.t.mu.Lock()
	delete(c.t.conns, c)
	c.t.mu.Unlock()
	return c.Conn.Close()
}

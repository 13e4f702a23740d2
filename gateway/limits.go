package gateway

import (
	"log/slog"
	"net"
	"net/netip"
	"sync"
	"time"
)

// Limits bound the open connections across every protocol; 0 is no
// limit. A connection counts as unauthenticated from its accept until
// its front end reports a login (LoggedIn): those have a budget of their
// own inside Total, so connections that never log in cannot take the
// slots of clients that do. Per-address limits count an IPv6 address by
// its /64 (AddrKey).
type Limits struct {
	Total         int           // connections in all
	PerAddr       int           // connections from one address
	Unauth        int           // unauthenticated connections in all
	UnauthPerAddr int           // unauthenticated connections from one address
	LoginTimeout  time.Duration // an unauthenticated connection is closed after this long
}

// slot is one accepted connection's place in the limiter.
type slot struct {
	key      netip.Prefix
	conn     *limitedConn
	seq      uint64 // order of arrival: the oldest unauthenticated is dropped first
	unauth   bool
	checks   int // logins being checked (a password in the pool): never evicted meanwhile
	released bool
	timer    *time.Timer // the login deadline; nil once logged in or without one
}

// limiter counts open connections. When a new connection would exceed a
// budget that unauthenticated connections fill, an unauthenticated
// connection is dropped to make room (as sshd's MaxStartups drops), so a
// flood cannot keep a client out while it logs in. The victim is never a
// connection whose login is being checked (its client sent a password or
// key); among the others it is the oldest of the address holding the most
// unauthenticated connections, so an address with several goes first and
// a tie among addresses with one each drops the oldest. A budget full of
// logged-in connections, or of logins being checked, refuses the
// newcomer.
type limiter struct {
	lim Limits
	m   *metrics
	log *slog.Logger

	mu        sync.Mutex
	seq       uint64
	total     int
	per       map[netip.Prefix]int
	unauth    int
	unauthPer map[netip.Prefix][]*slot // oldest first
}

func newLimiter(l Limits) *limiter {
	return &limiter{lim: l, log: slog.New(slog.DiscardHandler), per: make(map[netip.Prefix]int),
		unauthPer: make(map[netip.Prefix][]*slot)}
}

// counts returns the open and the unauthenticated connections.
func (l *limiter) counts() (open, unauth int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.total, l.unauth
}

// acquire gives a new connection from key a slot, dropping older
// unauthenticated connections to make room (the caller closes each of
// evicted), or says why it may not open.
func (l *limiter) acquire(key netip.Prefix, c *limitedConn) (s *slot, evicted []*slot, refusal string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	over := func(n, limit int) bool { return limit > 0 && n >= limit }
	for {
		var victim *slot
		switch {
		case over(l.per[key], l.lim.PerAddr):
			if victim = l.oldest(key); victim == nil {
				return nil, evicted, "too many connections from your address"
			}
		case over(len(l.unauthPer[key]), l.lim.UnauthPerAddr):
			if victim = l.oldest(key); victim == nil {
				return nil, evicted, "too many connections from your address"
			}
		case over(l.total, l.lim.Total), over(l.unauth, l.lim.Unauth):
			if victim = l.busiest(); victim == nil {
				return nil, evicted, "too many connections"
			}
		}
		if victim == nil {
			break
		}
		l.releaseLocked(victim)
		evicted = append(evicted, victim)
	}
	l.seq++
	s = &slot{key: key, conn: c, seq: l.seq, unauth: true}
	c.slot = s
	l.total++
	l.per[key]++
	l.unauth++
	l.unauthPer[key] = append(l.unauthPer[key], s)
	return s, evicted, ""
}

// oldest is the oldest unauthenticated slot of key whose login is not
// being checked, nil when none.
func (l *limiter) oldest(key netip.Prefix) *slot {
	for _, s := range l.unauthPer[key] {
		if s.checks == 0 {
			return s
		}
	}
	return nil
}

// busiest is the oldest unauthenticated slot, not being checked, of the
// address with the most unauthenticated connections (ties: the oldest
// such slot), nil when there is none.
func (l *limiter) busiest() *slot {
	var best *slot
	bestN := 0
	for key, q := range l.unauthPer {
		s := l.oldest(key)
		if s == nil {
			continue
		}
		if len(q) > bestN || len(q) == bestN && s.seq < best.seq {
			best, bestN = s, len(q)
		}
	}
	return best
}

// checking marks the start (on) or end of a login check on s: meanwhile s
// is never evicted.
func (l *limiter) checking(s *slot, on bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if on {
		s.checks++
	} else if s.checks > 0 {
		s.checks--
	}
}

// loggedIn moves s to the main budget: it no longer counts as
// unauthenticated and its login deadline is off.
// It reports false when s was already released: the connection was
// closed, evicted or out of time before the login finished.
func (l *limiter) loggedIn(s *slot) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.released {
		return false
	}
	if s.unauth {
		l.dropUnauth(s)
	}
	return true
}

func (l *limiter) release(s *slot) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if !s.released {
		l.releaseLocked(s)
	}
}

func (l *limiter) releaseLocked(s *slot) {
	s.released = true
	l.total--
	if l.per[s.key]--; l.per[s.key] <= 0 {
		delete(l.per, s.key)
	}
	if s.unauth {
		l.dropUnauth(s)
	}
}

// dropUnauth takes s off the unauthenticated lists, with mu held.
func (l *limiter) dropUnauth(s *slot) {
	s.unauth = false
	if s.timer != nil {
		s.timer.Stop()
	}
	l.unauth--
	q := l.unauthPer[s.key]
	for i, x := range q {
		if x == s {
			q = append(q[:i:i], q[i+1:]...)
			break
		}
	}
	if len(q) == 0 {
		delete(l.unauthPer, s.key)
	} else {
		l.unauthPer[s.key] = q
	}
}

// startDeadline closes s's connection unless it logs in within d.
func (l *limiter) startDeadline(s *slot, d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if s.released || !s.unauth {
		return
	}
	s.timer = time.AfterFunc(d, func() {
		// Decided under the lock: a login that comes after the slot is
		// released here finds it released (loggedIn reports false), and
		// one that came before stopped this.
		l.mu.Lock()
		late := s.unauth && !s.released
		if late {
			l.releaseLocked(s)
		}
		l.mu.Unlock()
		if late {
			l.m.refused("login timeout")
			l.log.Debug("connection closed: no login in time", "remote", s.conn.RemoteAddr().String())
			s.conn.Close()
		}
	})
}

// LoggedIn tells the limits that the connection c (as a front end got it
// from its listener, possibly wrapped in TLS or tracking) has logged in: it
// moves to the main budget and its login deadline no longer applies. It
// reports false when c's slot was already given up (the login deadline
// passed, or c was evicted or closed); a connection that did not come
// through Core.Listener is ignored (true).
func LoggedIn(c net.Conn) bool {
	if lc := limitedOf(c); lc != nil {
		return lc.lim.loggedIn(lc.slot)
	}
	return true
}

// limitedOf finds the limiter's connection under c, nil when c did not
// come through Core.Listener.
func limitedOf(c net.Conn) *limitedConn {
	for c != nil {
		if lc, ok := c.(*limitedConn); ok {
			return lc
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			return nil
		}
		c = u.NetConn()
	}
	return nil
}

// limitedConn gives its slot back when closed.
type limitedConn struct {
	net.Conn
	lim  *limiter
	slot *slot
}

func (c *limitedConn) Close() error {
	c.lim.release(c.slot)
	return c.Conn.Close()
}

// NetConn is the connection underneath.
func (c *limitedConn) NetConn() net.Conn { return c.Conn }

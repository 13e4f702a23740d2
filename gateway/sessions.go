package gateway

import (
	"cmp"
	"context"
	"net/netip"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// SessionInfo describes a live session, as the registry lists it.
//
// BytesIn and BytesOut are the bytes the session's uploads wrote and its
// downloads read through its storage view, counted as they flow. They
// include what the server reads or writes on the session's behalf without
// it crossing the network: FTP's HASH reads the file, WebDAV's COPY reads
// the source and writes the copy, and a resumed upload (SFTP reput, FTP
// REST+STOR and APPE) counts the kept head it copies from the old file.
//
// Over a store, the list holds every live gateway's sessions: Gateway
// names the one that holds the session, and another gateway's byte
// counts and Active are as of its last heartbeat (about a second).
type SessionInfo struct {
	ID, User, Protocol string
	Remote             netip.Addr
	Started            time.Time
	BytesIn, BytesOut  int64
	Gateway            string    // the id of the gateway that holds it
	Active             time.Time // last seen moving bytes, or Started
}

// LiveSession is a front end's handle on a session in the registry: it
// counts the session's bytes and lists its transfers in flight (Core.View
// hands it to the storage view as its storage.Counter) and End takes the
// session off the list.
type LiveSession struct {
	reg      *registry
	id, user string
	protocol string
	remote   netip.Addr
	started  time.Time
	kill     func()
	in, out  atomic.Int64
	// what the heartbeat last reported of in and out, and the heartbeat
	// that last saw them move (its start until then; sessions_shared.go)
	reportedIn, reportedOut int64
	active                  atomic.Int64 // unix nanoseconds
	// the transfers in flight (transfers.go), under tmu
	tmu       sync.Mutex
	transfers map[*flow]struct{}
	// the metrics' byte counters of the protocol; nil without metrics
	inTotal, outTotal prometheus.Counter
}

// registry is the Core's table of live sessions, across protocols.
type registry struct {
	mu   sync.Mutex
	m    map[string]*LiveSession
	core *Core // whose store lists the sessions too
}

func newRegistry() *registry { return &registry{m: make(map[string]*LiveSession)} }

// Register lists a logged-in session under its session id (the one in its
// login's audit row) until End, and returns its handle. kill disconnects
// the client the way the protocol does (SFTP and FTP close the connection,
// WebDAV forgets the credential and cancels the session's requests); Kick
// runs it at most once, from another goroutine, and it must not block.
// Registering an id again replaces the earlier entry.
//
// Once listed, the account is read again: a disable or a delete that came
// between the login's check and this registration (and so found no
// session to end) ends this one now.
func (c *Core) Register(id, user, protocol string, remote netip.Addr, kill func()) *LiveSession {
	s := &LiveSession{reg: c.sessions, id: id, user: user, protocol: protocol, remote: remote.Unmap(),
		started: c.now(), kill: kill}
	s.inTotal, s.outTotal = c.metrics.sessionBytes(protocol)
	s.active.Store(s.started.UnixNano())
	c.sessions.mu.Lock()
	c.sessions.m[id] = s
	c.sessions.mu.Unlock()
	c.share(s)
	if c.st != nil {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		u, err := c.st.UserByName(ctx, user)
		if err != nil || c.admit(u, remote) != nil {
			go c.Kick(id) // kill must not run on the registering goroutine
		}
	}
	return s
}

// Sessions lists the live sessions, oldest first (then by id): this
// process's, and over a store those of every other live gateway.
func (c *Core) Sessions() []SessionInfo {
	c.sessions.mu.Lock()
	out := make([]SessionInfo, 0, len(c.sessions.m))
	for _, s := range c.sessions.m {
		out = append(out, s.info())
	}
	c.sessions.mu.Unlock()
	out = append(out, c.otherSessions(out)...)
	slices.SortFunc(out, func(a, b SessionInfo) int {
		return cmp.Or(a.Started.Compare(b.Started), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// Kick ends a live session: it leaves the list at once and its client is
// disconnected. Over SFTP and FTP the connection is closed (an upload in
// flight fails and is discarded). Over WebDAV, whose clients send their
// password with every request, "disconnected" means: the remembered
// credential is dropped, the session's requests in flight are cancelled
// and their connections cut (a PUT in flight is discarded), and the
// client's next request logs in again, as a new session. Kick reports
// false when no live session has that id.
//
// A session another gateway over the store holds leaves the list at
// once too; that gateway ends it at its next poll (KickPoll, about a
// second) the way it ends its own.
func (c *Core) Kick(id string) bool {
	c.sessions.mu.Lock()
	s := c.sessions.m[id]
	delete(c.sessions.m, id)
	c.sessions.mu.Unlock()
	if s == nil {
		return c.kickElsewhere(id)
	}
	c.unshare(id)
	if s.kill != nil {
		s.kill()
	}
	return true
}

// KickUser kicks every live session of a user (whose rights changed: a
// session keeps the rights it logged in with) and returns how many.
func (c *Core) KickUser(name string) int {
	n := 0
	for _, s := range c.Sessions() {
		if strings.EqualFold(s.User, name) && c.Kick(s.ID) {
			n++
		}
	}
	return n
}

// session returns the live session with an id, or nil.
func (c *Core) session(id string) *LiveSession {
	c.sessions.mu.Lock()
	defer c.sessions.mu.Unlock()
	return c.sessions.m[id]
}

// ID returns the session id.
func (s *LiveSession) ID() string { return s.id }

// End takes the session off the list, when it ends for any reason; it may
// be called more than once.
func (s *LiveSession) End() {
	s.reg.mu.Lock()
	mine := s.reg.m[s.id] == s
	if mine {
		delete(s.reg.m, s.id)
	}
	s.reg.mu.Unlock()
	if mine && s.reg.core != nil {
		s.reg.core.unshare(s.id)
	}
}

// CountIn adds bytes received from the client.
func (s *LiveSession) CountIn(n int64) {
	s.in.Add(n)
	if s.inTotal != nil {
		s.inTotal.Add(float64(n))
	}
}

// CountOut adds bytes sent to the client.
func (s *LiveSession) CountOut(n int64) {
	s.out.Add(n)
	if s.outTotal != nil {
		s.outTotal.Add(float64(n))
	}
}

func (s *LiveSession) info() SessionInfo {
	return SessionInfo{ID: s.id, User: s.user, Protocol: s.protocol, Remote: s.remote, Started: s.started,
		BytesIn: s.in.Load(), BytesOut: s.out.Load(), Gateway: s.reg.gateway(), Active: time.Unix(0, s.active.Load()).UTC()}
}

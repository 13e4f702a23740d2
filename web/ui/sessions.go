package ui

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/oaq/custodia/gateway"
)

// Sessions live in the store (NewSharedSessions, sessions_shared.go), so
// that every gateway over it knows them and a restart logs no browser
// out; or, without a store, in this process's memory. The browser holds
// only a random secret (the cookie); the table is keyed by its sha256,
// so a lookup compares no secret byte by byte, and the store keeps only
// the sha256. A session is bound to the address it logged in from: a
// request with its cookie from elsewhere finds no session and logs in
// again.
const (
	maxSessions = 10000
	// SweepInterval is how often Sweep ends expired sessions, so that
	// they leave the registry even when no request comes.
	SweepInterval = 30 * time.Second
	// SharedSweepInterval is how often Sweep looks, over a store, for
	// the sessions ended on other gateways.
	SharedSweepInterval = 2 * time.Second
)

// Cookie names a front end's session cookie. The login form's token
// cookie is named Name+"-login", with the same Path and Secure.
type Cookie struct {
	// Name: "__Host-…" needs Secure and Path "/"; "__Secure-…" needs
	// Secure; a plain name is for plain HTTP on loopback only.
	Name string
	Path string // "/" for the whole origin, "/admin/" for one subtree
	// Secure: the browser sends the cookie over HTTPS only. Required
	// whenever the front end is served over TLS.
	Secure bool
}

func (c Cookie) set(w http.ResponseWriter, name, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: c.Path, MaxAge: maxAge, HttpOnly: true,
		Secure: c.Secure, SameSite: http.SameSiteStrictMode})
}

// Session is one browser's login. Its fields never change.
type Session struct {
	ID     string // the session id of audit rows and the registry (not the cookie)
	User   string
	Hash   string // the stored password hash the login was checked against
	CSRF   string // the token every form of this session carries
	Remote netip.Addr
	Start  time.Time

	key  [32]byte // sha256 of the cookie
	live *gateway.LiveSession
	// ctx is the session's lifetime as its requests see it: a kick or a
	// logout cancels it, and with it the requests in flight.
	ctx    context.Context
	cancel context.CancelFunc

	used time.Time // guarded by Sessions.mu
}

// Context ends when the session ends (logout, kick, timeout); bind a
// request to it with gateway.BindSession.
func (s *Session) Context() context.Context { return s.ctx }

// Sessions is a front end's table of live sessions.
type Sessions struct {
	cookie    Cookie
	idle, max time.Duration
	mu        sync.Mutex
	m         map[[32]byte]*Session
	shared    *shared // nil: the sessions live in this process's memory only
}

// NewSessions returns an empty table whose sessions end after idle
// unused, or max after their login, whichever comes first.
func NewSessions(c Cookie, idle, max time.Duration) *Sessions {
	return &Sessions{cookie: c, idle: idle, max: max, m: map[[32]byte]*Session{}}
}

// RandomToken returns n random bytes, base64url.
func RandomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func keyOf(cookie string) [32]byte { return sha256.Sum256([]byte(cookie)) }

// expired reports, with mu held, whether s outlived its idle or absolute
// timeout at now.
func (t *Sessions) expired(s *Session, now time.Time) bool {
	return now.Sub(s.used) > t.idle || now.Sub(s.Start) > t.max
}

// Open starts a session for a user who just logged in (id is the login's
// session id), lists it in the core's registry (where a kick ends it)
// and gives the browser its cookie. When the table is full, expired
// sessions go first, then the least recently used one.
func (t *Sessions) Open(w http.ResponseWriter, core *gateway.Core, id, protocol, user, hash string, remote netip.Addr) *Session {
	s, cookie := t.create(id, user, hash, remote, time.Now())
	t.store(s)
	live := core.Register(id, user, protocol, remote, func() { t.End(s) })
	t.setLive(s, live)
	t.cookie.set(w, t.cookie.Name, cookie, 0)
	return s
}

func (t *Sessions) create(id, user, hash string, remote netip.Addr, now time.Time) (*Session, string) {
	cookie := RandomToken(32)
	ctx, cancel := context.WithCancel(context.Background())
	s := &Session{key: keyOf(cookie), ID: id, User: user, Hash: hash, CSRF: RandomToken(32), Remote: remote,
		Start: now, used: now, ctx: ctx, cancel: cancel}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxSessions {
		t.sweepLocked(now)
	}
	if len(t.m) >= maxSessions {
		var oldest *Session
		for _, o := range t.m {
			if oldest == nil || o.used.Before(oldest.used) {
				oldest = o
			}
		}
		t.endLocked(oldest)
	}
	t.m[s.key] = s
	return s, cookie
}

// Lookup returns the live session a request's cookie names, from the
// address it logged in from, and marks it used; nil when there is none.
func (t *Sessions) Lookup(r *http.Request, remote netip.Addr, now time.Time) *Session {
	c, err := r.Cookie(t.cookie.Name)
	if err != nil || c.Value == "" {
		return nil
	}
	if t.shared != nil {
		return t.lookupShared(keyOf(c.Value), remote, now)
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	s := t.m[keyOf(c.Value)]
	if s == nil {
		return nil
	}
	if t.expired(s, now) {
		t.endLocked(s)
		return nil
	}
	if s.Remote != remote {
		return nil
	}
	s.used = now
	return s
}

// End ends a session: logout, kick, a failed re-check (on every
// gateway, when they share a store).
func (t *Sessions) End(s *Session) {
	t.unstore(s)
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLocked(s)
}

func (t *Sessions) endLocked(s *Session) {
	if t.m[s.key] == s {
		delete(t.m, s.key)
	}
	s.cancel()
	if s.live != nil {
		s.live.End()
	}
}

// setLive records a session's registry handle; a session kicked before
// it was set (Register may kick at once) is ended here.
func (t *Sessions) setLive(s *Session, live *gateway.LiveSession) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s.live = live
	if s.ctx.Err() != nil {
		live.End()
	}
}

func (t *Sessions) sweepLocked(now time.Time) {
	for _, s := range t.m {
		if t.expired(s, now) {
			t.endLocked(s)
		}
	}
}

// Sweep ends expired sessions every d, so that they leave the registry
// even when no request comes, until stop closes or ctx ends.
//
// Over a store it sweeps every SharedSweepInterval (or d, when shorter),
// so that a session ended on another gateway ends here soon, with its
// requests in flight, even when no request comes.
func (t *Sessions) Sweep(ctx context.Context, stop <-chan struct{}, d time.Duration) {
	if t.shared != nil {
		d = min(d, SharedSweepInterval)
	}
	tk := time.NewTicker(d)
	defer tk.Stop()
	for {
		select {
		case now := <-tk.C:
			if t.shared != nil {
				t.sweepShared(ctx, now)
				continue
			}
			t.mu.Lock()
			t.sweepLocked(now)
			t.mu.Unlock()
		case <-stop:
			return
		case <-ctx.Done():
			return
		}
	}
}

// EndAll ends every session, at shutdown: in this process (over a store,
// the other gateways go on serving them).
func (t *Sessions) EndAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.m {
		t.endLocked(s)
	}
}

// ClearCookie removes the session cookie from the browser.
func (t *Sessions) ClearCookie(w http.ResponseWriter) { t.cookie.set(w, t.cookie.Name, "", -1) }

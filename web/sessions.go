package web

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

// Portal sessions live in this process's memory: a restart logs every
// browser out, and several gateways behind one name need a sticky load
// balancer. The browser holds only a random secret (the cookie); the
// table is keyed by its sha256, so a lookup compares no secret byte by
// byte. A session is bound to the address it logged in from: a request
// with its cookie from elsewhere finds no session and logs in again.
const (
	// CookieName is the session cookie: __Host- makes browsers refuse it
	// unless it is Secure, for Path=/ and without a Domain.
	CookieName  = "__Host-custodia"
	maxSessions = 10000
	sweepEvery  = 30 * time.Second
)

// session is one browser's login.
type session struct {
	key    [32]byte // sha256 of the cookie
	id     string   // the session id of audit rows and the registry (not the cookie)
	user   string
	hash   string // the stored password hash the login was checked against
	csrf   string // the token every form of this session carries
	remote netip.Addr
	start  time.Time
	live   *gateway.LiveSession
	// ctx is the session's lifetime as its requests see it: a kick or a
	// logout cancels it, and with it the requests in flight.
	ctx    context.Context
	cancel context.CancelFunc

	used time.Time // guarded by sessions.mu
}

// sessions is the table of live portal sessions.
type sessions struct {
	idle, max time.Duration
	mu        sync.Mutex
	m         map[[32]byte]*session
}

func newSessions(idle, max time.Duration) *sessions {
	return &sessions{idle: idle, max: max, m: map[[32]byte]*session{}}
}

// randomToken returns n random bytes, base64url.
func randomToken(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func keyOf(cookie string) [32]byte { return sha256.Sum256([]byte(cookie)) }

// expired reports, with mu held, whether s outlived its idle or absolute
// timeout at now.
func (t *sessions) expired(s *session, now time.Time) bool {
	return now.Sub(s.used) > t.idle || now.Sub(s.start) > t.max
}

// create adds a session for a user who just logged in and returns it
// with the cookie value that names it. When the table is full, expired
// sessions go first, then the least recently used one.
func (t *sessions) create(id, user, hash string, remote netip.Addr, now time.Time) (*session, string) {
	cookie := randomToken(32)
	ctx, cancel := context.WithCancel(context.Background())
	s := &session{key: keyOf(cookie), id: id, user: user, hash: hash, csrf: randomToken(32), remote: remote,
		start: now, used: now, ctx: ctx, cancel: cancel}
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.m) >= maxSessions {
		t.sweepLocked(now)
	}
	if len(t.m) >= maxSessions {
		var oldest *session
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

// lookup returns the live session a request's cookie names, from the
// address it logged in from, and marks it used; nil when there is none.
func (t *sessions) lookup(r *http.Request, remote netip.Addr, now time.Time) *session {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil
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
	if s.remote != remote {
		return nil
	}
	s.used = now
	return s
}

// end ends a session: logout, kick, a failed re-check.
func (t *sessions) end(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.endLocked(s)
}

func (t *sessions) endLocked(s *session) {
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
func (t *sessions) setLive(s *session, live *gateway.LiveSession) {
	t.mu.Lock()
	defer t.mu.Unlock()
	s.live = live
	if s.ctx.Err() != nil {
		live.End()
	}
}

func (t *sessions) sweepLocked(now time.Time) {
	for _, s := range t.m {
		if t.expired(s, now) {
			t.endLocked(s)
		}
	}
}

// sweepEvery ends expired sessions every d, so that they leave the
// registry even when no request comes, until stop closes or ctx ends.
func (t *sessions) sweepEvery(ctx context.Context, stop <-chan struct{}, d time.Duration) {
	tk := time.NewTicker(d)
	defer tk.Stop()
	for {
		select {
		case now := <-tk.C:
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

// endAll ends every session, at shutdown.
func (t *sessions) endAll() {
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, s := range t.m {
		t.endLocked(s)
	}
}

// setCookie gives the browser its session cookie: never readable by
// script, sent only over HTTPS and only with requests from this site.
// It lives as long as the browser runs; the server ends it before.
func setCookie(w http.ResponseWriter, value string) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: value, Path: "/", HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode})
}

// clearCookie removes the session cookie.
func clearCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, Secure: true,
		SameSite: http.SameSiteStrictMode})
}

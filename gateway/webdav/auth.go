package webdav

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"net/http"
	"net/netip"
	"sync"
	"time"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/store"
)

// WebDAV clients send the password with every request; an argon2id check
// each time would cost tens of milliseconds per request (Explorer sends
// dozens to open a folder). A password verified once is remembered, as a
// keyed hash, for credTTL after its last use; every request still
// re-checks the account (status, expiry, allowed addresses, ban) and that
// the stored password has not changed.
//
// A remembered credential is the WebDAV session: its login is audited with
// the session id, and it is listed in the core's session registry from
// that login until it is forgotten (credTTL without a request, a failed
// re-check, a kick, or the server's shutdown). Kicking it forgets it and
// cancels its requests in flight; the client's next request logs in again,
// as a new session.
const (
	credTTL    = 5 * time.Minute
	maxCredits = 10000
	sweepEvery = 15 * time.Second // how often expired credentials are forgotten
)

// credential is a verified username and password from one address: the
// session they opened.
type credential struct {
	key  [32]byte
	user string
	hash string               // the stored hash it was verified against
	live *gateway.LiveSession // set by credCache.add, read with its mu held or after
	// ctx is the session's lifetime as its requests see it: each request's
	// context is bound to it (gateway.BindSession), and a kick cancels it.
	ctx    context.Context
	cancel context.CancelFunc

	// Guarded by credCache.mu.
	used   time.Time // the start or end of the last request
	active int       // requests in flight
	cached bool      // remembered: in credCache.m
	kicked bool
}

// expired reports, with credCache.mu held, whether cr outlived credTTL:
// a credential with requests in flight (a long upload) never does.
func (cr *credential) expired(now time.Time) bool {
	return cr.active == 0 && now.Sub(cr.used) > credTTL
}

type credCache struct {
	key [32]byte
	mu  sync.Mutex
	m   map[[32]byte]*credential
}

func newCredCache() *credCache {
	c := &credCache{m: map[[32]byte]*credential{}}
	rand.Read(c.key[:])
	return c
}

// id keys a credential by user, password and address: a session used from
// a new address logs in (and is audited) again.
func (c *credCache) id(user, password string, remote netip.Addr) [32]byte {
	mac := hmac.New(sha256.New, c.key[:])
	mac.Write([]byte(user))
	mac.Write([]byte{0})
	mac.Write([]byte(password))
	mac.Write([]byte{0})
	mac.Write(remote.AsSlice())
	var k [32]byte
	copy(k[:], mac.Sum(nil))
	return k
}

// acquire returns the remembered credential with key k, counting a
// request in flight until release; nil when there is none or it expired.
func (c *credCache) acquire(k [32]byte, now time.Time) *credential {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr := c.m[k]
	if cr == nil {
		return nil
	}
	if cr.expired(now) {
		c.forget(cr)
		return nil
	}
	cr.active++
	cr.used = now
	return cr
}

// add remembers a credential that just logged in, with its first request
// in flight, and its session's handle. When the cache is full of live
// sessions it is not remembered: its session ends with that request and
// the next one logs in again. The handle is set here, under mu, because
// the registry may kick the session before Register has even returned it
// (the account changed, or could not be read, since the password check).
func (c *credCache) add(cr *credential, live *gateway.LiveSession, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr.live = live
	cr.active++
	cr.used = now
	if cr.kicked {
		return // kicked before it was ever remembered
	}
	if old := c.m[cr.key]; old != nil {
		c.forget(old) // a concurrent login with the same credential
	}
	if len(c.m) >= maxCredits {
		c.sweepLocked(now)
		if len(c.m) >= maxCredits {
			return
		}
	}
	c.m[cr.key] = cr
	cr.cached = true
}

// release ends a request of cr; a forgotten credential's session ends
// with its last request.
func (c *credCache) release(cr *credential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr.active--
	cr.used = time.Now()
	if !cr.cached && cr.active == 0 {
		cr.live.End()
	}
}

// drop forgets a credential that no longer logs in (the account or the
// password changed).
func (c *credCache) drop(cr *credential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.forget(cr)
}

// kick forgets a credential and cancels its requests in flight: the
// registry's kill function of a WebDAV session.
func (c *credCache) kick(cr *credential) {
	c.mu.Lock()
	cr.kicked = true
	c.forget(cr)
	c.mu.Unlock()
	cr.cancel()
}

// sweep forgets the expired credentials, so that their sessions leave the
// registry even when no request comes to notice.
func (c *credCache) sweep(now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sweepLocked(now)
}

func (c *credCache) sweepLocked(now time.Time) {
	for _, cr := range c.m {
		if cr.expired(now) {
			c.forget(cr)
		}
	}
}

// forgetAll forgets every credential, at shutdown.
func (c *credCache) forgetAll() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, cr := range c.m {
		c.forget(cr)
	}
}

// forget takes cr out of the cache, with mu held; its session ends now,
// or with its last request in flight.
func (c *credCache) forget(cr *credential) {
	if c.m[cr.key] == cr {
		delete(c.m, cr.key)
	}
	cr.cached = false
	if cr.active == 0 && cr.live != nil { // nil: kicked before add
		cr.live.End()
	}
}

// login authenticates a request's Basic credentials and returns the user
// and the credential with the request counted in flight: the caller
// releases it. It answers 401 itself and returns nil, nil when they are
// missing or wrong.
func (s *Server) login(w http.ResponseWriter, r *http.Request, remote netip.Addr) (*store.User, *credential) {
	name, password, hasAuth := r.BasicAuth()
	if !hasAuth || name == "" {
		challenge(w)
		return nil, nil
	}
	ctx := r.Context()
	k := s.creds.id(name, password, remote)
	if cr := s.creds.acquire(k, time.Now()); cr != nil {
		u, err := s.o.Core.Reverify(ctx, cr.user, cr.hash, remote)
		if err == nil {
			return u, cr
		}
		s.creds.drop(cr) // log in again: the outcome is recorded there
		s.creds.release(cr)
	}
	session := gateway.NewSessionID()
	u, err := s.o.Core.Login(ctx, gateway.Credentials{
		Username: name, Password: password, Remote: remote, Protocol: protocol, Session: session,
	})
	if err != nil {
		challenge(w)
		return nil, nil
	}
	sctx, cancel := context.WithCancel(context.Background())
	cr := &credential{key: k, user: u.Name, hash: u.PasswordHash, ctx: sctx, cancel: cancel}
	live := s.o.Core.Register(session, u.Name, protocol, remote, func() { s.creds.kick(cr) })
	s.creds.add(cr, live, time.Now())
	return u, cr
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="custodia", charset="UTF-8"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
}

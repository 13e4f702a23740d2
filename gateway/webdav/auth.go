package webdav

import (
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
const (
	credTTL    = 5 * time.Minute
	maxCredits = 10000
)

// credential is a verified username and password: the session they opened.
type credential struct {
	user    string
	hash    string // the stored hash it was verified against
	session string
	used    time.Time
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

func (c *credCache) get(k [32]byte, now time.Time) *credential {
	c.mu.Lock()
	defer c.mu.Unlock()
	cr := c.m[k]
	if cr == nil || now.Sub(cr.used) > credTTL {
		delete(c.m, k)
		return nil
	}
	cr.used = now
	return cr
}

func (c *credCache) put(k [32]byte, cr *credential) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCredits {
		for id, old := range c.m {
			if cr.used.Sub(old.used) > credTTL {
				delete(c.m, id)
			}
		}
		if len(c.m) >= maxCredits {
			return // full of live sessions: the next request logs in again
		}
	}
	c.m[k] = cr
}

func (c *credCache) drop(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}

// login authenticates a request's Basic credentials. It answers 401
// itself and returns ok=false when they are missing or wrong.
func (s *Server) login(w http.ResponseWriter, r *http.Request, remote netip.Addr) (u *store.User, session string, ok bool) {
	name, password, hasAuth := r.BasicAuth()
	if !hasAuth || name == "" {
		challenge(w)
		return nil, "", false
	}
	ctx := r.Context()
	now := time.Now()
	k := s.creds.id(name, password, remote)
	if cr := s.creds.get(k, now); cr != nil {
		u, err := s.o.Core.Reverify(ctx, cr.user, cr.hash, remote)
		if err == nil {
			return u, cr.session, true
		}
		s.creds.drop(k) // log in again: the outcome is recorded there
	}
	session = gateway.NewSessionID()
	u, err := s.o.Core.Login(ctx, gateway.Credentials{
		Username: name, Password: password, Remote: remote, Protocol: protocol, Session: session,
	})
	if err != nil {
		challenge(w)
		return nil, "", false
	}
	s.creds.put(k, &credential{user: u.Name, hash: u.PasswordHash, session: session, used: now})
	return u, session, true
}

func challenge(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Basic realm="custodia", charset="UTF-8"`)
	http.Error(w, "authentication required", http.StatusUnauthorized)
}

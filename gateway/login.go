// Package gateway holds what the protocol front ends share: login (with
// the defender that bans repeated failures), connection limits, the
// construction of each session's storage view, and the registry of live
// sessions (Sessions, Kick).
package gateway

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// ErrLoginFailed is the only login error a client ever sees, whatever the
// cause: unknown user, wrong password or key, disabled, expired, address
// not allowed, banned.
var ErrLoginFailed = errors.New("authentication failed")

// LoginError carries the cause of a failed login, for the audit log.
type LoginError struct {
	Reason string
	// busy: no password was checked, because every check slot stayed
	// busy or the request ended while it waited. Such a failure is
	// audited but does not count towards a ban: the credentials may be
	// right, and a flood from elsewhere must not get a good address
	// banned.
	busy bool
}

func (e *LoginError) Error() string { return ErrLoginFailed.Error() + ": " + e.Reason }

// Is makes errors.Is(err, ErrLoginFailed) true.
func (e *LoginError) Is(target error) bool { return target == ErrLoginFailed }

func failed(reason string) error { return &LoginError{Reason: reason} }

// checkFailed is the failure of a login whose password check could not
// run (errHashBusy), or reason when it ran (err nil).
func checkFailed(reason string, err error) error {
	if errors.Is(err, errHashBusy) {
		return &LoginError{Reason: reason + " (" + err.Error() + ")", busy: true}
	}
	return failed(reason)
}

// Credentials is one login attempt: a password or a public key.
type Credentials struct {
	Username  string
	Password  string
	PublicKey []byte // SSH wire format, when logging in with a key
	Remote    netip.Addr
	Protocol  string
	Session   string
	// Confirm, when not empty, names the action a person confirms with
	// their own password rather than logging in (a manager's approval:
	// "backup.restore.approve"). Record audits such a check as an "auth"
	// row whose target is that action, and it is not the account's last
	// login; a failure counts towards a ban like a failed login.
	Confirm string
}

// Options configure a Core.
type Options struct {
	Store     *store.Store
	Files     *storage.Files
	Decider   storage.Decider
	Defender  *Defender
	Limits    Limits
	Hashes    HashPoolOptions // the bound on concurrent password checks
	OpenFiles OpenFileLimits  // open files per session and per user
	Proxy     ProxyProtocol   // PROXY protocol headers from trusted proxies; zero: off
	Logger    *slog.Logger
	Metrics   prometheus.Registerer // nil: no metrics
	// Shared configures the registry of live sessions over Store, which
	// every gateway over the store lists and kicks (sessions_shared.go).
	Shared SharedOptions
}

// Core is the login, view construction and session registry every front
// end calls.
type Core struct {
	st       *store.Store
	files    *storage.Files
	decider  storage.Decider
	defender *Defender
	limits   *limiter
	hashes   *hashPool
	opens    *openFiles
	sessions *registry
	metrics  *metrics
	proxy    ProxyProtocol
	log      *slog.Logger
	now      func() time.Time
	dummy    string // hash checked for unknown users, so timing tells nothing
	gw       gatewayID
}

// New returns the shared core.
func New(o Options) (*Core, error) {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Core{st: o.Store, files: o.Files, decider: o.Decider, defender: o.Defender,
		limits: newLimiter(o.Limits), sessions: newRegistry(), proxy: o.Proxy.withDefaults(), log: o.Logger, now: time.Now, dummy: dummyHash()}
	c.sessions.core = c
	if err := c.startShared(o.Shared); err != nil {
		return nil, err
	}
	c.hashes = newHashPool(o.Hashes, nil)
	c.opens = newOpenFiles(o.OpenFiles)
	c.metrics = newMetrics(o.Metrics, c)
	c.hashes.m, c.limits.m, c.opens.m = c.metrics, c.metrics, c.metrics
	c.limits.log = o.Logger
	return c, nil
}

// Authenticate checks credentials without recording anything. SSH asks
// about keys before the client proves it holds them, so the SFTP front
// end records the outcome itself, once the handshake is over.
//
// While it runs, the connection ctx carries (WithConn) is not evicted
// for a newcomer: its client is waiting for the answer.
func (c *Core) Authenticate(ctx context.Context, cr Credentials) (*store.User, error) {
	defer checkingCtx(ctx)()
	if proxyLocalCtx(ctx) {
		return nil, errProxyLocal
	}
	if c.defender.Banned(cr.Remote) {
		return nil, failed("address banned by the defender")
	}
	u, err := c.st.UserByName(ctx, cr.Username)
	if err != nil {
		var busy error
		if cr.PublicKey == nil {
			_, busy = c.hashes.verify(ctx, c.dummy, cr.Password) // spend the same time as for a real user
		}
		if errors.Is(err, store.ErrNotFound) {
			// A busy pool is told apart here too, so that the defender
			// treats known and unknown names alike.
			return nil, checkFailed("unknown user", busy)
		}
		return nil, failed("store error: " + err.Error())
	}
	if cr.PublicKey != nil {
		if err := c.checkKey(ctx, u, cr.PublicKey); err != nil {
			return nil, err
		}
	} else {
		if u.PasswordHash == "" {
			_, busy := c.hashes.verify(ctx, c.dummy, cr.Password)
			return nil, checkFailed("user has no password", busy)
		}
		ok, err := c.hashes.verify(ctx, u.PasswordHash, cr.Password)
		if errors.Is(err, errHashBusy) {
			return nil, checkFailed("password not checked", err)
		}
		if err != nil {
			return nil, failed("stored hash unusable: " + err.Error())
		}
		if !ok {
			return nil, failed("wrong password")
		}
	}
	return u, c.admit(u, cr.Remote)
}

// Reverify re-admits a user whose password was verified earlier, without
// the argon2id work, for protocols that send the password with every
// request (WebDAV's Basic). It fails, like a login, when the address is
// banned, the account is no longer admitted, or the password changed since
// (hash is the stored hash the earlier check succeeded against).
func (c *Core) Reverify(ctx context.Context, name, hash string, remote netip.Addr) (*store.User, error) {
	if proxyLocalCtx(ctx) {
		return nil, errProxyLocal
	}
	if c.defender.Banned(remote) {
		return nil, failed("address banned by the defender")
	}
	u, err := c.st.UserByName(ctx, name)
	if err != nil {
		return nil, failed("store error: " + err.Error())
	}
	if subtle.ConstantTimeCompare([]byte(u.PasswordHash), []byte(hash)) != 1 {
		return nil, failed("password changed")
	}
	if err := c.admit(u, remote); err != nil {
		return nil, err
	}
	if !loggedInCtx(ctx) {
		return nil, errLoginTooLate
	}
	return u, nil
}

func (c *Core) checkKey(ctx context.Context, u *store.User, wire []byte) error {
	keys, err := c.st.KeysOf(ctx, u.ID)
	if err != nil {
		return failed("store error: " + err.Error())
	}
	match := 0
	for _, k := range keys {
		stored, err := ParseAuthorizedKey(k.PublicKey)
		if err != nil {
			continue
		}
		match |= subtle.ConstantTimeCompare(stored.Marshal(), wire)
	}
	if match != 1 {
		return failed("unknown key")
	}
	return nil
}

// Admit applies the account rules (status, expiry, allowed addresses) to
// a user already authenticated, e.g. by an admin API token, at every
// request.
func (c *Core) Admit(u *store.User, remote netip.Addr) error { return c.admit(u, remote) }

// admit applies the account rules that hold whatever the credential.
func (c *Core) admit(u *store.User, remote netip.Addr) error {
	if u.Status != store.StatusActive {
		return failed("account " + string(u.Status))
	}
	if u.ExpiresAt != nil && !c.now().Before(*u.ExpiresAt) {
		return failed("account expired")
	}
	if len(u.AllowedCIDRs) > 0 {
		for _, p := range u.AllowedCIDRs {
			if p.Contains(remote.Unmap()) {
				return nil
			}
		}
		return failed(fmt.Sprintf("address %s not allowed", remote))
	}
	return nil
}

// Record audits a login's outcome (or, with cr.Confirm, a password
// check's); a failure also counts towards a ban, unless no password could
// be checked (the pool was busy, or the request ended while it waited).
func (c *Core) Record(ctx context.Context, cr Credentials, u *store.User, loginErr error) {
	e := store.AuditEntry{
		Session: cr.Session, User: cr.Username, Protocol: cr.Protocol, Action: "login", Result: store.ResultOK,
	}
	if cr.Confirm != "" {
		e.Action, e.Target = "auth", cr.Confirm
	}
	if cr.Remote.IsValid() { // the command line has no address
		e.Remote = cr.Remote.String()
	}
	if u != nil {
		e.User, e.Role = u.Name, u.Role
	}
	if cr.PublicKey != nil {
		e.Reason = "public key"
	} else {
		e.Reason = "password"
	}
	if loginErr != nil {
		e.Result = store.ResultFailed
		var le *LoginError
		counts := true
		if errors.As(loginErr, &le) {
			e.Reason += ": " + le.Reason
			counts = !le.busy
		}
		if counts && c.defender.Fail(cr.Remote) {
			e.Reason += "; address banned"
		}
	} else if cr.Confirm == "" {
		if err := c.st.TouchLogin(ctx, u.Name); err != nil {
			c.log.Warn("login time not recorded", "user", u.Name, "err", err)
		}
	}
	if err := c.st.Audit(context.WithoutCancel(ctx), e); err != nil {
		c.log.Error("login not audited", "user", cr.Username, "action", e.Action, "err", err)
	}
	if cr.Confirm == "" {
		c.metrics.login(cr.Protocol, e.Result)
	}
	c.log.Debug(e.Action, "user", cr.Username, "proto", cr.Protocol, "remote", cr.Remote, "session", cr.Session,
		"result", e.Result, "reason", e.Reason)
}

// Confirm checks the password a person types again to sign an action
// (cr.Confirm, required), with the checks of a login (defender, hash
// pool, account rules), and records the outcome as that action's "auth"
// row: every approval by password (admin API, command line, portal)
// goes through here.
func (c *Core) Confirm(ctx context.Context, cr Credentials) (*store.User, error) {
	if cr.Confirm == "" {
		return nil, errors.New("gateway: a password confirmation names the action it confirms")
	}
	u, err := c.Authenticate(ctx, cr)
	c.Record(ctx, cr, u, err)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// errLoginTooLate is the failure of a login whose connection was closed
// (login deadline, eviction) while its credentials were checked: not
// the client's fault, so it counts towards no ban.
var errLoginTooLate = &LoginError{Reason: "connection closed before the login finished", busy: true}

// Login authenticates and records the outcome: for passwords, and for
// any protocol where a key is proven before it is checked. The connection
// ctx carries (WithConn) is marked logged in as soon as the credentials
// are good, before the outcome is written, so that neither the login
// deadline nor an eviction closes it while the store is slow.
func (c *Core) Login(ctx context.Context, cr Credentials) (*store.User, error) {
	u, err := c.Authenticate(ctx, cr)
	if err == nil && !loggedInCtx(ctx) {
		u, err = nil, errLoginTooLate
	}
	c.Record(ctx, cr, u, err)
	if err != nil {
		return nil, err
	}
	return u, nil
}

// View builds the storage view of a logged-in user's session. When the
// session is registered (Register), the view counts its bytes there.
func (c *Core) View(ctx context.Context, u *store.User, s storage.Session) (*storage.View, error) {
	var all []string
	if u.Role == store.RolePublisher {
		clients, err := c.st.ListClients(ctx)
		if err != nil {
			return nil, err
		}
		for _, cl := range clients {
			all = append(all, cl.ID)
		}
	}
	o := storage.ViewOptions{User: u, AllClients: all, Files: c.files, Decider: c.decider, Auditor: c.st, Session: s}
	if c.metrics != nil {
		o.Auditor = countedAuditor{Auditor: c.st, m: c.metrics}
		o.Decider = timedDecider{Decider: c.decider, h: c.metrics.decide}
	}
	if live := c.session(s.ID); live != nil {
		o.Counter = live
	}
	return storage.NewView(ctx, o)
}

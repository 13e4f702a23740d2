package webdav

import (
	"context"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"github.com/oaq/custodia/storage"
)

const (
	// maxLockTime caps a lock's timeout: a client asking for an infinite
	// or a longer lock gets this one, so an abandoned lock never outlives
	// a day's work. Clients refresh locks they still hold.
	maxLockTime = time.Hour
	// maxLocksPerUser bounds what one user can put in the shared table.
	maxLocksPerUser = 1000
	// pruneEvery is how often expired tokens are swept from the owners.
	pruneEvery = time.Minute
)

// locks is the one lock table of the server, shared by every user, so
// colleagues who open the same document through their mapped drives see
// each other's locks. It is keyed by storage path: the same virtual path
// names different folders for different roles, and the same folder has
// different virtual paths (an admin's /departments/operaciones is a
// staff member's /operaciones). A token is bound to the user who took the
// lock: x/net/webdav's tokens are a counter, easy to guess, so a token
// alone must not let another user write or unlock.
type locks struct {
	ls webdav.LockSystem

	mu        sync.Mutex
	owners    map[string]lockOwner // token → who holds it
	perUser   map[string]int       // live tokens per user
	nextPrune time.Time
}

type lockOwner struct {
	user    string
	root    string // the virtual path the user locked, for their replies
	expires time.Time
}

func newLocks() *locks {
	return &locks{ls: webdav.NewMemLS(), owners: map[string]lockOwner{}, perUser: map[string]int{}}
}

// owner returns who holds a live token.
func (l *locks) owner(token string, now time.Time) (lockOwner, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.owners[token]
	if ok && now.After(o.expires) {
		l.forgetLocked(token)
		return lockOwner{}, false
	}
	return o, ok
}

// admit reports whether user may take one more lock.
func (l *locks) admit(user string, now time.Time) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.After(l.nextPrune) {
		for t, o := range l.owners {
			if now.After(o.expires) {
				l.forgetLocked(t)
			}
		}
		l.nextPrune = now.Add(pruneEvery)
	}
	return l.perUser[user] < maxLocksPerUser
}

func (l *locks) record(token string, o lockOwner) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if _, ok := l.owners[token]; !ok {
		l.perUser[o.user]++
	}
	l.owners[token] = o
}

func (l *locks) forget(token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.forgetLocked(token)
}

func (l *locks) forgetLocked(token string) {
	o, ok := l.owners[token]
	if !ok {
		return
	}
	delete(l.owners, token)
	if l.perUser[o.user]--; l.perUser[o.user] <= 0 {
		delete(l.perUser, o.user)
	}
}

func capDuration(d time.Duration) time.Duration {
	if d < 0 || d > maxLockTime {
		return maxLockTime
	}
	return d
}

// forRequest is the lock system of one request by user: src and dst are
// the virtual paths the request changes ("" for none; COPY does not lock
// its source).
func (l *locks) forRequest(ctx context.Context, user string, v *storage.View, src, dst string) webdav.LockSystem {
	return userLocks{l: l, user: user, ctx: ctx, view: v, src: src, dst: dst}
}

type userLocks struct {
	l        *locks
	user     string
	ctx      context.Context
	view     *storage.View
	src, dst string
}

// key is the lock table's key for a virtual path: its storage path.
func (u userLocks) key(vpath string) string {
	if vpath == "" {
		return ""
	}
	sp, err := u.view.StoragePath(vpath)
	if err != nil {
		return vpath // not in the view: it names nothing the table holds
	}
	return sp
}

// Confirm checks the request's own resources, whatever resource an If
// header's tagged list names (x/net/webdav would confirm the tag's path
// instead). A token condition must name a lock the user holds; negated
// token conditions grant nothing; ETag conditions, which x/net/webdav's
// table ignores, are evaluated here.
func (u userLocks) Confirm(now time.Time, _, _ string, conditions ...webdav.Condition) (func(), error) {
	name := u.src
	if name == "" {
		name = u.dst
	}
	var claims []webdav.Condition
	for _, c := range conditions {
		switch {
		case c.ETag != "":
			if (u.etag(name) == c.ETag) == c.Not {
				return nil, webdav.ErrConfirmationFailed
			}
		case c.Not:
			// (Not <token>) may hold, but never claims a lock.
		default:
			if o, ok := u.l.owner(c.Token, now); !ok || o.user != u.user {
				return nil, webdav.ErrConfirmationFailed
			}
			claims = append(claims, c)
		}
	}
	return u.l.ls.Confirm(now, u.key(u.src), u.key(u.dst), claims...)
}

// etag is the resource's current ETag, "" when it does not exist.
func (u userLocks) etag(name string) string {
	fi, err := u.view.Stat(u.ctx, name)
	if err != nil {
		return ""
	}
	tag, _ := fileInfo{fi}.ETag(u.ctx)
	return tag
}

func (u userLocks) Create(now time.Time, details webdav.LockDetails) (string, error) {
	if !u.l.admit(u.user, now) {
		return "", webdav.ErrLocked
	}
	root := details.Root
	details.Root = u.key(root)
	details.Duration = capDuration(details.Duration)
	token, err := u.l.ls.Create(now, details)
	if err == nil {
		u.l.record(token, lockOwner{user: u.user, root: root, expires: now.Add(details.Duration)})
	}
	return token, err
}

func (u userLocks) Refresh(now time.Time, token string, duration time.Duration) (webdav.LockDetails, error) {
	o, ok := u.l.owner(token, now)
	if !ok || o.user != u.user {
		return webdav.LockDetails{}, webdav.ErrNoSuchLock
	}
	duration = capDuration(duration)
	ld, err := u.l.ls.Refresh(now, token, duration)
	if err == nil {
		o.expires = now.Add(duration)
		u.l.record(token, o)
		ld.Root = o.root
	}
	return ld, err
}

func (u userLocks) Unlock(now time.Time, token string) error {
	o, ok := u.l.owner(token, now)
	if !ok {
		return webdav.ErrNoSuchLock
	}
	if o.user != u.user {
		return webdav.ErrForbidden
	}
	err := u.l.ls.Unlock(now, token)
	if err == nil {
		u.l.forget(token)
	}
	return err
}

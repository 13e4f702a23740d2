package webdav

import (
	"context"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"github.com/oaq/custodia/storage"
)

// maxLockTime caps a lock's timeout: a client asking for an infinite or a
// longer lock gets this one, so an abandoned lock never outlives a day's
// work. Clients refresh locks they still hold.
const maxLockTime = time.Hour

// locks is the one lock table of the server, shared by every user, so
// colleagues who open the same document through their mapped drives see
// each other's locks. A token is bound to the user who took the lock:
// tokens are visible to anyone who may list the file (lockdiscovery), so
// a token alone must not let another user write or unlock.
type locks struct {
	ls webdav.LockSystem

	mu     sync.Mutex
	owners map[string]lockOwner // token → who holds it, until when
}

type lockOwner struct {
	user    string
	expires time.Time
}

func newLocks() *locks {
	return &locks{ls: webdav.NewMemLS(), owners: map[string]lockOwner{}}
}

// forRequest is the lock system one user's request sees; ETag conditions
// are checked against the request's view.
func (l *locks) forRequest(ctx context.Context, user string, v *storage.View) webdav.LockSystem {
	return userLocks{l: l, user: user, ctx: ctx, view: v}
}

// owns reports whether user holds token; it forgets expired tokens.
func (l *locks) owns(user, token string, now time.Time) bool {
	holder, ok := l.holder(token, now)
	return ok && holder == user
}

// holder returns who holds a live token.
func (l *locks) holder(token string, now time.Time) (string, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	o, ok := l.owners[token]
	if ok && now.After(o.expires) {
		delete(l.owners, token)
		return "", false
	}
	return o.user, ok
}

func (l *locks) record(token, user string, expires time.Time, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for t, o := range l.owners {
		if now.After(o.expires) {
			delete(l.owners, t)
		}
	}
	l.owners[token] = lockOwner{user: user, expires: expires}
}

func (l *locks) forget(token string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	delete(l.owners, token)
}

func capDuration(d time.Duration) time.Duration {
	if d < 0 || d > maxLockTime {
		return maxLockTime
	}
	return d
}

type userLocks struct {
	l    *locks
	user string
	ctx  context.Context
	view *storage.View
}

// Confirm refuses a condition that names another user's token, and
// evaluates the ETag conditions that x/net/webdav's lock system ignores;
// the rest is the shared lock table's.
func (u userLocks) Confirm(now time.Time, name0, name1 string, conditions ...webdav.Condition) (func(), error) {
	name := name0
	if name == "" {
		name = name1
	}
	for _, c := range conditions {
		if c.Token != "" && !c.Not && !u.l.owns(u.user, c.Token, now) {
			return nil, webdav.ErrConfirmationFailed
		}
		if c.ETag != "" && (u.etag(name) == c.ETag) == c.Not {
			return nil, webdav.ErrConfirmationFailed
		}
	}
	var tokens []webdav.Condition
	for _, c := range conditions {
		if c.ETag == "" {
			tokens = append(tokens, c)
		}
	}
	return u.l.ls.Confirm(now, name0, name1, tokens...)
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
	details.Duration = capDuration(details.Duration)
	token, err := u.l.ls.Create(now, details)
	if err == nil {
		u.l.record(token, u.user, now.Add(details.Duration), now)
	}
	return token, err
}

func (u userLocks) Refresh(now time.Time, token string, duration time.Duration) (webdav.LockDetails, error) {
	if !u.l.owns(u.user, token, now) {
		return webdav.LockDetails{}, webdav.ErrNoSuchLock
	}
	duration = capDuration(duration)
	ld, err := u.l.ls.Refresh(now, token, duration)
	if err == nil {
		u.l.record(token, u.user, now.Add(duration), now)
	}
	return ld, err
}

func (u userLocks) Unlock(now time.Time, token string) error {
	if holder, ok := u.l.holder(token, now); ok && holder != u.user {
		return webdav.ErrForbidden
	}
	err := u.l.ls.Unlock(now, token)
	if err == nil {
		u.l.forget(token)
	}
	return err
}

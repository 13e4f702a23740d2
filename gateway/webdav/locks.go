package webdav

import (
	"context"
	"errors"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/webdav"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

const (
	// maxLockTime caps a lock's timeout: a client asking for an infinite
	// or a longer lock gets this one, so an abandoned lock never outlives
	// a day's work. Clients refresh locks they still hold.
	maxLockTime = time.Hour
	// maxLocksPerUser bounds what one user can put in the shared table.
	maxLocksPerUser = 1000
	// tempWait bounds how long a request waits for another request here
	// that changes the same resource (two MKCOLs of one folder from a
	// client's parallel transfers, two PUTs of one file) before it is
	// answered 423 Locked.
	tempWait = 30 * time.Second
)

// locks is the one lock table of all the gateways that share the store,
// shared by every user, so colleagues who open the same document through
// their mapped drives (through any gateway) see each other's locks. It is
// keyed by storage path: the same virtual path names different folders
// for different roles, and the same folder has different virtual paths
// (an admin's /departments/operaciones is a staff member's /operaciones).
// A token is random and bound to the user who took the lock, so a token
// alone does not let another user write or unlock.
//
// A request that changes a resource and names no lock (no If header)
// takes a lock of its own for its duration, as x/net/webdav does: that
// one is held in this gateway only (temp), after checking the store for a
// conflicting lock; a LOCK holds one there too while it writes its lock
// to the store, so the two never pass each other here. (Between gateways
// a LOCK may begin while such a request, begun before it, still writes.)
// Such a lock is the gateway's own serialisation, not a client's: a
// request that meets one waits for it (up to wait), as it would wait for
// a file system's lock; only a client's lock, in the store, is 423 at once.
type locks struct {
	st   *store.Store
	temp webdav.LockSystem
	wait time.Duration

	mu    sync.Mutex
	held  map[string]bool // store tokens a request here is confirmed under, for its duration
	freed chan struct{}   // closed, and replaced, whenever a lock in temp is released
}

func newLocks(st *store.Store) *locks {
	return &locks{st: st, temp: webdav.NewMemLS(), wait: tempWait, held: map[string]bool{}, freed: make(chan struct{})}
}

// takeTemp takes a lock in temp, waiting while another request here holds
// a conflicting one, until it is released, ctx ends or l.wait has passed;
// with wait false it does not wait (a request that holds a lock already:
// MOVE a→b and MOVE b→a would each hold one and wait for the other's).
func (l *locks) takeTemp(ctx context.Context, details webdav.LockDetails, wait bool) (string, error) {
	if !wait {
		return l.temp.Create(time.Now(), details)
	}
	deadline := time.NewTimer(l.wait)
	defer deadline.Stop()
	for {
		l.mu.Lock()
		freed := l.freed // taken before trying, so a release in between is not missed
		l.mu.Unlock()
		tok, err := l.temp.Create(time.Now(), details)
		if !errors.Is(err, webdav.ErrLocked) {
			return tok, err
		}
		select {
		case <-freed:
		case <-deadline.C:
			return "", webdav.ErrLocked
		case <-ctx.Done():
			return "", ctx.Err()
		}
	}
}

// releaseTemp releases a lock in temp and wakes the requests waiting.
func (l *locks) releaseTemp(tok string) error {
	err := l.temp.Unlock(time.Now(), tok)
	l.mu.Lock()
	close(l.freed)
	l.freed = make(chan struct{})
	l.mu.Unlock()
	return err
}

func capDuration(d time.Duration) time.Duration {
	if d < 0 || d > maxLockTime {
		return maxLockTime
	}
	return d
}

// forRequest is the lock system of one request by user: src and dst are
// the virtual paths the request changes ("" for none; COPY does not lock
// its source); lock is true for a LOCK request, whose Create takes a lock
// for the client.
func (l *locks) forRequest(ctx context.Context, user string, v *storage.View, src, dst string, lock bool) webdav.LockSystem {
	return &userLocks{l: l, user: user, ctx: ctx, view: v, src: src, dst: dst, lock: lock, temps: map[string]bool{}}
}

type userLocks struct {
	l        *locks
	user     string
	ctx      context.Context
	view     *storage.View
	src, dst string
	lock     bool
	temps    map[string]bool // the request's own locks (in temp); one request is one goroutine
}

// key is the lock table's key for a virtual path: its storage path.
func (u *userLocks) key(vpath string) string {
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
// instead). A token condition must name a live lock the user holds;
// negated token conditions grant nothing; ETag conditions, which
// x/net/webdav's table ignores, are evaluated here. Each resource must be
// covered by one of the claimed locks (the lock's root, or below a
// depth-infinity lock), not one another request here is confirmed under.
func (u *userLocks) Confirm(now time.Time, _, _ string, conditions ...webdav.Condition) (func(), error) {
	name := u.src
	if name == "" {
		name = u.dst
	}
	var claims []store.DAVLock
	for _, c := range conditions {
		switch {
		case c.ETag != "":
			if (u.etag(name) == c.ETag) == c.Not {
				return nil, webdav.ErrConfirmationFailed
			}
		case c.Not:
			// (Not <token>) may hold, but never claims a lock.
		default:
			l, err := u.l.st.DAVLockByToken(u.ctx, c.Token, now)
			if errors.Is(err, store.ErrNotFound) || err == nil && l.User != u.user {
				return nil, webdav.ErrConfirmationFailed
			}
			if err != nil {
				return nil, err
			}
			claims = append(claims, l)
		}
	}
	u.l.mu.Lock()
	defer u.l.mu.Unlock()
	var hold []string
	for _, vpath := range []string{u.src, u.dst} {
		if vpath == "" {
			continue
		}
		tok := coveredBy(u.key(vpath), claims, u.l.held)
		if tok == "" {
			return nil, webdav.ErrConfirmationFailed
		}
		if len(hold) == 0 || hold[0] != tok {
			hold = append(hold, tok)
		}
	}
	for _, t := range hold {
		u.l.held[t] = true
	}
	return func() {
		u.l.mu.Lock()
		defer u.l.mu.Unlock()
		for _, t := range hold {
			delete(u.l.held, t)
		}
	}, nil
}

// coveredBy is the token of the first claimed lock not held that covers
// key, "" for none.
func coveredBy(key string, claims []store.DAVLock, held map[string]bool) string {
	for _, l := range claims {
		if held[l.Token] {
			continue
		}
		if key == l.Root || !l.ZeroDepth && (l.Root == "/" || strings.HasPrefix(key, l.Root+"/")) {
			return l.Token
		}
	}
	return ""
}

// etag is the resource's current ETag, "" when it does not exist.
func (u *userLocks) etag(name string) string {
	fi, err := u.view.Stat(u.ctx, name)
	if err != nil {
		return ""
	}
	tag, _ := fileInfo{fi}.ETag(u.ctx)
	return tag
}

// Create takes a LOCK's lock in the store, or a request's own lock here.
func (u *userLocks) Create(now time.Time, details webdav.LockDetails) (string, error) {
	root := details.Root
	details.Root = u.key(root)
	details.Duration = capDuration(details.Duration)
	tok, err := u.l.takeTemp(u.ctx, details, len(u.temps) == 0)
	if err != nil {
		return "", err
	}
	if !u.lock {
		busy, err := u.l.st.DAVLockConflicts(u.ctx, details.Root, details.ZeroDepth, now)
		if err != nil || busy {
			u.l.releaseTemp(tok)
			if err != nil {
				return "", err
			}
			return "", webdav.ErrLocked
		}
		u.temps[tok] = true
		return tok, nil
	}
	defer u.l.releaseTemp(tok)
	l, err := u.l.st.CreateDAVLock(u.ctx, store.DAVLock{Root: details.Root, VRoot: root, User: u.user,
		ZeroDepth: details.ZeroDepth, OwnerXML: details.OwnerXML}, now, details.Duration, maxLocksPerUser)
	if errors.Is(err, store.ErrDAVLocked) {
		return "", webdav.ErrLocked
	}
	if err != nil {
		return "", err
	}
	return l.Token, nil
}

func (u *userLocks) Refresh(now time.Time, token string, duration time.Duration) (webdav.LockDetails, error) {
	duration = capDuration(duration)
	l, err := u.l.st.RefreshDAVLock(u.ctx, token, u.user, now, duration)
	if errors.Is(err, store.ErrNotFound) {
		return webdav.LockDetails{}, webdav.ErrNoSuchLock
	}
	if err != nil {
		return webdav.LockDetails{}, err
	}
	return webdav.LockDetails{Root: l.VRoot, Duration: duration, OwnerXML: l.OwnerXML, ZeroDepth: l.ZeroDepth}, nil
}

func (u *userLocks) Unlock(now time.Time, token string) error {
	if u.temps[token] {
		delete(u.temps, token)
		return u.l.releaseTemp(token)
	}
	l, err := u.l.st.DAVLockByToken(u.ctx, token, now)
	if errors.Is(err, store.ErrNotFound) {
		return webdav.ErrNoSuchLock
	}
	if err != nil {
		return err
	}
	if l.User != u.user {
		return webdav.ErrForbidden
	}
	return u.l.st.DeleteDAVLock(u.ctx, token)
}

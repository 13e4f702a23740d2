package storage

import (
	"context"
	"errors"
	"path"
	"strings"
	"sync"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

// TreeCopy is a copy of a folder that appears whole or not at all
// (WebDAV's COPY of a collection). Its folders and files are made in a
// staging folder in files/.incoming, each authorized and written as at
// its final name (uploads, with their pending notes); Commit renames the
// staging folder into place and only then writes the audit rows and
// events; Abort removes it. A crash leaves the staging folder in
// .incoming, which the next start removes (OpenFiles), and the pending
// notes, which it settles as never completed (Files.Reconcile).
type TreeCopy struct {
	v     *View
	dst   target // the folder made, at its final name
	stage string // its staging folder, inside .incoming

	mu     sync.Mutex
	dirs   []target // folders made, dst first, audited at Commit
	placed []stagedUpload
	closed bool
	// What the staged uploads will be charged once the copy is in place:
	// all to the copier (used), and to the client account of each one's
	// folder (clients, with a storage path of that account in clientAt).
	// The store charges them only at Commit, so the quota checks of the
	// copy's uploads and of Commit add these to the accounts' usage.
	used     store.Usage
	clients  map[string]store.Usage
	clientAt map[string]string
}

// stagedUpload is an upload in the staging folder: its pending note and
// the audit row it gets once the copy is in place.
type stagedUpload struct {
	id    int64
	entry store.AuditEntry
}

// BeginCopy starts an all-or-nothing copy into dst, a new folder: its
// folder must exist and be visible, and the user must be allowed to make
// it.
func (v *View) BeginCopy(ctx context.Context, dst string) (*TreeCopy, error) {
	t, err := v.resolve(dst)
	if err != nil {
		return nil, pathErr("copy", dst, err)
	}
	if t.mount == nil || t.isMountRoot() {
		return nil, &PathError{Op: "copy", Path: t.vpath.String(), Err: ErrExists}
	}
	if err := v.folder(ctx, "copy", t); err != nil {
		return nil, err
	}
	if v.visible(ctx, t) {
		return nil, &PathError{Op: "copy", Path: t.vpath.String(), Err: ErrExists}
	}
	if err := v.authorize(ctx, "copy", authz.Mkdir, t, true); err != nil {
		return nil, err
	}
	stage := strings.TrimSuffix(tempName(v.session.ID), ".part") + ".copy"
	if err := v.files.incoming.Mkdir(stage, dirMode); err != nil {
		return nil, v.done(ctx, "copy", authz.Mkdir, t, nil, err)
	}
	return &TreeCopy{v: v, dst: t, stage: stage, dirs: []target{t}}, nil
}

// inside resolves a name of the copy: dst itself or a name below it, and
// where it is staged (inside .incoming).
func (c *TreeCopy) inside(op, name string) (target, string, error) {
	t, err := c.v.resolve(name)
	if err != nil {
		return target{}, "", pathErr(op, name, err)
	}
	if t.mount != c.dst.mount || !strings.HasPrefix(t.rel, c.dst.rel+"/") {
		return target{}, "", &PathError{Op: op, Path: t.vpath.String(), Err: ErrInvalidPath}
	}
	return t, path.Join(c.stage, strings.TrimPrefix(t.rel, c.dst.rel+"/")), nil
}

// Mkdir makes a folder of the copy, as Mkdir would at its final name.
func (c *TreeCopy) Mkdir(ctx context.Context, name string) error {
	t, staged, err := c.inside("mkdir", name)
	if err != nil {
		return err
	}
	if err := c.v.authorize(ctx, "mkdir", authz.Mkdir, t, true); err != nil {
		return err
	}
	if err := c.v.files.incoming.Mkdir(staged, dirMode); err != nil {
		return pathErr("mkdir", t.vpath.String(), err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.dirs = append(c.dirs, t)
	return nil
}

// Create opens an upload of a new file of the copy, authorized as a write
// at its final name. Its Close stages it; Commit puts it in place.
func (c *TreeCopy) Create(ctx context.Context, name string) (*Upload, error) {
	t, staged, err := c.inside("create", name)
	if err != nil {
		return nil, err
	}
	if err := c.v.authorize(ctx, "create", authz.Write, t, false); err != nil {
		return nil, err
	}
	u, err := c.v.upload(ctx, t, authz.Write, c)
	if err != nil {
		return nil, err
	}
	u.stageDir = path.Dir(staged)
	return u, nil
}

// staged records an upload closed into the staging folder, and what it
// will be charged.
func (c *TreeCopy) staged(id int64, e store.AuditEntry) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.placed = append(c.placed, stagedUpload{id: id, entry: e})
	one := store.Usage{Bytes: e.Bytes, Files: 1}
	c.used = addUsage(c.used, one)
	if cl := store.ClientOf(e.SPath); cl != "" {
		if c.clients == nil {
			c.clients, c.clientAt = map[string]store.Usage{}, map[string]string{}
		}
		c.clients[cl] = addUsage(c.clients[cl], one)
		c.clientAt[cl] = e.SPath
	}
}

// pending is what the copy's staged uploads add to the usage of the user
// with id uid and of client account client.
func (c *TreeCopy) pending(uid int64, client string) (user, cl store.Usage) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.pendingLocked(uid, client)
}

func (c *TreeCopy) pendingLocked(_ int64, client string) (user, cl store.Usage) {
	return c.used, c.clients[client]
}

// checkRoom refuses the copy (ErrQuota) when the accounts it is charged
// to no longer have room for it as they are now: other uploads of theirs
// may have completed since its files were checked. With c.mu held.
func (c *TreeCopy) checkRoom(ctx context.Context) error {
	acc := c.v.files.limits.Accounts
	if acc == nil {
		return nil
	}
	spaths := []string{c.dst.spath}
	for _, sp := range c.clientAt {
		spaths = append(spaths, sp)
	}
	for i, sp := range spaths {
		a, err := acc.UploadAccounts(ctx, c.v.user.Name, sp)
		if err != nil { // fail closed
			return &PathError{Op: "quota", Path: c.dst.vpath.String(), Err: ErrFailed, Cause: err}
		}
		u, cl := c.pendingLocked(a.UserID, a.Client.Name)
		if (i == 0 && !fits(a.User, u)) || !fits(a.Client, cl) {
			return ErrQuota
		}
	}
	return nil
}

// Commit makes the staged folders durable, renames the copy into place
// (never over an existing name) and makes its folder durable, then audits
// its folders and commits its uploads' rows and events. When the rename
// fails, the copy is aborted.
func (c *TreeCopy) Commit(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return &PathError{Op: "copy", Path: c.dst.vpath.String(), Err: ErrFailed}
	}
	c.closed = true
	v := c.v
	err := c.checkRoom(ctx)
	if err == nil {
		err = c.syncStaged()
	}
	if err == nil {
		err = v.withMount(c.dst, func(r *RootFs) error {
			parent, err := openDir(r.root, relName(path.Dir(c.dst.rel)))
			if err != nil {
				return err
			}
			defer parent.Close()
			if err := renameAt(v.files.inDir, c.stage, parent, path.Base(c.dst.rel), false); err != nil {
				return err
			}
			return parent.Sync()
		})
	}
	if err != nil {
		pe := pathErr("copy", c.dst.vpath.String(), err).(*PathError)
		c.discard(ctx, "copy not placed: "+pe.Err.Error())
		return pe
	}
	var errs []error
	for _, d := range c.dirs {
		errs = append(errs, v.audit(ctx, string(authz.Mkdir), d, nil, 0, "", store.ResultOK, ""))
	}
	for _, p := range c.placed {
		errs = append(errs, v.auditor.CommitUpload(context.WithoutCancel(ctx), p.id, p.entry))
	}
	if err := errors.Join(errs...); err != nil {
		// In place, as the pending notes say: the next start settles them.
		return &PathError{Op: "copy", Path: c.dst.vpath.String(), Err: ErrFailed, Cause: err}
	}
	return nil
}

// syncStaged makes every staged folder durable.
func (c *TreeCopy) syncStaged() error {
	names := []string{c.stage}
	for _, d := range c.dirs[1:] {
		names = append(names, path.Join(c.stage, strings.TrimPrefix(d.rel, c.dst.rel+"/")))
	}
	for _, n := range names {
		d, err := openDir(c.v.files.incoming, n)
		if err != nil {
			return err
		}
		err = d.Sync()
		d.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// Abort removes what the copy staged; nothing of it was ever visible.
// It does nothing after Commit.
func (c *TreeCopy) Abort(ctx context.Context) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return
	}
	c.closed = true
	c.discard(ctx, "copy refused: nothing placed")
}

// discard removes the staging folder and settles the staged uploads'
// pending notes as failed; with c.mu held.
func (c *TreeCopy) discard(ctx context.Context, reason string) {
	c.v.files.incoming.RemoveAll(c.stage)
	for _, p := range c.placed {
		e := p.entry
		e.Result, e.Reason, e.SHA256 = store.ResultFailed, reason, ""
		c.v.auditor.CommitUpload(context.WithoutCancel(ctx), p.id, e)
	}
}

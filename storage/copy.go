package storage

import (
	"context"
	"errors"
	"io/fs"
	"os"
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
	v       *View
	dst     target // the folder made, at its final name
	stage   string // its staging folder, inside .incoming
	replace bool   // dst exists: the copy replaces it at Commit
	// replaced is what the tree the copy replaces is charged: Commit's
	// deletes free it, so the copy's quota checks count it as free.
	replaced []store.Charge

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

// BeginCopy starts an all-or-nothing copy into dst: its folder must
// exist and be visible, and the user must be allowed to make it. A dst
// that exists is refused (ErrExists) unless replace is set; then the
// copy replaces it whole at Commit, and the user must be allowed to
// delete it and everything in it, as the delete that would otherwise
// clear it first (replaceable).
func (v *View) BeginCopy(ctx context.Context, dst string, replace bool) (*TreeCopy, error) {
	t, err := v.resolve(dst)
	if err != nil {
		return nil, pathErr("copy", dst, err)
	}
	if t.mount == nil || t.isMountRoot() {
		return nil, &PathError{Op: "copy", Path: t.vpath.String(), Err: ErrExists}
	}
	if _, local := v.files.objects.(localBackend); !local {
		// An object store has no folder to stage a copy in and rename.
		return nil, &PathError{Op: "copy", Path: t.vpath.String(), Err: ErrUnsupported}
	}
	if err := v.folder(ctx, "copy", t); err != nil {
		return nil, err
	}
	c := &TreeCopy{v: v, dst: t, dirs: []target{t}}
	if v.visible(ctx, t) {
		if !replace {
			return nil, &PathError{Op: "copy", Path: t.vpath.String(), Err: ErrExists}
		}
		if err := v.replaceable(ctx, t, 0); err != nil {
			return nil, err
		}
		if acc := v.files.limits.Accounts; acc != nil {
			if c.replaced, err = acc.ChargesUnder(ctx, t.spath); err != nil { // fail closed
				return nil, &PathError{Op: "quota", Path: t.vpath.String(), Err: ErrFailed, Cause: err}
			}
		}
		c.replace = true
	}
	if err := v.authorize(ctx, "copy", authz.Mkdir, t, true); err != nil {
		return nil, err
	}
	c.stage = strings.TrimSuffix(tempName(v.session.ID), ".part") + ".copy"
	if err := v.files.incoming.Mkdir(c.stage, dirMode); err != nil {
		return nil, v.done(ctx, "copy", authz.Mkdir, t, nil, err)
	}
	return c, nil
}

// replaceable checks that the user may delete t and all it holds, one
// by one: a name in it the user may not see refuses the copy as the
// folder's delete would (ErrNotEmpty), a name they may not delete as a
// denial.
func (v *View) replaceable(ctx context.Context, t target, depth int) error {
	fi, err := v.existing(ctx, "copy", t)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		if depth >= maxCopyDepth {
			return &PathError{Op: "copy", Path: t.vpath.String(), Err: ErrUnsupported}
		}
		entries, err := v.files.objects.readDir(ctx, t.loc())
		if err != nil {
			return pathErr("copy", t.vpath.String(), err)
		}
		for _, e := range entries {
			n := e.Name()
			child, err := v.resolve(path.Join(t.vpath.String(), n))
			if err != nil || !v.visible(ctx, child) {
				return &PathError{Op: "copy", Path: t.vpath.String(), Err: ErrNotEmpty}
			}
			if err := v.replaceable(ctx, child, depth+1); err != nil {
				return err
			}
		}
	}
	return v.authorize(ctx, "copy", authz.Delete, t, fi.IsDir())
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

func (c *TreeCopy) pendingLocked(uid int64, client string) (user, cl store.Usage) {
	user, cl = c.used, c.clients[client]
	for _, r := range c.replaced {
		gone := store.Usage{Bytes: -r.Bytes, Files: -1}
		if r.UserID != 0 && r.UserID == uid {
			user = addUsage(user, gone)
		}
		if r.Client != "" && r.Client == client {
			cl = addUsage(cl, gone)
		}
	}
	return user, cl
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

// Commit makes the staged folders durable, checks the quotas once more,
// and puts the copy in place: under a new name never over an existing
// one; over the tree it replaces (replace) atomically, by exchanging the
// two, so that tree stays whole until the copy is in. It then audits the
// replaced tree's deletes (which free its charges), the copy's folders,
// and commits its uploads' rows and events; only then is the replaced
// tree removed. When anything fails before the copy is in place, the copy
// is aborted; when anything fails after, it is taken back out (the
// replaced tree back in place) and refused, so no copy stays visible
// that the answer did not acknowledge.
func (c *TreeCopy) Commit(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return &PathError{Op: "copy", Path: c.dst.vpath.String(), Err: ErrFailed}
	}
	c.closed = true
	vpath := c.dst.vpath.String()
	err := c.checkRoom(ctx)
	if err == nil {
		err = c.syncStaged()
	}
	var parent *os.File
	var exchanged bool
	if err == nil {
		parent, exchanged, err = c.place()
	}
	if parent == nil {
		pe := pathErr("copy", vpath, err).(*PathError)
		c.discard(ctx, "copy not placed: "+pe.Err.Error())
		return pe
	}
	defer parent.Close()
	if err == nil {
		err = c.auditPlaced(ctx, exchanged)
	}
	if err == nil {
		if exchanged {
			c.v.files.incoming.RemoveAll(c.stage) // the replaced tree, audited
		}
		return nil
	}
	if terr := c.takeBack(parent, exchanged); terr != nil {
		// In place, as the pending notes say: the next start settles them.
		return &PathError{Op: "copy", Path: vpath, Err: ErrFailed, Cause: errors.Join(err, terr)}
	}
	c.discard(ctx, "audit failed, copy taken back: "+err.Error())
	return &PathError{Op: "copy", Path: vpath, Err: ErrFailed, Cause: err}
}

// place renames the staging folder to the copy's name, or exchanges it
// with the tree there when the copy replaces one (exchanged; that tree is
// then under the staging name in .incoming), and makes the folder that
// holds it durable. It returns that folder, open.
func (c *TreeCopy) place() (parent *os.File, exchanged bool, err error) {
	v := c.v
	err = v.withMount(c.dst, func(r *RootFs) error {
		parent, err = openDir(r.root, relName(path.Dir(c.dst.rel)))
		return err
	})
	if err != nil {
		return nil, false, err
	}
	base := path.Base(c.dst.rel)
	if c.replace {
		err = exchangeAt(v.files.inDir, c.stage, parent, base)
		exchanged = err == nil
		if errors.Is(err, fs.ErrNotExist) { // the tree to replace is gone: a new name after all
			err = nil
		}
	}
	if err == nil && !exchanged {
		err = renameAt(v.files.inDir, c.stage, parent, base, false)
	}
	if err != nil {
		parent.Close()
		return nil, false, err
	}
	// In place: a failed fsync has Commit take it back.
	return parent, exchanged, parent.Sync()
}

// auditPlaced writes the rows of a copy in place: the replaced tree's
// deletes first (so they free its files' charges before the copy's files
// are charged at the same names), then the copy's folders and uploads.
func (c *TreeCopy) auditPlaced(ctx context.Context, exchanged bool) error {
	var errs []error
	if exchanged {
		errs = append(errs, c.auditReplaced(ctx, "", 0))
	}
	for _, d := range c.dirs {
		errs = append(errs, c.v.audit(ctx, string(authz.Mkdir), d, nil, 0, "", store.ResultOK, ""))
	}
	for _, p := range c.placed {
		_, err := c.v.auditor.CommitUpload(context.WithoutCancel(ctx), p.id, p.entry)
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// auditReplaced audits the delete of each file and folder of the replaced
// tree, now under the staging name in .incoming (sub is a name below it),
// folders after what they held.
func (c *TreeCopy) auditReplaced(ctx context.Context, sub string, depth int) error {
	staged := path.Join(c.stage, sub)
	fi, err := c.v.files.incoming.Lstat(staged)
	if err != nil {
		return err
	}
	var errs []error
	if fi.IsDir() && depth < maxCopyDepth {
		d, err := openDir(c.v.files.incoming, staged)
		if err != nil {
			return err
		}
		names, err := d.Readdirnames(-1)
		d.Close()
		if err != nil {
			return err
		}
		for _, n := range names {
			errs = append(errs, c.auditReplaced(ctx, path.Join(sub, n), depth+1))
		}
	}
	t, err := c.v.resolve(path.Join(c.dst.vpath.String(), sub))
	if err != nil {
		return err
	}
	errs = append(errs, c.v.audit(ctx, string(authz.Delete), t, nil, 0, "", store.ResultOK, "replaced by a copy"))
	return errors.Join(errs...)
}

// maxCopyDepth bounds the folders a replaced tree is walked into.
const maxCopyDepth = 64

// takeBack undoes place: the copy goes back to its staging name (the tree
// it replaced back in place), for discard to remove.
func (c *TreeCopy) takeBack(parent *os.File, exchanged bool) error {
	base := path.Base(c.dst.rel)
	var err error
	if exchanged {
		err = exchangeAt(parent, base, c.v.files.inDir, c.stage)
	} else {
		err = renameAt(parent, base, c.v.files.inDir, c.stage, false)
	}
	if err != nil {
		return err
	}
	return parent.Sync()
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

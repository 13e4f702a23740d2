// Package storage is the virtual filesystem every protocol serves: a
// per-session View made of mounts onto the files/ tree, which asks authz
// before every operation, audits it, and reaches the disk only through
// os.Root.
package storage

import (
	"context"
	"errors"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

// Decider answers authorization requests (authz.Enforcer).
type Decider interface {
	Decide(ctx context.Context, req authz.Request) (authz.Decision, error)
}

// Auditor records audit rows (store.Store). An upload is recorded in two
// steps around its rename into place: BeginUpload durably notes the row it
// will get before the file is visible, CommitUpload writes that row (and
// its event) and settles the note, so a crash in between is found at the
// next start (Files.Reconcile); it returns the audit row's id.
type Auditor interface {
	Audit(ctx context.Context, e store.AuditEntry) error
	BeginUpload(ctx context.Context, e store.AuditEntry) (int64, error)
	CommitUpload(ctx context.Context, id int64, e store.AuditEntry) (int64, error)
}

// Counter counts what a session moves (the gateway's live-session
// registry): the view tells it of every upload and download it opens, and
// feeds each one's bytes to the Flow it returned.
type Counter interface {
	// Begin is told that a transfer of vpath starts: an upload (in) or a
	// download (!in).
	Begin(vpath string, in bool) Flow
}

// Flow is one transfer in flight as a Counter tracks it. Count is called
// on the data path with the bytes written (upload) or read (download), so
// it must not block; End is called once, when the file is closed.
type Flow interface {
	Count(n int64)
	End()
}

// noFlow is the flow of a view without a counter.
type noFlow struct{}

func (noFlow) Count(int64) {}
func (noFlow) End()        {}

// Session identifies the connection a view serves, for the audit log.
type Session struct {
	ID       string
	Protocol string // sftp, ftp, webdav
	Remote   string // client address
}

// ViewOptions are what NewView needs.
type ViewOptions struct {
	User       *store.User
	AllClients []string // every client id (the publisher's mounts)
	Files      *Files
	Decider    Decider
	Auditor    Auditor
	Session    Session
	// Counter, when set, is told of every Upload and Download opened
	// through this view and the bytes each one moves.
	Counter Counter
}

// View is one user's virtual filesystem for one session.
type View struct {
	user    *store.User
	sub     *authz.Subject
	mounts  []Mount
	files   *Files
	decider Decider
	auditor Auditor
	session Session
	counter Counter // nil: bytes are not counted
}

// NewView builds a session's view: the role's mounts, plus any whole area
// a rule lets the user list (e.g. Operaciones reading /dossiers, or a
// requester their restored backups under /restores).
func NewView(ctx context.Context, o ViewOptions) (*View, error) {
	v := &View{
		user: o.User, sub: authz.SubjectOf(o.User), files: o.Files,
		decider: o.Decider, auditor: o.Auditor, session: o.Session, counter: o.Counter,
	}
	v.mounts = MountsFor(o.User, o.AllClients)
	var areas []string
	if o.User.Role == store.RoleStaff || o.User.Role == store.RoleManager {
		areas = []string{store.AreaClients, store.AreaDossiers}
	}
	if o.User.Role != store.RoleAdmin {
		areas = append(areas, store.AreaRestores) // granted to whoever asked for a restore
	}
	for _, area := range areas {
		d, err := o.Decider.Decide(ctx, authz.Request{Subject: v.sub, Action: authz.List, Object: area + "/"})
		if err != nil {
			return nil, err
		}
		if d.Allow {
			v.mounts = append(v.mounts, Mount{Virtual: area, Storage: area})
		}
	}
	sortMounts(v.mounts)
	return v, nil
}

// User returns the view's user.
func (v *View) User() *store.User { return v.user }

// begin returns the flow that counts a transfer of t: an upload (in) or
// a download.
func (v *View) begin(t target, in bool) Flow {
	if v.counter == nil {
		return noFlow{}
	}
	return v.counter.Begin(t.vpath.String(), in)
}

// target is a resolved virtual path.
type target struct {
	vpath Path
	mount *Mount // nil for "/"
	rel   string // inside the mount, "" for the mount's own folder
	spath string // storage path, e.g. "/dossiers/ACME/2026/x.pdf"
}

func (t target) isMountRoot() bool { return t.mount != nil && t.rel == "" }

// object is the authz object: directories end in "/".
func (t target) object(dir bool) string {
	if dir && t.spath != "/" {
		return t.spath + "/"
	}
	return t.spath
}

func (v *View) resolve(raw string) (target, error) {
	p, err := ParsePath(raw)
	if err != nil {
		return target{}, err
	}
	t := target{vpath: p, spath: "/"}
	if p.IsRoot() {
		return t, nil
	}
	for i := range v.mounts {
		m := &v.mounts[i]
		if r, ok := p.within(m.Virtual); ok {
			t.mount, t.rel, t.spath = m, r, path.Join(m.Storage, r)
			return t, nil
		}
	}
	return target{}, ErrNotFound
}

// parent resolves the folder that holds t.
func (v *View) parent(t target) target {
	p := t.vpath.Dir()
	if t.mount == nil || t.rel == "" {
		return target{vpath: p, spath: "/"}
	}
	r := path.Dir(t.rel)
	if r == "." {
		r = ""
	}
	return target{vpath: p, mount: t.mount, rel: r, spath: path.Join(t.mount.Storage, r)}
}

// loc is where t is on the backend.
func (t target) loc() loc { return loc{mount: t.mount.Storage, rel: t.rel} }

// lookup stats a target on disk. The root and mount folders always exist.
func (v *View) lookup(ctx context.Context, t target) (fs.FileInfo, error) {
	if t.mount == nil {
		return dirInfo{name: "/"}, nil
	}
	fi, err := v.files.objects.stat(ctx, t.loc())
	if err != nil {
		return nil, err
	}
	if t.rel == "" {
		return dirInfo{name: path.Base(t.mount.Virtual), mod: fi.ModTime()}, nil
	}
	return fi, nil
}

func relName(r string) string {
	if r == "" {
		return "."
	}
	return r
}

// allowed asks the decider without auditing.
func (v *View) allowed(ctx context.Context, act authz.Action, t target, dir bool) (authz.Decision, error) {
	if t.mount == nil {
		// The root is a synthetic folder of mounts: it can be listed, nothing else.
		return authz.Decision{Allow: act == authz.List, Rule: "the view's root"}, nil
	}
	return v.decider.Decide(ctx, authz.Request{Subject: v.sub, Action: act, Object: t.object(dir)})
}

// authorize asks the decider and audits a denial. A failed decision denies.
func (v *View) authorize(ctx context.Context, op string, act authz.Action, t target, dir bool) error {
	d, err := v.allowed(ctx, act, t, dir)
	if err != nil {
		v.audit(ctx, string(act), t, nil, 0, "", store.ResultDenied, "decision failed: "+err.Error())
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrDenied, Cause: err}
	}
	if !d.Allow {
		v.audit(ctx, string(act), t, nil, 0, "", store.ResultDenied, d.Reason())
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrDenied}
	}
	return nil
}

// existing looks a target up and hides it, as not existing, when the user
// may not list it: nobody can probe for names outside their rights.
func (v *View) existing(ctx context.Context, op string, t target) (fs.FileInfo, error) {
	fi, err := v.lookup(ctx, t)
	if err != nil {
		return nil, pathErr(op, t.vpath.String(), err)
	}
	d, err := v.allowed(ctx, authz.List, t, fi.IsDir())
	if err != nil || !d.Allow {
		reason := "hidden: " + d.Reason()
		if err != nil {
			reason = "decision failed: " + err.Error()
		}
		v.audit(ctx, op, t, nil, 0, "", store.ResultDenied, reason)
		return nil, &PathError{Op: op, Path: t.vpath.String(), Err: ErrNotFound, Cause: err}
	}
	return fi, nil
}

// visible reports whether t exists and the user may list it.
func (v *View) visible(ctx context.Context, t target) bool {
	fi, err := v.lookup(ctx, t)
	if err != nil {
		return false
	}
	d, err := v.allowed(ctx, authz.List, t, fi.IsDir())
	return err == nil && d.Allow
}

// folder checks that t's parent is a folder the user can see.
func (v *View) folder(ctx context.Context, op string, t target) error {
	p := v.parent(t)
	fi, err := v.existing(ctx, op, p)
	if err != nil {
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrNotFound}
	}
	if !fi.IsDir() {
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrNotDir}
	}
	return nil
}

// audit records an operation on t; to is a rename's destination, or nil.
func (v *View) audit(ctx context.Context, action string, t target, to *target, n int64, sum string, res store.Result, reason string) error {
	return v.auditor.Audit(context.WithoutCancel(ctx), v.entry(action, t, to, n, sum, res, reason))
}

// entry is the audit row of an operation on t in this view's session.
func (v *View) entry(action string, t target, to *target, n int64, sum string, res store.Result, reason string) store.AuditEntry {
	e := store.AuditEntry{
		Session: v.session.ID, User: v.user.Name, Role: v.user.Role, Protocol: v.session.Protocol,
		Remote: v.session.Remote, Action: action, VPath: t.vpath.String(), SPath: t.spath,
		Bytes: n, SHA256: sum, Result: res, Reason: reason,
	}
	if to != nil {
		e.Target, e.STarget = to.vpath.String(), to.spath
	}
	return e
}

// refused audits an attempt refused for what the user can see is there
// (a visible name exists) as failed, as other refusals are, and returns
// err.
func (v *View) refused(ctx context.Context, act authz.Action, t target, to *target, err *PathError) error {
	v.audit(ctx, string(act), t, to, 0, "", store.ResultFailed, err.Err.Error())
	return err
}

// done audits the outcome of an operation and returns err as a PathError.
func (v *View) done(ctx context.Context, op string, act authz.Action, t target, to *target, err error) error {
	if err != nil {
		pe := pathErr(op, t.vpath.String(), err).(*PathError)
		v.audit(ctx, string(act), t, to, 0, "", store.ResultFailed, pe.Err.Error())
		return pe
	}
	if aerr := v.audit(ctx, string(act), t, to, 0, "", store.ResultOK, ""); aerr != nil {
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrFailed, Cause: aerr}
	}
	return nil
}

// Stat describes a file or folder the user can see.
func (v *View) Stat(ctx context.Context, name string) (fs.FileInfo, error) {
	t, err := v.resolve(name)
	if err != nil {
		return nil, pathErr("stat", name, err)
	}
	return v.existing(ctx, "stat", t)
}

// ReadDir lists a folder: the entries the user may list, sorted by name.
func (v *View) ReadDir(ctx context.Context, name string) ([]fs.FileInfo, error) {
	_, out, err := v.readDir(ctx, name)
	return out, err
}

// readDir lists a folder for ReadDir and ReadDirProps, and returns it
// resolved.
func (v *View) readDir(ctx context.Context, name string) (target, []fs.FileInfo, error) {
	t, err := v.resolve(name)
	if err != nil {
		return t, nil, pathErr("list", name, err)
	}
	fi, err := v.existing(ctx, "list", t)
	if err != nil {
		return t, nil, err
	}
	if !fi.IsDir() {
		return t, nil, &PathError{Op: "list", Path: t.vpath.String(), Err: ErrNotDir}
	}
	var out []fs.FileInfo
	if t.mount == nil {
		for _, m := range v.mounts {
			mt, _ := v.resolve(m.Virtual)
			if mfi, err := v.lookup(ctx, mt); err == nil {
				out = append(out, mfi)
			}
		}
	} else {
		entries, err := v.files.objects.readDir(ctx, t.loc())
		if err != nil {
			return t, nil, v.done(ctx, "list", authz.List, t, nil, err)
		}
		out = make([]fs.FileInfo, 0, len(entries))
		for _, e := range entries {
			// Only the storage path is asked about: the entry's virtual
			// and relative paths are not built for each of a large folder.
			ct := target{mount: t.mount, spath: path.Join(t.spath, e.Name())}
			if d, err := v.allowed(ctx, authz.List, ct, e.IsDir()); err == nil && d.Allow {
				out = append(out, e)
			}
		}
	}
	slices.SortFunc(out, func(a, b fs.FileInfo) int { return strings.Compare(a.Name(), b.Name()) })
	return t, out, v.done(ctx, "list", authz.List, t, nil, nil)
}

// Mkdir creates a folder.
func (v *View) Mkdir(ctx context.Context, name string) error {
	t, err := v.resolve(name)
	if err != nil {
		return pathErr("mkdir", name, err)
	}
	if t.mount == nil || t.isMountRoot() {
		return &PathError{Op: "mkdir", Path: t.vpath.String(), Err: ErrExists}
	}
	if err := v.folder(ctx, "mkdir", t); err != nil {
		return err
	}
	if v.visible(ctx, t) {
		return v.refused(ctx, authz.Mkdir, t, nil, &PathError{Op: "mkdir", Path: t.vpath.String(), Err: ErrExists})
	}
	// A name the user may not see is treated as free: the answer must not
	// tell it exists (the disk refuses the mkdir if it does).
	if err := v.authorize(ctx, "mkdir", authz.Mkdir, t, true); err != nil {
		return err
	}
	err = v.files.objects.mkdir(ctx, t.loc())
	return v.done(ctx, "mkdir", authz.Mkdir, t, nil, err)
}

// Remove deletes a file.
func (v *View) Remove(ctx context.Context, name string) error { return v.remove(ctx, name, false) }

// RemoveDir deletes an empty folder.
func (v *View) RemoveDir(ctx context.Context, name string) error { return v.remove(ctx, name, true) }

func (v *View) remove(ctx context.Context, name string, dir bool) error {
	op := "remove"
	if dir {
		op = "rmdir"
	}
	t, err := v.resolve(name)
	if err != nil {
		return pathErr(op, name, err)
	}
	if t.mount == nil || t.isMountRoot() {
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrDenied}
	}
	fi, err := v.existing(ctx, op, t)
	if err != nil {
		return err
	}
	if fi.IsDir() != dir {
		if dir {
			return &PathError{Op: op, Path: t.vpath.String(), Err: ErrNotDir}
		}
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrIsDir}
	}
	if err := v.authorize(ctx, op, authz.Delete, t, dir); err != nil {
		return err
	}
	err = v.files.objects.remove(ctx, t.loc())
	return v.done(ctx, op, authz.Delete, t, nil, err)
}

// Rename moves a file or folder. It never replaces an existing target
// unless replace is set and the user may overwrite it.
func (v *View) Rename(ctx context.Context, from, to string, replace bool) error {
	src, err := v.resolve(from)
	if err != nil {
		return pathErr("rename", from, err)
	}
	dst, err := v.resolve(to)
	if err != nil {
		return pathErr("rename", to, err)
	}
	for _, t := range []target{src, dst} {
		if t.mount == nil || t.isMountRoot() {
			return &PathError{Op: "rename", Path: t.vpath.String(), Err: ErrDenied}
		}
	}
	fi, err := v.existing(ctx, "rename", src)
	if err != nil {
		return err
	}
	if err := v.folder(ctx, "rename", dst); err != nil {
		return err
	}
	if strings.HasPrefix(dst.spath+"/", src.spath+"/") {
		return &PathError{Op: "rename", Path: dst.vpath.String(), Err: ErrInvalidPath}
	}
	if dfi, err := v.lookup(ctx, dst); err == nil {
		if !replace || dfi.IsDir() || fi.IsDir() {
			if v.visible(ctx, dst) {
				return v.refused(ctx, authz.Rename, src, &dst, &PathError{Op: "rename", Path: dst.vpath.String(), Err: ErrExists})
			}
			replace = false // a hidden name is never replaced: the disk refuses
		} else if err := v.authorize(ctx, "rename", authz.Overwrite, dst, false); err != nil {
			return err
		}
	}
	if err := v.authorize(ctx, "rename", authz.Rename, src, fi.IsDir()); err != nil {
		return err
	}
	if err := v.authorize(ctx, "rename", authz.Rename, dst, fi.IsDir()); err != nil {
		return err
	}
	if err := v.renameRoom(ctx, src, dst); err != nil {
		return v.done(ctx, "rename", authz.Rename, src, &dst, err)
	}
	err = v.files.objects.rename(ctx, src.loc(), dst.loc(), replace)
	return v.done(ctx, "rename", authz.Rename, src, &dst, err)
}

// Chtimes sets a file's or folder's times. It needs the right to
// overwrite it (modify), and is audited as ActChtimes; modes and owners
// are the gateway's. In an object store that ignores times it answers
// success once allowed, and changes and audits nothing.
func (v *View) Chtimes(ctx context.Context, name string, atime, mtime time.Time) error {
	t, err := v.resolve(name)
	if err != nil {
		return pathErr("chtimes", name, err)
	}
	if t.mount == nil {
		return &PathError{Op: "chtimes", Path: "/", Err: ErrDenied}
	}
	fi, err := v.existing(ctx, "chtimes", t)
	if err != nil {
		return err
	}
	if err := v.modify(ctx, "chtimes", ActChtimes, t, fi); err != nil {
		return err
	}
	err = v.files.objects.chtimes(ctx, t.loc(), atime, mtime)
	if errors.Is(err, errTimesIgnored) {
		return nil // nothing changed, so nothing is audited
	}
	return v.done(ctx, "chtimes", authz.Action(ActChtimes), t, nil, err)
}

// moveBetween renames across two mount roots through their parent folders.
func moveBetween(sr *RootFs, srel string, dr *RootFs, drel string, replace bool) error {
	sdir, err := openDir(sr.root, relName(path.Dir(srel)))
	if err != nil {
		return err
	}
	defer sdir.Close()
	ddir, err := openDir(dr.root, relName(path.Dir(drel)))
	if err != nil {
		return err
	}
	defer ddir.Close()
	if err := renameAt(sdir, path.Base(srel), ddir, path.Base(drel), replace); err != nil {
		return err
	}
	if err := ddir.Sync(); err != nil {
		return err
	}
	return sdir.Sync()
}

// syncDir makes a folder's entries durable.
func syncDir(r *RootFs, rel string) error {
	d, err := openDir(r.root, relName(rel))
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}

// dirInfo describes the synthetic root and mount folders.
type dirInfo struct {
	name string
	mod  time.Time
}

func (d dirInfo) Name() string       { return d.name }
func (d dirInfo) Size() int64        { return 0 }
func (d dirInfo) Mode() fs.FileMode  { return fs.ModeDir | dirMode }
func (d dirInfo) ModTime() time.Time { return d.mod }
func (d dirInfo) IsDir() bool        { return true }
func (d dirInfo) Sys() any           { return nil }

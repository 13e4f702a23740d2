package storage

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"

	"golang.org/x/sys/unix"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

// propsAttr is the extended attribute that holds a file's WebDAV dead
// properties. It moves with the file on rename and goes with it on delete;
// a new upload over the file starts without any.
const propsAttr = "user.custodia.dav"

// maxProps bounds the stored properties (ext4 keeps one block of
// attributes per file).
const maxProps = 3 << 10

// DeadProps returns the dead properties of a file or folder the user can
// see: property name ("{namespace}local") to its XML. A filesystem without
// user extended attributes has none.
func (v *View) DeadProps(ctx context.Context, name string) (map[string][]byte, error) {
	t, err := v.resolve(name)
	if err != nil {
		return nil, pathErr("props", name, err)
	}
	if _, err := v.existing(ctx, "props", t); err != nil {
		return nil, err
	}
	props := map[string][]byte{}
	if t.mount == nil {
		return props, nil
	}
	data, err := v.files.objects.props(ctx, t.loc())
	if err == nil && len(data) > 0 {
		err = json.Unmarshal(data, &props)
	}
	if err != nil {
		return nil, pathErr("props", t.vpath.String(), err)
	}
	return props, nil
}

// maxListedProps bounds the dead properties ReadDirProps reads for one
// listing: past it, the listing gives none and each entry's are read when
// asked (DeadProps), one at a time, as a response is written. Without a
// bound, a user who stored the most (maxProps) on each file of a large
// folder made every listing of it hold them all at once (100,000 files:
// hundreds of MB per PROPFIND; a review finding).
var maxListedProps = 8 << 20

// errManyProps: a folder's entries hold more dead properties than one
// listing reads at once (maxListedProps).
var errManyProps = errors.New("more dead properties than a listing reads at once")

// ReadDirProps lists a folder as ReadDir does, with the dead properties
// of the entries listed, by entry name (as DeadProps returns them; an
// entry without any is left out), read in one pass over the folder
// rather than one DeadProps for each: a WebDAV listing of a large folder
// asks for them all. The properties are nil, not known, for the root of
// the view, whose entries are mounts, when they could not be read
// together (ask DeadProps for each, which has the error to give), and
// when they hold more than maxListedProps.
func (v *View) ReadDirProps(ctx context.Context, name string) ([]fs.FileInfo, map[string]map[string][]byte, error) {
	t, out, err := v.readDir(ctx, name)
	if err != nil || t.mount == nil {
		return out, nil, err
	}
	raw, err := v.files.objects.dirProps(ctx, t.loc(), out)
	if err != nil {
		return out, nil, nil // DeadProps, for each, has the error to give
	}
	props := make(map[string]map[string][]byte, len(raw))
	for entry, data := range raw {
		p := map[string][]byte{}
		if json.Unmarshal(data, &p) != nil {
			return out, nil, nil
		}
		props[entry] = p
	}
	return out, props, nil
}

// SetDeadProps replaces the dead properties of a file or folder. It needs
// what changing its times needs: the right to overwrite it (modify).
func (v *View) SetDeadProps(ctx context.Context, name string, props map[string][]byte) error {
	t, err := v.resolve(name)
	if err != nil {
		return pathErr("props", name, err)
	}
	if t.mount == nil {
		return &PathError{Op: "props", Path: "/", Err: ErrDenied}
	}
	fi, err := v.existing(ctx, "props", t)
	if err != nil {
		return err
	}
	if err := v.modify(ctx, "props", ActSetProps, t, fi); err != nil {
		return err
	}
	data, err := json.Marshal(props)
	if err != nil {
		return pathErr("props", t.vpath.String(), err)
	}
	if len(data) > maxProps {
		return &PathError{Op: "props", Path: t.vpath.String(), Err: ErrQuota}
	}
	if len(props) == 0 {
		data = nil
	}
	err = v.files.objects.setProps(ctx, t.loc(), data)
	switch {
	case errors.Is(err, unix.ENOTSUP):
		return &PathError{Op: "props", Path: t.vpath.String(), Err: ErrUnsupported}
	case errors.Is(err, unix.ENOSPC), errors.Is(err, unix.E2BIG):
		return &PathError{Op: "props", Path: t.vpath.String(), Err: ErrQuota}
	}
	return v.done(ctx, "props", authz.Action(ActSetProps), t, nil, err)
}

// The audit actions of metadata changes: each has its own, allowed or
// denied, so the trail says what was tried, not only which right it took.
const (
	ActChtimes  = "chtimes"  // set a file's or folder's times (SFTP setstat, FTP MFMT)
	ActSetProps = "setprops" // set WebDAV dead properties (PROPPATCH)
)

// modify checks that the user may change the metadata of t: the right to
// overwrite it, for a file or a folder alike, so that a user who may only
// add files (a correspondent) cannot re-date or re-label what is there. A
// refusal, or a failed decision, is audited under action. A new upload's
// own times are set on the upload (Upload.SetTimes), not through here.
func (v *View) modify(ctx context.Context, op, action string, t target, fi fs.FileInfo) error {
	d, err := v.allowed(ctx, authz.Overwrite, t, fi.IsDir())
	if err != nil {
		v.audit(ctx, action, t, nil, 0, "", store.ResultDenied, "decision failed: "+err.Error())
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrDenied, Cause: err}
	}
	if !d.Allow {
		v.audit(ctx, action, t, nil, 0, "", store.ResultDenied, d.Reason())
		return &PathError{Op: op, Path: t.vpath.String(), Err: ErrDenied}
	}
	return nil
}

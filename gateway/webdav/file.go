package webdav

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"golang.org/x/net/webdav"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
)

// file is a name x/net/webdav holds open: its properties, and nothing read
// or written yet.
type file struct {
	ctx  context.Context
	q    *request
	name string
	fi   fileInfo

	// listed: the folder's listing gave fi and props (request.listing).
	listed bool
	props  map[string][]byte
}

func (f *file) Stat() (fs.FileInfo, error)                  { return f.fi, nil }
func (f *file) Close() error                                { return nil }
func (f *file) Read([]byte) (int, error)                    { return 0, errNotFile }
func (f *file) Write([]byte) (int, error)                   { return 0, errNotFile }
func (f *file) Seek(int64, int) (int64, error)              { return 0, errNotFile }
func (f *file) Readdir(int) ([]fs.FileInfo, error)          { return nil, errNotFile }
func (f *file) ContentType(context.Context) (string, error) { return f.fi.ContentType(f.ctx) }

// The quota properties of RFC 4331, live on folders.
var (
	quotaAvailable = xml.Name{Space: "DAV:", Local: "quota-available-bytes"}
	quotaUsed      = xml.Name{Space: "DAV:", Local: "quota-used-bytes"}
)

// DeadProps returns the properties clients stored (PROPPATCH), and on
// folders the quota properties, which Windows shows as the mapped drive's
// free space: the room the user's and the folder's client account's quotas
// and the disk reserve leave (storage.View.QuotaSpace).
func (f *file) DeadProps() (map[xml.Name]webdav.Property, error) {
	stored := f.props
	if !f.listed {
		var err error
		if stored, err = f.q.view.DeadProps(f.ctx, f.name); err != nil {
			return nil, f.q.note(err)
		}
	}
	if len(stored) == 0 && !f.fi.IsDir() {
		return nil, nil // most files of a large folder: nothing to allocate
	}
	out := make(map[xml.Name]webdav.Property, len(stored)+2)
	for _, data := range stored {
		var p webdav.Property
		if json.Unmarshal(data, &p) == nil {
			out[p.XMLName] = p
		}
	}
	if f.fi.IsDir() {
		if sp, err := f.q.view.QuotaSpace(f.ctx, f.name); err == nil {
			out[quotaAvailable] = webdav.Property{XMLName: quotaAvailable, InnerXML: []byte(strconv.FormatUint(sp.Free, 10))}
			out[quotaUsed] = webdav.Property{XMLName: quotaUsed, InnerXML: []byte(strconv.FormatUint(sp.Used, 10))}
		}
	}
	return out, nil
}

// Patch applies a PROPPATCH all or nothing. The view decides whether the
// user may change the file (what changing its times needs).
func (f *file) Patch(patches []webdav.Proppatch) ([]webdav.Propstat, error) {
	stored, err := f.q.view.DeadProps(f.ctx, f.name)
	if err != nil {
		return nil, f.q.note(err)
	}
	var names []webdav.Property
	protected := false
	for _, pp := range patches {
		for _, p := range pp.Props {
			names = append(names, webdav.Property{XMLName: p.XMLName})
			key := p.XMLName.Space + " " + p.XMLName.Local
			if p.XMLName == quotaAvailable || p.XMLName == quotaUsed {
				protected = true
			}
			if pp.Remove {
				delete(stored, key)
				continue
			}
			data, err := json.Marshal(p)
			if err != nil {
				return nil, err
			}
			stored[key] = data
		}
	}
	status := http.StatusOK
	if protected {
		status = http.StatusForbidden
	} else if err := f.q.view.SetDeadProps(f.ctx, f.name, stored); err != nil {
		f.q.note(err)
		if status = statusOf(err); status == 0 || status >= 500 {
			return nil, err
		}
	}
	return []webdav.Propstat{{Status: status, Props: names}}, nil
}

// dirFile is an open folder.
type dirFile struct {
	*file
	listed bool
}

// Readdir lists the folder once, as the view lets the user see it.
func (d *dirFile) Readdir(count int) ([]fs.FileInfo, error) {
	if d.listed {
		if count > 0 {
			return nil, io.EOF
		}
		return nil, nil
	}
	d.listed = true
	var fis []fs.FileInfo
	var err error
	if d.q.lists(d.name) {
		var props map[string]map[string][]byte
		fis, props, err = d.q.view.ReadDirProps(d.ctx, d.name)
		if err == nil {
			d.q.listing(fis, props)
		}
	} else {
		fis, err = d.q.view.ReadDir(d.ctx, d.name)
	}
	if err != nil {
		return nil, d.q.note(err)
	}
	out := make([]fs.FileInfo, len(fis))
	for i, fi := range fis {
		out[i] = fileInfo{fi}
	}
	return out, nil
}

// readFile opens the file for reading at its first Read or Seek.
type readFile struct {
	*file
	d   *storage.Download
	off int64
}

func (r *readFile) open() error {
	if r.d != nil {
		return nil
	}
	d, err := r.q.view.Open(r.ctx, r.name)
	if err != nil {
		r.q.failIO() // a COPY must not commit what it could not read
		return r.q.note(err)
	}
	r.d = d
	return nil
}

func (r *readFile) Read(p []byte) (int, error) {
	if err := r.open(); err != nil {
		return 0, err
	}
	n, err := r.d.ReadAt(p, r.off)
	r.off += int64(n)
	if err != nil && err != io.EOF {
		r.q.failIO()
		r.d.TransferError(err)
	}
	return n, err
}

// Seek moves without opening: HEAD and the size probe of GET read nothing.
func (r *readFile) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.off
	case io.SeekEnd:
		offset += r.fi.Size()
	default:
		return 0, errors.New("bad whence")
	}
	if offset < 0 {
		return 0, errors.New("negative offset")
	}
	r.off = offset
	return offset, nil
}

func (r *readFile) Close() error {
	if r.d == nil {
		return nil
	}
	return r.d.Close()
}

// uploadFile is an upload in progress: it goes into place at Close only
// if the request's data arrived whole and its session was not kicked.
type uploadFile struct {
	ctx      context.Context // the request's
	q        *request
	u        *storage.Upload
	name     string
	writeErr error
}

func (u *uploadFile) Write(p []byte) (int, error) {
	n, err := u.u.Write(p)
	if err != nil && u.writeErr == nil {
		u.writeErr = err
		u.q.failIO()
	}
	return n, err
}

// ReadFrom takes the request body: x/net/webdav's PUT copies it with
// io.Copy, which hands it here, to copy through a shared buffer instead
// of one allocated per request.
func (u *uploadFile) ReadFrom(r io.Reader) (int64, error) {
	return gateway.Copy(writerOnly{u}, r)
}

// writerOnly hides uploadFile's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

// Close puts the file in place, or discards it; a failed write (a full
// disk) is the status the client gets, not the close's.
func (u *uploadFile) Close() error {
	switch {
	case gateway.SessionEnded(u.ctx):
		u.u.TransferError(gateway.ErrSessionEnded)
	case !u.q.complete():
		u.u.TransferError(errors.New("request body incomplete"))
	}
	err := u.u.Close()
	if u.writeErr != nil {
		return u.q.note(u.writeErr)
	}
	return u.q.note(err)
}

// Stat describes the file as it will be once in place: x/net/webdav makes
// the PUT's ETag from it, so the modification time given here is the one
// the file gets.
func (u *uploadFile) Stat() (fs.FileInfo, error) {
	now := time.Now()
	u.u.SetTimes(now, now)
	return fileInfo{uploadInfo{name: u.name, size: u.u.Size(), mod: now}}, nil
}
func (u *uploadFile) Read([]byte) (int, error)           { return 0, errNotFile }
func (u *uploadFile) Seek(int64, int) (int64, error)     { return 0, errNotFile }
func (u *uploadFile) Readdir(int) ([]fs.FileInfo, error) { return nil, errNotFile }

// discardFile takes a desktop file's data and keeps nothing.
type discardFile struct {
	name string
	size int64
}

func (d *discardFile) Write(p []byte) (int, error) { d.size += int64(len(p)); return len(p), nil }
func (d *discardFile) Close() error                { return nil }
func (d *discardFile) Stat() (fs.FileInfo, error) {
	return fileInfo{uploadInfo{name: d.name, size: d.size, mod: time.Now()}}, nil
}
func (d *discardFile) Read([]byte) (int, error)           { return 0, errNotFile }
func (d *discardFile) Seek(int64, int) (int64, error)     { return 0, errNotFile }
func (d *discardFile) Readdir(int) ([]fs.FileInfo, error) { return nil, errNotFile }

// uploadInfo describes a file just written.
type uploadInfo struct {
	name string
	size int64
	mod  time.Time
}

func (i uploadInfo) Name() string       { return i.name }
func (i uploadInfo) Size() int64        { return i.size }
func (i uploadInfo) Mode() fs.FileMode  { return 0o640 }
func (i uploadInfo) ModTime() time.Time { return i.mod }
func (i uploadInfo) IsDir() bool        { return false }
func (i uploadInfo) Sys() any           { return nil }

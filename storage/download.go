package storage

import (
	"context"
	"io"
	"sync/atomic"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/store"
)

// Download is a file open for reading. Closing it audits the bytes served.
type Download struct {
	v      *View
	t      target
	file   blob
	flow   Flow // counts the bytes read
	served atomic.Int64
	failed atomic.Bool
	closed atomic.Bool
}

// Open opens a file the user may read.
func (v *View) Open(ctx context.Context, name string) (*Download, error) {
	t, err := v.resolve(name)
	if err != nil {
		return nil, pathErr("open", name, err)
	}
	fi, err := v.existing(ctx, "open", t)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, &PathError{Op: "open", Path: t.vpath.String(), Err: ErrIsDir}
	}
	if err := v.authorize(ctx, "open", authz.Read, t, false); err != nil {
		return nil, err
	}
	f, err := v.files.objects.open(ctx, t.loc())
	if err != nil {
		return nil, v.done(ctx, "open", authz.Read, t, nil, err)
	}
	return &Download{v: v, t: t, file: f, flow: v.begin(t, false)}, nil
}

// ReadAt reads at an offset.
func (d *Download) ReadAt(p []byte, off int64) (int, error) {
	n, err := d.file.ReadAt(p, off)
	d.served.Add(int64(n))
	if n > 0 {
		d.flow.Count(int64(n))
	}
	if err != nil && err != io.EOF {
		return n, pathErr("read", d.t.vpath.String(), err)
	}
	return n, err
}

// Read reads sequentially, for protocols that stream.
func (d *Download) Read(p []byte) (int, error) {
	n, err := d.file.Read(p)
	d.served.Add(int64(n))
	if n > 0 {
		d.flow.Count(int64(n))
	}
	if err != nil && err != io.EOF {
		return n, pathErr("read", d.t.vpath.String(), err)
	}
	return n, err
}

// TransferError records that the transfer did not complete.
func (d *Download) TransferError(error) { d.failed.Store(true) }

// Close releases the file and audits the download.
func (d *Download) Close() error {
	if d.closed.Swap(true) {
		return nil
	}
	d.flow.End()
	err := d.file.Close()
	res, reason := store.ResultOK, ""
	if d.failed.Load() {
		res, reason = store.ResultFailed, "transfer aborted"
	}
	d.v.audit(context.Background(), string(authz.Read), d.t, nil, d.served.Load(), "", res, reason)
	if err != nil {
		return pathErr("close", d.t.vpath.String(), err)
	}
	return nil
}

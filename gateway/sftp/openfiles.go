package sftp

import (
	"io"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/gateway"
)

// countedFiles bounds the files a session holds open (each one a file
// descriptor): an open over the session's or the user's limit fails with
// SSH_FX_FAILURE "too many open files", and a file's slot comes back when
// the client closes its handle or the session ends (pkg/sftp closes what
// is left open).
type countedFiles struct {
	h     *handlers
	count *gateway.FileCounter
}

func (c countedFiles) Fileread(r *gosftp.Request) (io.ReaderAt, error) {
	release, err := c.count.Open()
	if err != nil {
		c.h.log.Debug("sftp open refused", "action", "read", "err", err)
		return nil, err
	}
	ra, err := c.h.Fileread(r)
	if err != nil {
		release()
		return nil, err
	}
	return &countedReader{ReaderAt: ra, counted: counted{inner: ra, release: release}}, nil
}

func (c countedFiles) Filewrite(r *gosftp.Request) (io.WriterAt, error) {
	release, err := c.count.Open()
	if err != nil {
		c.h.log.Debug("sftp open refused", "action", "write", "err", err)
		return nil, err
	}
	wa, err := c.h.Filewrite(r)
	if err != nil {
		release()
		return nil, err
	}
	return &countedWriter{WriterAt: wa, counted: counted{inner: wa, release: release}}, nil
}

// counted passes Close and TransferError to the file it wraps and gives
// the file's slot back at Close.
type counted struct {
	inner   any
	release func()
}

func (c *counted) Close() error {
	defer c.release()
	if cl, ok := c.inner.(io.Closer); ok {
		return cl.Close()
	}
	return nil
}

func (c *counted) TransferError(err error) {
	if t, ok := c.inner.(gosftp.TransferError); ok {
		t.TransferError(err)
	}
}

type countedReader struct {
	io.ReaderAt
	counted
}

type countedWriter struct {
	io.WriterAt
	counted
}

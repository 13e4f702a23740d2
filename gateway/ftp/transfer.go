package ftp

import (
	"io"
	"sync"

	"github.com/oaq/custodia/storage"
)

// upload adapts a storage upload to ftpserverlib's FileTransfer. The
// library calls TransferError before Close when the transfer was aborted
// (ABOR, a dropped data connection): the upload is then discarded.
type upload struct {
	u    *storage.Upload
	done func()
	once sync.Once
}

func (t *upload) Write(p []byte) (int, error) {
	n, err := t.u.Write(p)
	return n, replyOf(err)
}

func (t *upload) Read([]byte) (int, error) { return 0, errNotReadable }

// Seek accepts only the position the upload is already at (REST+STOR
// opens the upload with the file's head kept up to that offset).
func (t *upload) Seek(off int64, whence int) (int64, error) {
	if whence == io.SeekStart && off == t.u.Size() {
		return off, nil
	}
	return 0, errSeek
}

func (t *upload) TransferError(err error) { t.u.TransferError(err) }

func (t *upload) Close() error {
	err := t.u.Close()
	t.once.Do(t.done)
	return replyOf(err)
}

// download adapts a storage download; Seek serves REST+RETR.
type download struct {
	d    *storage.Download
	off  int64
	done func()
	once sync.Once
}

func (t *download) Read(p []byte) (int, error) {
	n, err := t.d.ReadAt(p, t.off)
	t.off += int64(n)
	if err == io.EOF {
		return n, io.EOF
	}
	return n, replyOf(err)
}

func (t *download) Write([]byte) (int, error) { return 0, errNotWritable }

func (t *download) Seek(off int64, whence int) (int64, error) {
	if whence != io.SeekStart || off < 0 {
		return 0, errSeek
	}
	t.off = off
	return off, nil
}

func (t *download) TransferError(err error) { t.d.TransferError(err) }

func (t *download) Close() error {
	err := t.d.Close()
	t.once.Do(t.done)
	return replyOf(err)
}

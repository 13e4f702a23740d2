package ftp

import (
	"context"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/hex"
	"hash"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"github.com/spf13/afero"

	"github.com/oaq/custodia/storage"
)

// client is one logged-in session's filesystem: ftpserverlib's
// ClientDriver (an afero.Fs) and its extensions, each a translation to
// the storage view. It implements every method itself; the ones FTP never
// needs (SITE is off) refuse.
type client struct {
	ctx   context.Context // the connection's; cancelled when it ends
	view  *storage.View
	log   *slog.Logger
	track func() (done func()) // counts an open transfer for Shutdown
	// dataTLS reports whether data connections are TLS (PROT P, implicit).
	dataTLS func() bool
}

var (
	_ ftpserver.ClientDriver                      = (*client)(nil)
	_ ftpserver.ClientDriverExtensionFileList     = (*client)(nil)
	_ ftpserver.ClientDriverExtentionFileTransfer = (*client)(nil)
	_ ftpserver.ClientDriverExtensionRemoveDir    = (*client)(nil)
	_ ftpserver.ClientDriverExtensionHasher       = (*client)(nil)
)

// fail logs a failed operation once and returns the client's reply.
func (c *client) fail(action string, err error) error {
	if err != nil {
		c.log.Debug("ftp request failed", "action", action, "err", err)
	}
	return replyOf(err)
}

// Name names the filesystem.
func (c *client) Name() string { return "custodia" }

// Stat answers SIZE, MDTM, MLST, CWD and the checks before other commands.
func (c *client) Stat(name string) (fs.FileInfo, error) {
	fi, err := c.view.Stat(c.ctx, name)
	return fi, c.fail("stat", err)
}

// ReadDir answers LIST, NLST and MLSD.
func (c *client) ReadDir(name string) ([]fs.FileInfo, error) {
	fis, err := c.view.ReadDir(c.ctx, name)
	return fis, c.fail("list", err)
}

// Mkdir answers MKD.
func (c *client) Mkdir(name string, _ os.FileMode) error {
	return c.fail("mkdir", c.view.Mkdir(c.ctx, name))
}

// Remove answers DELE.
func (c *client) Remove(name string) error { return c.fail("delete", c.view.Remove(c.ctx, name)) }

// RemoveDir answers RMD.
func (c *client) RemoveDir(name string) error { return c.fail("rmdir", c.view.RemoveDir(c.ctx, name)) }

// Rename answers RNFR/RNTO. Like rename(2) on an FTP server's disk it
// replaces an existing file, which needs the right to overwrite it.
func (c *client) Rename(from, to string) error {
	return c.fail("rename", c.view.Rename(c.ctx, from, to, true))
}

// Chtimes answers MFMT.
func (c *client) Chtimes(name string, atime, mtime time.Time) error {
	return c.fail("chtimes", c.view.Chtimes(c.ctx, name, atime, mtime))
}

// GetHandle opens a transfer: RETR (with REST), STOR, REST+STOR and APPE.
func (c *client) GetHandle(name string, flags int, offset int64) (ftpserver.FileTransfer, error) {
	if flags&(os.O_WRONLY|os.O_RDWR) == 0 {
		d, err := c.view.Open(c.ctx, name)
		if err != nil {
			return nil, c.fail("read", err)
		}
		return &download{d: d, done: c.track()}, nil
	}
	var u *storage.Upload
	var err error
	switch {
	case flags&os.O_APPEND != 0:
		u, err = c.view.Append(c.ctx, name, -1)
	case offset > 0:
		u, err = c.view.Append(c.ctx, name, offset)
	default:
		u, err = c.view.Create(c.ctx, name)
	}
	if err != nil {
		return nil, c.fail("write", err)
	}
	return &upload{u: u, ctx: c.ctx, tls: c.dataTLS(), done: c.track()}, nil
}

// ComputeHash answers HASH and XSHA256/XSHA512 over a range of a file the
// user may read. The weak digests ftpserverlib also lists are refused.
func (c *client) ComputeHash(name string, algo ftpserver.HASHAlgo, start, end int64) (string, error) {
	var h hash.Hash
	switch algo {
	case ftpserver.HASHAlgoSHA256:
		h = sha256.New()
	case ftpserver.HASHAlgoSHA512:
		h = sha512.New()
	default:
		return "", errHashAlgo
	}
	if start < 0 || end < start {
		return "", errSeek
	}
	d, err := c.view.Open(c.ctx, name)
	if err != nil {
		return "", c.fail("hash", err)
	}
	defer d.Close()
	if _, err := io.Copy(h, io.NewSectionReader(d, start, end-start)); err != nil {
		d.TransferError(err)
		return "", c.fail("hash", err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// The rest of afero.Fs is never reached with SITE off and transfers going
// through GetHandle; each refuses.

// Create refuses: uploads go through GetHandle.
func (c *client) Create(string) (afero.File, error) { return nil, errUnsupported }

// Open refuses: downloads and listings go through GetHandle and ReadDir.
func (c *client) Open(string) (afero.File, error) { return nil, errUnsupported }

// OpenFile refuses: transfers go through GetHandle.
func (c *client) OpenFile(string, int, os.FileMode) (afero.File, error) {
	return nil, errUnsupported
}

// MkdirAll refuses (SITE MKDIR).
func (c *client) MkdirAll(string, os.FileMode) error { return errUnsupported }

// RemoveAll refuses (SITE RMDIR): folders are removed one by one, empty.
func (c *client) RemoveAll(string) error { return errUnsupported }

// Chmod refuses: modes are the gateway's.
func (c *client) Chmod(string, os.FileMode) error { return errUnsupported }

// Chown refuses: owners are the gateway's.
func (c *client) Chown(string, int, int) error { return errUnsupported }

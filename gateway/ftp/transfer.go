package ftp

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"sync"
	"sync/atomic"

	"github.com/oaq/custodia/gateway"
	"github.com/oaq/custodia/storage"
)

// Why an upload is not complete; the text reaches the client in the
// transfer's reply and the audit row's reason.
var (
	errNoCloseNotify = &reply{text: "Transfer aborted: the data connection ended without a TLS close"}
	errUnverified    = &reply{text: "Transfer aborted: its end could not be verified"}
	errActiveTLS     = &reply{text: "Transfer aborted: uploads over TLS need a passive data connection (EPSV or PASV)"}
	errSessionEnded  = &reply{text: "Transfer aborted: the control connection ended"}
)

// upload adapts a storage upload to ftpserverlib's FileTransfer. The
// library calls TransferError before Close when it sees a transfer fail
// (ABOR, a read error on the data connection), but it takes an EOF from
// the data connection as the end of the file, and crypto/tls returns a
// plain io.EOF both for a close_notify and for a TCP FIN at a record
// boundary (conn.go accepts the latter "because popular web sites do
// this"). A client killed between two records would leave its partial
// file visible. So an upload is complete only when
//   - its bytes came through ReadFrom (ftpserverlib's io.Copy from the
//     data connection calls it), which checks how the connection ended:
//     over TLS only a received close_notify ends a file (the connection
//     under TLS must not have read the peer's FIN, see quickAckConn); in
//     clear text FTP the FIN is the only end there is;
//   - and the session is still there when the library closes the upload
//     (a control connection gone mid-transfer aborts it).
//
// Anything else is an aborted upload: Close discards it.
type upload struct {
	u        *storage.Upload
	ctx      context.Context // the session's; done when the control connection ends
	tls      bool            // the data connection must be TLS (PROT P or implicit)
	complete atomic.Bool     // ReadFrom saw the transfer end as a finished one does
	done     func()
	once     sync.Once
}

// ReadFrom copies the data connection into the upload and checks how the
// connection ended.
func (t *upload) ReadFrom(r io.Reader) (int64, error) {
	n, err := gateway.Copy(writerOnly{t}, r)
	if err == nil {
		err = t.endOf(r)
	}
	if err != nil {
		t.u.TransferError(err)
		return n, err
	}
	t.complete.Store(true)
	return n, nil
}

// peerEnderOf finds the peerEnder under c (a PROXY protocol connection
// wraps it), if any.
func peerEnderOf(c net.Conn) (peerEnder, bool) {
	for c != nil {
		if pe, ok := c.(peerEnder); ok {
			return pe, true
		}
		u, ok := c.(interface{ NetConn() net.Conn })
		if !ok {
			break
		}
		c = u.NetConn()
	}
	return nil, false
}

// endOf says whether the data connection r, which has just returned EOF,
// ended the way a finished transfer ends.
func (t *upload) endOf(r io.Reader) error {
	tc, ok := r.(*tls.Conn)
	switch {
	case !ok && t.tls:
		return errUnverified // TLS expected, something else read: no proof
	case !ok:
		return nil // clear text: stream mode ends with the FIN
	}
	dc, ok := peerEnderOf(tc.NetConn())
	switch {
	case !ok:
		return errActiveTLS // a connection ftpserverlib dialed (PORT/EPRT): not observable
	case dc.peerEnded():
		return errNoCloseNotify
	}
	return nil
}

// writerOnly hides upload's ReadFrom from io.Copy.
type writerOnly struct{ io.Writer }

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

// Close finishes the upload if it is complete and discards it otherwise.
func (t *upload) Close() error {
	switch {
	case t.ctx.Err() != nil:
		t.u.TransferError(errSessionEnded)
	case !t.complete.Load():
		t.u.TransferError(errUnverified)
	}
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

// WriteTo sends the download to the data connection: ftpserverlib's
// io.Copy hands it here, to copy through a shared buffer.
func (t *download) WriteTo(w io.Writer) (int64, error) {
	return gateway.Copy(w, readerOnly{t})
}

// readerOnly hides download's WriteTo from io.Copy.
type readerOnly struct{ io.Reader }

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

package ftp

import (
	"errors"
	"io"
	"net"
	"sync/atomic"
	"syscall"
	"time"

	ftpserver "github.com/fclairamb/ftpserverlib"
	"golang.org/x/sys/unix"
)

var _ ftpserver.MainDriverExtensionPassiveWrapper = (*driver)(nil)

// passivePace is how long the PASV/EPSV reply waits. curl 7.88 (Debian
// 12) reads a reply that arrives within microseconds of the command in the
// same step as it sends the command, and then does not start the data
// connection until its 1 s poll timeout: each file of a multi-file upload
// stalled 1 s (445 ms per file on average over loopback, 30 files of 4 KiB).
// A reply that comes while curl already polls the control connection is
// handled at once. curl takes up to about 200 µs between sending the
// command and its first read (250 µs seen, and one stall in 2,000 files
// with a 100 µs pause); 300 µs leaves a margin and costs a fast client
// 0.3 ms per transfer. A curl that is descheduled inside that window still
// stalls, whatever the pause: here, on a shared 2-core machine, about one
// file in 5,000 at 300 µs, and runs with the 1 ms pause stalled too.
const passivePace = 300 * time.Microsecond

// pace sleeps d on the calling thread. time.Sleep would not do: the Go
// runtime rounds a sleep under a millisecond up to its poller's 1 ms
// timeout whenever it has nothing else to run, so every pause would last
// about 1.1 ms (the pause was 1 ms until this was noticed).
func pace(d time.Duration) {
	ts := unix.NsecToTimespec(int64(d))
	for unix.Nanosleep(&ts, &ts) == unix.EINTR {
	}
}

// WrapPassiveListener runs for every PASV and EPSV before the reply is
// written: it paces the reply, acknowledges data at once on the data
// connections it accepts and notes how their peer ended them (peerEnder).
// Behind a proxy (PROXY protocol), each data connection is seen as the
// client its header names (Core.DataListener), so ftpserverlib's check
// that it comes from the control connection's client compares clients.
func (d *driver) WrapPassiveListener(l net.Listener) (net.Listener, error) {
	pace(passivePace)
	return d.s.o.Core.DataListener(quickAckListener{l}), nil
}

// quickAckListener accepts data connections that acknowledge every read at
// once (TCP_QUICKACK). A client that leaves Nagle's algorithm on (Python's
// ftplib, many Windows clients) holds back its last small segment, the TLS
// close_notify, until the previous one is acknowledged, and Linux delays
// that acknowledgement up to 40 ms: 45 ms per file with ftplib, 2.4 ms with
// quick acknowledgements. Linux leaves quick-ack mode on its own, so it is
// set again before every read.
type quickAckListener struct{ net.Listener }

func (l quickAckListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return c, err
	}
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return c, nil
	}
	rc, err := tc.SyscallConn()
	if err != nil {
		return c, nil
	}
	return &quickAckConn{TCPConn: tc, raw: rc}, nil
}

type quickAckConn struct {
	*net.TCPConn
	raw   syscall.RawConn
	ended atomic.Bool
}

func (c *quickAckConn) Read(p []byte) (int, error) {
	c.raw.Control(func(fd uintptr) {
		unix.SetsockoptInt(int(fd), unix.IPPROTO_TCP, unix.TCP_QUICKACK, 1)
	})
	n, err := c.TCPConn.Read(p)
	if errors.Is(err, io.EOF) {
		c.ended.Store(true)
	}
	return n, err
}

// peerEnded reports whether the peer's FIN was read. Under TLS, crypto/tls
// reads no further once a close_notify arrived, so a FIN read here means
// the client ended the connection without one.
func (c *quickAckConn) peerEnded() bool { return c.ended.Load() }

// peerEnder is a data connection that notes how its peer ended it.
type peerEnder interface{ peerEnded() bool }

// Package clamd speaks the wire protocol of clamd, ClamAV's daemon:
// INSTREAM scans of a byte stream and PING, over a Unix socket or TCP.
// The protocol is a command ending in NUL, then for INSTREAM chunks each
// led by its length as a 4-byte big-endian number and a zero length to
// end, then one reply ending in NUL: "stream: OK", "stream: <name> FOUND"
// or "<message> ERROR". No maintained Go client was worth a dependency
// for these hundred lines.
package clamd

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"
)

var (
	// ErrUnavailable wraps every failure to reach clamd or to talk to it.
	ErrUnavailable = errors.New("clamd unreachable")
	// ErrTooLarge is clamd refusing a stream longer than its
	// StreamMaxLength.
	ErrTooLarge = errors.New("stream longer than clamd's StreamMaxLength")
)

// chunkSize is the size of one INSTREAM chunk.
const chunkSize = 256 << 10

// maxReply bounds the reply read from clamd.
const maxReply = 4 << 10

// Client scans through one clamd. It holds no connection between calls:
// clamd serves one command per connection here, and a client is safe for
// concurrent use.
type Client struct {
	network, address string
	timeout          time.Duration
}

// ParseAddress splits "unix:/run/clamav/clamd.ctl" or
// "tcp:127.0.0.1:3310" into a network and an address for net.Dial.
func ParseAddress(addr string) (network, address string, err error) {
	network, address, ok := strings.Cut(addr, ":")
	switch {
	case !ok || address == "":
	case network == "unix" && strings.HasPrefix(address, "/"):
		return network, address, nil
	case network == "tcp":
		if _, port, err := net.SplitHostPort(address); err == nil && port != "" {
			return network, address, nil
		}
	}
	return "", "", fmt.Errorf("%q: want unix:/path/to/clamd.socket or tcp:host:port", addr)
}

// New returns a client of the clamd at addr (see ParseAddress); each call
// must finish within timeout, from the dial to the verdict.
func New(addr string, timeout time.Duration) (*Client, error) {
	network, address, err := ParseAddress(addr)
	if err != nil {
		return nil, err
	}
	if timeout <= 0 {
		return nil, fmt.Errorf("clamd: timeout %v: must be positive", timeout)
	}
	return &Client{network: network, address: address, timeout: timeout}, nil
}

// String names the clamd, for logs.
func (c *Client) String() string { return c.network + ":" + c.address }

// Ping checks that clamd answers.
func (c *Client) Ping(ctx context.Context) error {
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if _, err := conn.Write([]byte("zPING\x00")); err != nil {
		return c.unavailable(err)
	}
	reply, err := readReply(conn)
	if err != nil {
		return c.unavailable(err)
	}
	if reply != "PONG" {
		return fmt.Errorf("clamd: PING answered %q", reply)
	}
	return nil
}

// Scan streams r to clamd and returns the name of the signature it
// matched, or "" when clamd found nothing. An error means r was not
// scanned: ErrUnavailable (wrapped) when clamd could not be reached or
// stopped answering, ErrTooLarge, or clamd's own error.
func (c *Client) Scan(ctx context.Context, r io.Reader) (string, error) {
	conn, stop, err := c.dial(ctx)
	if err != nil {
		return "", err
	}
	defer stop()
	if err := stream(conn, r); err != nil {
		var rerr *readError
		if errors.As(err, &rerr) {
			return "", fmt.Errorf("clamd: read the data to scan: %w", rerr.err)
		}
		// clamd closes the connection when the stream passes its
		// StreamMaxLength, after saying so: read what it said.
		if reply, rerr := readReply(conn); rerr == nil {
			return parse(reply)
		}
		return "", c.unavailable(err)
	}
	reply, err := readReply(conn)
	if err != nil {
		return "", c.unavailable(err)
	}
	return parse(reply)
}

// dial connects with the call's deadline set on the connection; stop
// closes it. A cancelled ctx ends a call in progress.
func (c *Client) dial(ctx context.Context) (net.Conn, func(), error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	var d net.Dialer
	conn, err := d.DialContext(ctx, c.network, c.address)
	if err != nil {
		cancel()
		return nil, nil, c.unavailable(err)
	}
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	unwatch := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
	return conn, func() { unwatch(); conn.Close(); cancel() }, nil
}

func (c *Client) unavailable(err error) error {
	if errors.Is(err, context.DeadlineExceeded) || isTimeout(err) {
		return fmt.Errorf("%w: %s: no answer within %v", ErrUnavailable, c, c.timeout)
	}
	return fmt.Errorf("%w: %s: %v", ErrUnavailable, c, err)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// readError is a failure to read the data to scan, not to talk to clamd.
type readError struct{ err error }

func (e *readError) Error() string { return e.err.Error() }

// stream sends INSTREAM with r's bytes in chunks, and the end mark.
func stream(w io.Writer, r io.Reader) error {
	if _, err := w.Write([]byte("zINSTREAM\x00")); err != nil {
		return err
	}
	buf := make([]byte, 4+chunkSize)
	for {
		n, err := io.ReadFull(r, buf[4:])
		if n > 0 {
			binary.BigEndian.PutUint32(buf, uint32(n))
			if _, werr := w.Write(buf[:4+n]); werr != nil {
				return werr
			}
		}
		if err == io.EOF || err == io.ErrUnexpectedEOF {
			break
		}
		if err != nil {
			return &readError{err}
		}
	}
	_, err := w.Write([]byte{0, 0, 0, 0})
	return err
}

// readReply reads one reply up to its NUL (or the end of the
// connection), at most maxReply bytes.
func readReply(r io.Reader) (string, error) {
	b, err := bufio.NewReader(io.LimitReader(r, maxReply)).ReadBytes(0)
	if err != nil && (err != io.EOF || len(b) == 0) {
		return "", err
	}
	return string(bytes.TrimRight(b, "\x00\n")), nil
}

// parse reads an INSTREAM reply.
func parse(reply string) (string, error) {
	switch {
	case reply == "stream: OK":
		return "", nil
	case strings.HasPrefix(reply, "stream: ") && strings.HasSuffix(reply, " FOUND"):
		name := strings.TrimSuffix(strings.TrimPrefix(reply, "stream: "), " FOUND")
		if name == "" || !printable(name) {
			return "", fmt.Errorf("clamd: unreadable signature name in %q", reply)
		}
		return name, nil
	case strings.Contains(reply, "size limit exceeded"):
		return "", ErrTooLarge
	case strings.HasSuffix(reply, " ERROR"):
		return "", fmt.Errorf("clamd: %s", strings.TrimSuffix(reply, " ERROR"))
	}
	return "", fmt.Errorf("clamd: unexpected reply %q", reply)
}

// printable says whether a signature name is plain printable ASCII, as
// ClamAV's names are; it goes into audit rows and logs.
func printable(s string) bool {
	if len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

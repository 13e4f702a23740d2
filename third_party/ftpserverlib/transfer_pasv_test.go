package ftpserver

import (
	"crypto/tls"
	"errors"
	"io"
	"log/slog"
	"net"
	"os"
	"testing"
	"time"
)

// newAcceptingHandler is a passive transfer handler over TLS on loopback,
// accepting as handlePASV leaves it.
func newAcceptingHandler(t *testing.T) *passiveTransferHandler {
	t.Helper()

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}

	p := &passiveTransferHandler{
		listener:      tls.NewListener(l, &tls.Config{MinVersion: tls.VersionTLS12}),
		settings:      &Settings{},
		logger:        slog.New(slog.DiscardHandler),
		checkDataConn: func(net.IP, DataChannel) error { return nil },
		ready:         make(chan struct{}),
	}
	go p.accept()

	return p
}

// The data connection is accepted before its TLS handshake completes (a
// client may start TLS only after the 150 reply), ConnectionWait gives up
// after its wait, and Close ends an accept or a handshake under way.
func TestPassiveTransferHandlerAcceptsEarly(t *testing.T) {
	t.Parallel()

	t.Run("no connection", func(t *testing.T) {
		t.Parallel()

		p := newAcceptingHandler(t)
		if _, err := p.ConnectionWait(10 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("ConnectionWait with no client: %v, want a timeout", err)
		}

		p.Close() //nolint:errcheck,gosec // returns once the accept ended

		if _, err := p.ConnectionWait(time.Second); err == nil {
			t.Fatal("ConnectionWait after Close found a connection")
		}
	})

	t.Run("no ClientHello", func(t *testing.T) {
		t.Parallel()

		p := newAcceptingHandler(t)

		client, err := net.Dial("tcp", p.listener.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer client.Close()

		if _, err := p.ConnectionWait(5 * time.Second); err != nil {
			t.Fatalf("a connection whose TLS handshake has not begun was not accepted: %v", err)
		}

		p.Close() //nolint:errcheck,gosec

		if err := client.SetReadDeadline(time.Now().Add(5 * time.Second)); err != nil {
			t.Fatal(err)
		}

		if _, err := client.Read(make([]byte, 1)); !errors.Is(err, io.EOF) {
			t.Fatalf("after Close the server's side of the handshake is still open: %v", err)
		}
	})
}

package gateway

import (
	"context"
	"errors"
	"io"
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// listenLocal is a real listener on a free loopback port, closed at the
// end of the test.
func listenLocal(t *testing.T) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// echoServe accepts on ln until it fails, echoing each connection in a
// goroutine owned by c; after the echo ends, the goroutine lingers a
// little and then counts itself in ended.
func echoServe(c *Conns, ln net.Listener, ended *atomic.Int32) {
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.Go(func() {
				defer conn.Close()
				io.Copy(conn, conn)
				time.Sleep(50 * time.Millisecond)
				ended.Add(1)
			})
		}
	}()
}

// dialEcho connects and checks one round trip.
func dialEcho(t *testing.T, addr net.Addr) net.Conn {
	t.Helper()
	conn, err := net.Dial("tcp", addr.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	echo(t, conn)
	return conn
}

func echo(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Write([]byte("x")); err != nil {
		t.Fatalf("the connection from %s cannot write: %v", conn.LocalAddr(), err)
	}
	b := make([]byte, 1)
	if _, err := io.ReadFull(conn, b); err != nil {
		t.Fatalf("the connection from %s gets no echo: %v", conn.LocalAddr(), err)
	}
}

// closedByServer checks that the server closed conn.
func closedByServer(t *testing.T, conn net.Conn) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := conn.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !isReset(err) {
		t.Fatalf("the connection from %s is still open (read: %v)", conn.LocalAddr(), err)
	}
}

// shortly is a context that ends after five seconds, so that a broken
// Shutdown fails the test instead of hanging it.
func shortly(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func isReset(err error) bool {
	var ne *net.OpError
	return errors.As(err, &ne) && !ne.Timeout()
}

func TestConnsShutdownClosesConnsAndWaitsForGoroutines(t *testing.T) {
	t.Parallel()
	var c Conns
	ln, err := c.Listen(listenLocal(t))
	if err != nil {
		t.Fatal(err)
	}
	var ended atomic.Int32
	echoServe(&c, ln, &ended)
	a, b := dialEcho(t, c.Addr()), dialEcho(t, c.Addr())

	if err := c.Shutdown(shortly(t)); err != nil {
		t.Fatalf("Shutdown with two open connections: %v", err)
	}
	if n := ended.Load(); n != 2 {
		t.Fatalf("Shutdown returned while %d of 2 connection goroutines still ran", 2-n)
	}
	closedByServer(t, a)
	closedByServer(t, b)
	if _, err := net.DialTimeout("tcp", c.Addr().String(), time.Second); err == nil {
		t.Error("the listener still accepts after Shutdown")
	}
}

func TestConnsWaitEndsWithContext(t *testing.T) {
	t.Parallel()
	var c Conns
	done := c.Hold()
	defer done()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := c.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with work held past its deadline returned %v, want the deadline", err)
	}
	done()
	done() // a second call is harmless
	if err := c.Wait(shortly(t)); err != nil {
		t.Fatalf("Wait once the hold is done: %v", err)
	}
}

// keepOpen is a listener that Close leaves open, so that a connection can
// reach Accept after the tracker shut down.
type keepOpen struct{ net.Listener }

func (keepOpen) Close() error { return nil }

func TestConnsRefusesAConnectionAcceptedAfterShutdown(t *testing.T) {
	t.Parallel()
	var c Conns
	ln, err := c.Listen(keepOpen{listenLocal(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Shutdown(shortly(t)); err != nil {
		t.Fatal(err)
	}
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	got, err := ln.Accept()
	if !errors.Is(err, net.ErrClosed) {
		if got != nil {
			got.Close()
		}
		t.Fatalf("Accept after Shutdown returned (%v, %v), want net.ErrClosed", got, err)
	}
	closedByServer(t, conn)
	if !c.Closed() {
		t.Error("Closed is false after Shutdown")
	}
	// A front end shut down before it started holds no port: Listen
	// closes the listener it is given.
	late, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Listen(late); !errors.Is(err, net.ErrClosed) {
		t.Errorf("Listen after Shutdown returned %v, want net.ErrClosed", err)
	}
	if conn, err := net.DialTimeout("tcp", late.Addr().String(), time.Second); err == nil {
		conn.Close()
		late.Close()
		t.Error("the listener given to Listen after Shutdown still accepts connections")
	}
}

func TestConnsCloseRemoteClosesOnlyThatConnection(t *testing.T) {
	t.Parallel()
	var c Conns
	ln, err := c.Listen(listenLocal(t))
	if err != nil {
		t.Fatal(err)
	}
	var ended atomic.Int32
	echoServe(&c, ln, &ended)
	kicked, kept := dialEcho(t, c.Addr()), dialEcho(t, c.Addr())

	c.CloseRemote(kicked.LocalAddr()) // the server sees the client's local address as remote
	closedByServer(t, kicked)
	echo(t, kept)
	c.CloseRemote(nil)
	c.CloseRemote(&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 1})
	echo(t, kept)

	if err := c.Shutdown(shortly(t)); err != nil {
		t.Fatal(err)
	}
	closedByServer(t, kept)
}

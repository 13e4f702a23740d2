package gateway

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net/http"
	"testing"
	"time"
)

// serveKey marks the context Serve was given.
type serveKey struct{}

// startHTTP runs srv.Serve on a free loopback port under a context that
// carries serveKey; the channel gets Serve's result.
func startHTTP(t *testing.T, srv *HTTPServer) <-chan error {
	t.Helper()
	ln := listenLocal(t)
	ctx := context.WithValue(context.Background(), serveKey{}, "serve")
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ctx, ln) }()
	t.Cleanup(func() { srv.Shutdown(shortly(t)) })
	for srv.Addr() == nil {
		time.Sleep(time.Millisecond)
	}
	return served
}

// fromServe answers 200 when the request runs under Serve's context.
func fromServe(w http.ResponseWriter, r *http.Request) {
	if r.Context().Value(serveKey{}) == nil {
		http.Error(w, "not under Serve's context", http.StatusInternalServerError)
		return
	}
	io.WriteString(w, "ok")
}

func get(t *testing.T, c *http.Client, url string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s %s", url, resp.Status, body)
	}
}

func TestHTTPServerServeReturnsNilAfterShutdown(t *testing.T) {
	t.Parallel()
	srv := NewHTTPServer(HTTPOptions{Handler: http.HandlerFunc(fromServe), ReadHeaderTimeout: time.Second})
	served := startHTTP(t, srv)
	get(t, &http.Client{Timeout: 5 * time.Second}, "http://"+srv.Addr().String()+"/")

	if err := srv.Shutdown(shortly(t)); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve after Shutdown returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve still runs after Shutdown")
	}
}

func TestHTTPServerShutdownBeforeServe(t *testing.T) {
	t.Parallel()
	srv := NewHTTPServer(HTTPOptions{Handler: http.HandlerFunc(fromServe)})
	if err := srv.Shutdown(shortly(t)); err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(context.Background(), listenLocal(t)) }()
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("Serve after Shutdown returned %v, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Serve after Shutdown does not return")
	}
}

func TestHTTPServerShutdownClosesWhatOutlivesItsContext(t *testing.T) {
	t.Parallel()
	entered, left := make(chan struct{}), make(chan struct{})
	srv := NewHTTPServer(HTTPOptions{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(entered)
		<-r.Context().Done() // until the connection is closed
		close(left)
	})})
	startHTTP(t, srv)
	go func() {
		c := &http.Client{Timeout: 10 * time.Second}
		if resp, err := c.Get("http://" + srv.Addr().String() + "/"); err == nil {
			resp.Body.Close()
		}
	}()
	<-entered
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := srv.Shutdown(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown with a request outliving its context returned %v, want the deadline", err)
	}
	select {
	case <-left:
	case <-time.After(5 * time.Second):
		t.Fatal("the request outliving Shutdown's context still runs: its connection was not closed")
	}
}

func TestHTTPServerServesTLS(t *testing.T) {
	t.Parallel()
	cert, err := LoadCertificate("", "", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	srv := NewHTTPServer(HTTPOptions{Handler: http.HandlerFunc(fromServe), TLS: TLSConfig(cert.Certificate), ReadHeaderTimeout: time.Second})
	startHTTP(t, srv)

	roots := x509.NewCertPool()
	roots.AddCert(cert.Leaf)
	c := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: roots}}}
	t.Cleanup(c.CloseIdleConnections)
	get(t, c, "https://"+srv.Addr().String()+"/")
}

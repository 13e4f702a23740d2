package gateway

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"testing"
	"time"
)

// TestBodyWatchdogKeepsHandlersCut: a handler that cuts its connection's
// reads (a kick sets a read deadline in the past) and returns with most of
// the body unread keeps its cut: net/http's discard of the rest fails at
// once and the connection closes after the reply, instead of the watchdog
// giving the client another BodyReadTimeout to send the rest.
func TestBodyWatchdogKeepsHandlersCut(t *testing.T) {
	t.Parallel()
	srv := NewHTTPServer(HTTPOptions{BodyReadTimeout: time.Minute, ReadHeaderTimeout: 10 * time.Second,
		Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, err := io.ReadFull(r.Body, make([]byte, 1)); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			http.NewResponseController(w).SetReadDeadline(time.Unix(1, 0)) // as a kick does
			w.WriteHeader(http.StatusAccepted)
		})})
	startHTTP(t, srv)
	c, err := net.Dial("tcp", srv.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// One byte of a ten-byte body; the other nine never come.
	if _, err := io.WriteString(c, "PUT /f HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\nA"); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no reply within 10 s after the handler cut its reads (the watchdog gave the unread body a minute): %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusAccepted || !resp.Close {
		t.Errorf("reply %s, close %v; want 202 and the connection closed", resp.Status, resp.Close)
	}
}

package gateway

import (
	"errors"
	"io"
	"net/http"
	"sync"
	"time"
)

// bodyDeadlines bounds the reads of a request body (see
// HTTPOptions.BodyReadTimeout): while the handler runs, a watchdog cuts
// the connection's reads short when no byte arrived for d; once it
// returns, what is left of an unread body (net/http discards it before
// the next request) gets d in all. The watchdog only ever moves the
// deadline into the past, and the handler's writer notes a read deadline
// the handler sets in the past (a kick's cut): then the rest of the body
// gets no more time, so the watchdog never undoes the cut. Requests
// without a body keep the connection's deadlines untouched: net/http's
// background read of the connection must not time out under a long
// download.
func bodyDeadlines(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.ContentLength == 0 || r.Body == nil || r.Body == http.NoBody {
			h.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		b := &deadlineBody{ReadCloser: r.Body, rc: rc, d: d}
		b.timer = time.AfterFunc(d, b.expire)
		r2 := r.WithContext(r.Context()) // net/http discards what is left of r's own body
		r2.Body = b
		h.ServeHTTP(cutWriter{ResponseWriter: w, b: b}, r2)
		if !b.stop() && !b.wasCut() {
			rc.SetReadDeadline(time.Now().Add(d))
		}
	})
}

// cutWriter is the handler's ResponseWriter: it notes a read deadline the
// handler sets in the past (http.ResponseController finds
// SetReadDeadline here, and everything else through Unwrap).
type cutWriter struct {
	http.ResponseWriter
	b *deadlineBody
}

func (w cutWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w cutWriter) SetReadDeadline(t time.Time) error {
	w.b.mu.Lock()
	defer w.b.mu.Unlock()
	if !t.IsZero() && !t.After(time.Now()) {
		w.b.cut = true
	}
	return w.b.rc.SetReadDeadline(t)
}

// deadlineBody is a request body under a watchdog.
type deadlineBody struct {
	io.ReadCloser
	rc    *http.ResponseController
	d     time.Duration
	timer *time.Timer

	mu      sync.Mutex
	stopped bool
	ended   bool // the body reached its end (or failed): net/http reads the connection now
	cut     bool // the handler set a read deadline in the past
}

// wasCut reports whether the handler cut the connection's reads.
func (b *deadlineBody) wasCut() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.cut
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.d)
	}
	if err != nil {
		b.mu.Lock()
		b.ended = b.ended || errors.Is(err, io.EOF)
		b.mu.Unlock()
		b.stop()
	}
	return n, err
}

// expire cuts the connection's reads short: no byte came for d.
func (b *deadlineBody) expire() {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.stopped {
		b.rc.SetReadDeadline(time.Unix(1, 0))
	}
}

// stop ends the watchdog and reports whether the body was read to its end.
func (b *deadlineBody) stop() (ended bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.stopped = true
	b.timer.Stop()
	return b.ended
}

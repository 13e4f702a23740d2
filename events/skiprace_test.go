package events_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oaq/custodia/events"
	"github.com/oaq/custodia/store"
)

// TestSkipWhileATryIsInFlight: an administrator skips the event a webhook
// is stuck on while the dispatcher's next try is waiting for the
// receiver. When that try then succeeds, the event was delivered: no dead
// letter stays for a retry to send it twice. When it fails, the hook
// shows no failing event (the cursor is past it) and a second skip finds
// nothing to skip.
func TestSkipWhileATryIsInFlight(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		late int // the answer to the try in flight
	}{{"delivered", http.StatusOK}, {"failed", http.StatusServiceUnavailable}} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			e := newHookEnv(t)
			// The receiver fails the first try, holds the second until the
			// test lets it go, and holds the next event's try until the end.
			inFlight, next := make(chan struct{}, 1), make(chan struct{}, 1)
			release, end := make(chan struct{}), make(chan struct{})
			var tries atomic.Int32
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				io.Copy(io.Discard, r.Body)
				switch tries.Add(1) {
				case 1:
					w.WriteHeader(http.StatusServiceUnavailable)
				case 2:
					inFlight <- struct{}{}
					<-release
					w.WriteHeader(tc.late)
				default:
					select {
					case next <- struct{}{}:
					default:
					}
					<-end
				}
			}))
			t.Cleanup(rc.Close)
			var once sync.Once
			letGo := func() { once.Do(func() { close(release) }) }
			t.Cleanup(func() { letGo(); close(end) }) // before rc.Close, which waits for the handlers
			e.start(t, events.Hook{Name: "web", URL: rc.URL, Secret: "web-secret-0123456789",
				Timeout: 30 * time.Second, Backoff: 10 * time.Millisecond})
			e.audit(t, entry("juan", store.RoleCorrespondent, "write", "/dossiers/ACME/a.pdf"),
				entry("juan", store.RoleCorrespondent, "write", "/dossiers/ACME/b.pdf"))
			wait := func(ch chan struct{}, what string) {
				t.Helper()
				select {
				case <-ch:
				case <-time.After(20 * time.Second):
					t.Fatalf("%s never came", what)
				}
			}
			wait(inFlight, "the first event's second try")
			seq, err := e.st.HookSkip(ctx, "web")
			if err != nil {
				t.Fatalf("skip while the second try is in flight: %v", err)
			}
			letGo()
			// The hook went on to the next event: the late outcome is recorded.
			wait(next, "the next event's try")
			c, err := e.st.HookCursor(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			ds, err := e.st.DeadLetters(ctx, "web")
			if err != nil {
				t.Fatal(err)
			}
			if c.LastID != seq || c.Attempts != 0 || c.LastError != "" {
				t.Errorf("after the skipped event's late outcome the hook shows %+v: want it past %d with no failing try", c, seq)
			}
			if again, err := e.st.HookSkip(ctx, "web"); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("a second skip: %d, %v; want nothing to skip", again, err)
			}
			if tc.late == http.StatusOK {
				if len(ds) != 0 {
					t.Errorf("the skipped event was delivered by the try in flight, but dead letters %+v stay "+
						"(a retry would send it twice)", ds)
				}
				return
			}
			if len(ds) != 1 || ds[0].Seq != seq {
				t.Errorf("dead letters %+v, want the skipped event %d", ds, seq)
			}
			if c.Failures != 2 {
				t.Errorf("the hook counts %d failures, want both failed tries", c.Failures)
			}
		})
	}
}

package webdav

import (
	"context"
	"errors"
	"testing"
	"time"

	"golang.org/x/net/webdav"
)

// A request waits for another request's lock on the same resource until
// it is released, and no longer than the wait: then it is 423 Locked.
func TestTakeTempWaitsForTheReleaseThenGivesUp(t *testing.T) {
	t.Parallel()
	l := newLocks(nil)
	l.wait = 100 * time.Millisecond
	d := webdav.LockDetails{Root: "/operaciones/acta.docx", Duration: -1, ZeroDepth: true}
	ctx := context.Background()
	held, err := l.takeTemp(ctx, d, true)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if _, err := l.takeTemp(ctx, d, true); !errors.Is(err, webdav.ErrLocked) {
		t.Fatalf("taking a held lock: %v, want ErrLocked once the wait has passed", err)
	}
	if waited := time.Since(start); waited < l.wait {
		t.Errorf("gave up after %v, before the wait of %v", waited, l.wait)
	}
	l.wait = time.Minute
	got := make(chan error, 1)
	go func() {
		_, err := l.takeTemp(ctx, d, true)
		got <- err
	}()
	time.Sleep(50 * time.Millisecond)
	if err := l.releaseTemp(held); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-got:
		if err != nil {
			t.Errorf("after the release: %v, want the lock", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("a waiting request was not woken by the release")
	}
	if _, err := l.takeTemp(ctx, d, false); !errors.Is(err, webdav.ErrLocked) {
		t.Errorf("without waiting, a held lock: %v, want ErrLocked at once", err)
	}
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := l.takeTemp(cancelled, d, true); !errors.Is(err, context.Canceled) {
		t.Errorf("a request whose client has gone: %v, want context.Canceled", err)
	}
}

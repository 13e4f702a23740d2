package events_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oaq/custodia/events"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// tally records which gateway took which event, in order.
type tally struct {
	mu   sync.Mutex
	got  []string // event ids, in delivery order
	by   map[string][]string
	hold func(ctx context.Context, gw string, e events.Event) error // nil: take at once
}

func (t *tally) receiver(gw string) events.Receiver {
	return receiverFunc(func(ctx context.Context, e events.Event) error {
		if t.hold != nil {
			if err := t.hold(ctx, gw, e); err != nil {
				return err
			}
		}
		t.mu.Lock()
		defer t.mu.Unlock()
		t.got = append(t.got, e.ID)
		t.by[e.ID] = append(t.by[e.ID], gw)
		return nil
	})
}

func (t *tally) count() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.by)
}

type receiverFunc func(ctx context.Context, e events.Event) error

func (f receiverFunc) Deliver(ctx context.Context, e events.Event) error { return f(ctx, e) }

// runDispatcher runs a dispatcher named gw until the returned stop is
// called (or the test ends).
func runDispatcher(t *testing.T, st *store.Store, gw string, ttl time.Duration, hooks ...events.Hook) (stop func()) {
	t.Helper()
	d := events.New(events.Options{Store: st, Hooks: hooks, Poll: 5 * time.Millisecond, Holder: gw, LeaseTTL: ttl})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { d.Run(ctx); close(done) }()
	var once sync.Once
	stop = func() { once.Do(func() { cancel(); <-done }) }
	t.Cleanup(stop)
	return stop
}

// Two gateways' dispatchers over one store deliver each event to a hook
// exactly once, in order, while both are alive: the hook's lease lets
// one deliver at a time, and it is renewed while it works.
func TestTwoDispatchersDeliverEachEventOnce(t *testing.T) {
	t.Parallel()
	e := newHookEnv(t)
	tl := &tally{by: map[string][]string{}, hold: func(ctx context.Context, gw string, ev events.Event) error {
		time.Sleep(2 * time.Millisecond) // a receiver that takes a moment: the lease is renewed meanwhile
		return nil
	}}
	if _, err := e.st.HookCursor(context.Background(), "archive"); err != nil {
		t.Fatal(err)
	}
	const ttl = time.Second
	runDispatcher(t, e.st, "gw1", ttl, events.Hook{Name: "archive", Receiver: tl.receiver("gw1"), Timeout: time.Minute})
	runDispatcher(t, e.st, "gw2", ttl, events.Hook{Name: "archive", Receiver: tl.receiver("gw2"), Timeout: time.Minute})
	const n = 150
	for i := range n {
		e.audit(t, store.AuditEntry{User: "juan", Action: "write", VPath: fmt.Sprintf("/ACME/%03d.pdf", i), Result: store.ResultOK})
	}
	testkit.WaitFor(t, 30*time.Second, "the two dispatchers did not deliver every event", func() bool { return tl.count() >= n })
	evs, err := e.st.EventsAfter(context.Background(), 0, 2*n)
	if err != nil {
		t.Fatal(err)
	}
	tl.mu.Lock()
	defer tl.mu.Unlock()
	for i, ev := range evs {
		if gws := tl.by[ev.ID]; len(gws) != 1 {
			t.Errorf("event %d (%s) was delivered by %v, want exactly once", i, ev.VPath, gws)
		}
	}
	if len(tl.got) != len(evs) {
		t.Fatalf("the hook took %d deliveries of %d events", len(tl.got), len(evs))
	}
	for i, ev := range evs {
		if tl.got[i] != ev.ID {
			t.Fatalf("delivery %d is %s, want event %s (%s): out of order", i, tl.got[i], ev.ID, ev.VPath)
		}
	}
}

// A gateway that dies in the middle of a delivery (its database gone: it
// stops renewing the hook's lease) loses nothing: once its lease expires
// another gateway takes the hook over from the cursor in the store, and
// redelivers only the event that was in flight.
func TestDispatcherTakesOverFromDeadGateway(t *testing.T) {
	t.Parallel()
	e := newHookEnv(t)
	// The dying gateway's own handle on the shared database, so that it
	// can lose it while the other keeps its own.
	dying, err := store.Open(context.Background(), filepath.Join(e.dir, "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { dying.Close() })
	if _, err := e.st.HookCursor(context.Background(), "archive"); err != nil {
		t.Fatal(err)
	}
	const n = 6
	for i := range n {
		e.audit(t, store.AuditEntry{User: "juan", Action: "write", VPath: fmt.Sprintf("/ACME/%d.pdf", i), Result: store.ResultOK})
	}
	evs, err := e.st.EventsAfter(context.Background(), 0, n)
	if err != nil || len(evs) != n {
		t.Fatalf("outbox: %d events, %v", len(evs), err)
	}
	inFlight := make(chan struct{})
	var dead atomic.Bool
	tl := &tally{by: map[string][]string{}}
	tl.hold = func(ctx context.Context, gw string, ev events.Event) error {
		if gw == "gw2" && !dead.Load() {
			tl.mu.Lock()
			tl.by[ev.ID] = append(tl.by[ev.ID], "gw2 while gw1 lived")
			tl.mu.Unlock()
		}
		if gw == "gw1" && ev.ID == evs[2].ID {
			tl.mu.Lock()
			tl.by[ev.ID] = append(tl.by[ev.ID], "gw1 (in flight)")
			tl.mu.Unlock()
			close(inFlight)
			<-ctx.Done() // gw1 never finishes it
			return ctx.Err()
		}
		return nil
	}
	const ttl = 400 * time.Millisecond
	stop1 := runDispatcher(t, dying, "gw1", ttl, events.Hook{Name: "archive", Receiver: tl.receiver("gw1"), Timeout: time.Minute})
	select {
	case <-inFlight:
	case <-time.After(30 * time.Second):
		t.Fatal("gw1 never started delivering the third event")
	}
	started := time.Now()
	runDispatcher(t, e.st, "gw2", ttl, events.Hook{Name: "archive", Receiver: tl.receiver("gw2"), Timeout: time.Minute})
	// gw1, stuck in the delivery, keeps its lease: wait for a renewal made
	// half a TTL after gw2 started, by when gw2 has tried for it twice.
	testkit.WaitFor(t, 30*time.Second, "gw1 did not renew its lease during the delivery", func() bool {
		ls, err := e.st.Leases(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return len(ls) == 1 && ls[0].Holder == "gw1" && ls[0].Expires.After(started.Add(ttl+ttl/2))
	})
	dead.Store(true)
	dying.Close() // gw1 loses its database: it can neither renew nor release its lease
	testkit.WaitFor(t, 30*time.Second, "gw2 did not take over the dead gateway's hook", func() bool {
		tl.mu.Lock()
		defer tl.mu.Unlock()
		return len(tl.by[evs[n-1].ID]) > 0
	})
	stop1()
	tl.mu.Lock()
	defer tl.mu.Unlock()
	want := [][]string{{"gw1"}, {"gw1"}, {"gw1 (in flight)", "gw2"}, {"gw2"}, {"gw2"}, {"gw2"}}
	for i, ev := range evs {
		if fmt.Sprint(tl.by[ev.ID]) != fmt.Sprint(want[i]) {
			t.Errorf("event %d was delivered by %v, want %v", i, tl.by[ev.ID], want[i])
		}
	}
}

package events

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/store"
)

// Options configure a Dispatcher.
type Options struct {
	Store   *store.Store
	Hooks   []Hook
	Poll    time.Duration // how often an idle hook looks for new events; 0 means 200 ms
	Logger  *slog.Logger
	Metrics prometheus.Registerer // nil: no metrics
}

// Dispatcher delivers the outbox to every hook. Each hook has its own
// cursor in the store and its own goroutine: a slow or failing hook holds
// back only its own later events, never a transfer or another hook.
type Dispatcher struct {
	o          Options
	log        *slog.Logger
	deliveries *prometheus.CounterVec
}

// New returns a dispatcher; Run starts it.
func New(o Options) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	d := &Dispatcher{o: o, log: o.Logger}
	d.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "custodia_hook_deliveries_total", Help: "Tries to deliver an event to a hook, by hook and result (ok, failed).",
	}, []string{"hook", "result"})
	if o.Metrics != nil {
		o.Metrics.MustRegister(d.deliveries)
	}
	return d
}

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range d.o.Hooks {
		wg.Go(func() { d.serve(ctx, &d.o.Hooks[i]) })
	}
	wg.Wait()
}

// serve walks the outbox for one hook: each event is delivered (or
// skipped by the filters) before the next, and the cursor moves only after
// the hook took it, so an event is delivered at least once, in order.
// The cursor is read once and then kept in memory (one goroutine per
// hook): polling the outbox is a read, and the store is written only when
// an event is delivered, fails, or a run of filtered-out events is passed.
func (d *Dispatcher) serve(ctx context.Context, h *Hook) {
	log := d.log.With("hook", h.Name)
	var cur store.HookCursor
	for {
		var err error
		if cur, err = d.o.Store.HookCursor(ctx, h.Name); err == nil {
			break
		}
		log.Error("hook cursor", "err", err)
		if sleep(ctx, d.o.Poll); ctx.Err() != nil {
			return
		}
	}
	last, attempts := cur.LastID, cur.Attempts
	for ctx.Err() == nil {
		evs, err := d.o.Store.EventsAfter(ctx, last, 100)
		if err != nil {
			log.Error("read outbox", "err", err)
		}
		skipped := false
		stalled := err != nil || len(evs) == 0
		for _, se := range evs {
			if !h.matches(eventOf(se)) {
				last, skipped = se.Seq, true
				continue
			}
			if !d.deliverOne(ctx, h, se, attempts, log) {
				stalled = true
				break
			}
			last, attempts, skipped = se.Seq, 0, false
		}
		if skipped {
			if err := d.o.Store.HookDelivered(context.WithoutCancel(ctx), h.Name, last); err != nil {
				log.Error("hook cursor not saved", "err", err)
			}
		}
		if stalled {
			sleep(ctx, d.o.Poll)
		}
	}
}

// deliverOne tries one event until it is delivered; false when ctx ended.
func (d *Dispatcher) deliverOne(ctx context.Context, h *Hook, se store.Event, attempts int, log *slog.Logger) bool {
	e := eventOf(se)
	for ctx.Err() == nil {
		err := h.deliver(ctx, e)
		if err == nil {
			d.deliveries.WithLabelValues(h.Name, "ok").Inc()
			if err := d.o.Store.HookDelivered(context.WithoutCancel(ctx), h.Name, se.Seq); err != nil {
				log.Error("hook delivered but not recorded: it will be delivered again", "event", e.ID, "err", err)
				return false
			}
			return true
		}
		if ctx.Err() != nil {
			return false
		}
		attempts++
		d.deliveries.WithLabelValues(h.Name, "failed").Inc()
		log.Warn("hook failed; retrying", "event", e.ID, "type", e.Type, "attempt", attempts,
			"retry_in", h.delay(attempts).String(), "err", err)
		if err := d.o.Store.HookFailed(ctx, h.Name, err.Error()); err != nil {
			log.Error("hook failure not recorded", "err", err)
		}
		sleep(ctx, h.delay(attempts))
	}
	return false
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

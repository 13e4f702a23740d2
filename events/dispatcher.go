package events

import (
	"context"
	"errors"
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
	// Holder names this process among the gateways that share the store;
	// "" is store.NewHolder(). LeaseTTL is how long a hook's lease lasts
	// unrenewed, so how soon another gateway takes a dead one's hooks
	// over; 0 is DefaultLeaseTTL.
	Holder   string
	LeaseTTL time.Duration
}

// DefaultLeaseTTL is Options.LeaseTTL when it is not set.
const DefaultLeaseTTL = 15 * time.Second

// Dispatcher delivers the outbox to every hook. Each hook has its own
// cursor in the store and its own goroutine: a slow or failing hook holds
// back only its own later events, never a transfer or another hook.
type Dispatcher struct {
	o          Options
	log        *slog.Logger
	deliveries *prometheus.CounterVec
	dead       *prometheus.CounterVec
	held       *prometheus.GaugeVec
}

// New returns a dispatcher; Run starts it.
func New(o Options) *Dispatcher {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Poll <= 0 {
		o.Poll = 200 * time.Millisecond
	}
	if o.Holder == "" {
		o.Holder = store.NewHolder()
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = DefaultLeaseTTL
	}
	d := &Dispatcher{o: o, log: o.Logger}
	d.deliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "custodia_hook_deliveries_total", Help: "Tries to deliver an event to a hook, by hook and result (ok, failed).",
	}, []string{"hook", "result"})
	d.dead = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "custodia_hook_dead_letters_total", Help: "Events a hook gave up on (too many failed tries, or skipped by an administrator), by hook.",
	}, []string{"hook"})
	d.held = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "custodia_hook_lease_held", Help: "1 while this gateway holds the hook's lease (delivers its events), by hook.",
	}, []string{"hook"})
	if o.Metrics != nil {
		o.Metrics.MustRegister(d.deliveries, d.dead, d.held)
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

// serve delivers one hook's events while this gateway holds the hook's
// lease ("hook:<name>"), so that of several gateways sharing the store
// exactly one delivers a hook's events at a time; the others try for the
// lease every quarter of its TTL and take it over when its holder stops
// renewing it (it died, or lost the database). A takeover starts from the
// cursor in the store: the event the dead holder was delivering (it may
// have reached the hook) is delivered again: at least once stays the
// contract, and Event.ID tells a receiver it has seen one.
func (d *Dispatcher) serve(ctx context.Context, h *Hook) {
	log := d.log.With("hook", h.Name)
	for ctx.Err() == nil {
		held, release, err := d.o.Store.Hold(ctx, "hook:"+h.Name, d.o.Holder, d.o.LeaseTTL)
		if err != nil {
			if !errors.Is(err, store.ErrLeaseHeld) {
				log.Error("hook lease", "err", err)
			}
			sleep(ctx, d.o.LeaseTTL/4)
			continue
		}
		d.held.WithLabelValues(h.Name).Set(1)
		d.walk(held, h, log)
		d.held.WithLabelValues(h.Name).Set(0)
		release()
		if ctx.Err() == nil {
			log.Warn("hook lease lost: another gateway may deliver its events")
		}
	}
}

// walk walks the outbox for one hook until ctx ends: each event is delivered (or
// skipped by the filters) before the next, and the cursor moves only after
// the hook took it, so an event is delivered at least once, in order.
// The cursor is read once and then kept in memory (one goroutine per
// hook, in the one gateway holding its lease): polling the outbox is a read, and the store is written only when
// an event is delivered, fails, or a run of filtered-out events is passed.
func (d *Dispatcher) walk(ctx context.Context, h *Hook, log *slog.Logger) {
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
		if len(evs) == 0 && err == nil {
			d.retryDead(ctx, h, log)
		}
		if stalled {
			sleep(ctx, d.o.Poll)
		}
	}
}

// deliverOne tries one event until it is delivered, or given up on after
// the hook's MaxAttempts failed tries (or at once for a permanent error,
// or when an administrator skipped it meanwhile): a dead letter, and the
// hook goes on. false when ctx ended or the store could not record it.
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
		var perm *permanentError
		if attempts >= h.maxAttempts() || errors.As(err, &perm) {
			log.Error("hook gave up on an event: dead letter", "event", e.ID, "type", e.Type, "attempts", attempts, "err", err)
			if err := d.o.Store.HookDeadLetter(context.WithoutCancel(ctx), h.Name, se.Seq, attempts, err.Error()); err != nil {
				log.Error("dead letter not recorded", "event", e.ID, "err", err)
				return false
			}
			d.dead.WithLabelValues(h.Name).Inc()
			return true
		}
		log.Warn("hook failed; retrying", "event", e.ID, "type", e.Type, "attempt", attempts,
			"retry_in", h.delay(attempts).String(), "err", err)
		if err := d.o.Store.HookFailed(ctx, h.Name, se.Seq, err.Error()); err != nil {
			log.Error("hook failure not recorded", "err", err)
		}
		sleep(ctx, h.delay(attempts))
		if c, err := d.o.Store.HookCursor(ctx, h.Name); err == nil && c.LastID >= se.Seq {
			log.Warn("event skipped by an administrator: dead letter", "event", e.ID, "type", e.Type)
			d.dead.WithLabelValues(h.Name).Inc()
			return true
		}
	}
	return false
}

// retryDead makes the one more try an administrator asked for of each of
// the hook's dead letters: delivered, it is gone; failed, it stays.
// These come out of order, after later events: that is what a retry of a
// given-up event means.
func (d *Dispatcher) retryDead(ctx context.Context, h *Hook, log *slog.Logger) {
	evs, err := d.o.Store.DeadLettersToRetry(ctx, h.Name, 10)
	if err != nil {
		log.Error("read dead letters", "err", err)
		return
	}
	for _, se := range evs {
		if ctx.Err() != nil {
			return
		}
		err := h.deliver(ctx, eventOf(se))
		result := "ok"
		if err != nil {
			result = "failed"
			log.Warn("retried dead letter failed", "event", se.ID, "err", err)
		}
		d.deliveries.WithLabelValues(h.Name, result).Inc()
		if err := d.o.Store.DeadLetterRetried(context.WithoutCancel(ctx), h.Name, se.Seq, err); err != nil {
			log.Error("retried dead letter not recorded", "event", se.ID, "err", err)
		}
	}
}

func sleep(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}

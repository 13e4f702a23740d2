// Package notify tells a client's contacts, by e-mail, of the PDFs
// published for it. It is a hook of the event outbox: each upload of a
// PDF under clients/<id>/ is queued in the store (once per event, however
// often the dispatcher delivers it), and a timer sends one digest per
// client per interval — the file names, their times and a link to the
// portal, never a file or a download link — and forgets what it sent in
// the store. A queued publication survives a restart; an SMTP failure
// leaves it queued for the next interval.
package notify

import (
	"context"
	"crypto/x509"
	"errors"
	"log/slog"
	"path"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/events"
	"github.com/oaq/custodia/store"
)

// HookName is the notifier's hook: its cursor, failures and dead letters
// appear under this name with the configuration's hooks.
const HookName = "email"

// Options configure a Notifier.
type Options struct {
	Store        *store.Store
	SMTP         string         // host:port of the relay; STARTTLS is always required
	From         string         // the sender, an RFC 5322 address ("Portal <portal@oaq.mx>")
	Username     string         // SMTP AUTH PLAIN; "" for none
	Password     string         // never logged
	RootCAs      *x509.CertPool // that sign the relay's certificate; nil: the system's
	Interval     time.Duration  // one digest per client per interval at most
	PortalURL    string         // the link in every digest
	Organization string         // who signs the digest
	Hostname     string         // the EHLO name; "" is "localhost"
	Timeout      time.Duration  // one SMTP conversation; 0 is 30 s
	Logger       *slog.Logger
	Metrics      prometheus.Registerer // nil: no metrics
	// Holder names this process among the gateways sharing the store (""
	// is store.NewHolder()); LeaseTTL is how long the sender's lease lasts
	// unrenewed (0 is 15 s).
	Holder   string
	LeaseTTL time.Duration
}

// senderLease is the lease of the one gateway that sends the digests.
const senderLease = "notify:digests"

// Notifier queues publications and sends the digests.
type Notifier struct {
	o       Options
	log     *slog.Logger
	digests *prometheus.CounterVec
	pending prometheus.Gauge
}

// New returns a notifier; Hook is its place among the hooks, Run sends.
func New(o Options) *Notifier {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Timeout <= 0 {
		o.Timeout = 30 * time.Second
	}
	if o.Hostname == "" {
		o.Hostname = "localhost"
	}
	if o.Holder == "" {
		o.Holder = store.NewHolder()
	}
	if o.LeaseTTL <= 0 {
		o.LeaseTTL = 15 * time.Second
	}
	n := &Notifier{o: o, log: o.Logger.With("hook", HookName)}
	n.digests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "custodia_notify_digests_total",
		Help: "E-mail digests of published PDFs, by result (sent, failed: kept for the next try, no_contacts: dropped).",
	}, []string{"result"})
	n.pending = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "custodia_notify_pending", Help: "Published PDFs waiting for their client's digest.",
	})
	if o.Metrics != nil {
		o.Metrics.MustRegister(n.digests, n.pending)
	}
	return n
}

// Hook is the notifier as a hook of the dispatcher: completed uploads
// under clients/.
func (n *Notifier) Hook() events.Hook {
	return events.Hook{Name: HookName, Receiver: n, Timeout: 10 * time.Second, Backoff: time.Second,
		Events: []string{store.EventUploadCompleted}, Paths: []string{store.AreaClients + "/**"}}
}

// Deliver queues a PDF published for a client; anything else passes.
func (n *Notifier) Deliver(ctx context.Context, e events.Event) error {
	client, name, ok := publication(e)
	if !ok {
		return nil
	}
	return n.o.Store.QueuePublication(ctx, store.Publication{EventID: e.ID, Client: client, Name: name, At: e.At})
}

// publication is the client and file name of a PDF published under
// clients/<id>/, from a completed upload.
func publication(e events.Event) (client, name string, ok bool) {
	if e.Type != store.EventUploadCompleted {
		return "", "", false
	}
	rest, ok := strings.CutPrefix(e.SPath, store.AreaClients+"/")
	if !ok {
		return "", "", false
	}
	client, name, ok = strings.Cut(rest, "/")
	if !ok || client == "" || name == "" || !strings.EqualFold(path.Ext(name), ".pdf") {
		return "", "", false
	}
	return client, name, true
}

// Run sends the digests until ctx ends: a client's digest goes out once
// its oldest queued publication has waited an interval, so it gathers
// what was published meanwhile, and the next one waits for a new
// publication's interval; one that failed is tried again an interval
// later. What is queued when ctx ends waits in the store for the next
// start. Of several gateways sharing the store, the one holding the
// sender's lease sends, so each digest goes out once; another takes over
// when it stops renewing the lease (a digest in flight then may go out
// twice, with the same Message-ID).
func (n *Notifier) Run(ctx context.Context) {
	for ctx.Err() == nil {
		held, release, err := n.o.Store.Hold(ctx, senderLease, n.o.Holder, n.o.LeaseTTL)
		if err != nil {
			if !errors.Is(err, store.ErrLeaseHeld) {
				n.log.Error("digest sender lease", "err", err)
			}
			t := time.NewTimer(n.o.LeaseTTL / 4)
			select {
			case <-ctx.Done():
			case <-t.C:
			}
			t.Stop()
			continue
		}
		n.sendDigests(held)
		release()
	}
}

// sendDigests sends the digests until ctx ends.
func (n *Notifier) sendDigests(ctx context.Context) {
	t := time.NewTicker(min(max(n.o.Interval/10, 100*time.Millisecond), 30*time.Second))
	defer t.Stop()
	retryAt := map[string]time.Time{} // clients whose last try failed
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			n.flush(ctx, now, retryAt)
		}
	}
}

// flush sends the digests that are due at now.
func (n *Notifier) flush(ctx context.Context, now time.Time, retryAt map[string]time.Time) {
	pubs, err := n.o.Store.PendingPublications(ctx)
	if err != nil {
		n.log.Error("read queued publications", "err", err)
		return
	}
	n.pending.Set(float64(len(pubs)))
	for len(pubs) > 0 && ctx.Err() == nil {
		i := 1
		oldest := pubs[0].At
		for i < len(pubs) && pubs[i].Client == pubs[0].Client {
			if pubs[i].At.Before(oldest) {
				oldest = pubs[i].At
			}
			i++
		}
		id := pubs[0].Client
		if now.Sub(oldest) >= n.o.Interval && !now.Before(retryAt[id]) {
			if n.sendClient(ctx, pubs[:i]) {
				delete(retryAt, id)
			} else {
				retryAt[id] = now.Add(n.o.Interval)
			}
		}
		pubs = pubs[i:]
	}
}

// sendClient sends one client's digest and forgets what it told of;
// false when it is to be tried again.
func (n *Notifier) sendClient(ctx context.Context, pubs []store.Publication) bool {
	id := pubs[0].Client
	ids := make([]string, len(pubs))
	for i, p := range pubs {
		ids[i] = p.EventID
	}
	c, err := n.o.Store.ClientByID(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		n.log.Error("client of a digest", "client", id, "err", err)
		return false
	}
	if err != nil || len(c.Contacts) == 0 {
		n.log.Info("no contact address: publications not notified", "client", id, "files", len(pubs))
		n.digests.WithLabelValues("no_contacts").Inc()
		if err := n.o.Store.PublicationsSent(context.WithoutCancel(ctx), ids); err != nil {
			n.log.Error("publications not forgotten", "client", id, "err", err)
		}
		return true
	}
	msg, err := n.digest(c, pubs, time.Now())
	if err != nil {
		n.log.Error("digest", "client", id, "err", err)
		return false
	}
	if err := n.send(ctx, c.Contacts, msg); err != nil {
		n.digests.WithLabelValues("failed").Inc()
		n.log.Warn("digest not sent; kept for the next try", "client", id, "files", len(pubs),
			"retry_in", n.o.Interval.String(), "err", err)
		return false
	}
	n.digests.WithLabelValues("sent").Inc()
	n.log.Info("digest sent", "client", id, "files", len(pubs), "to", len(c.Contacts))
	if err := n.o.Store.PublicationsSent(context.WithoutCancel(ctx), ids); err != nil {
		n.log.Error("digest sent but not recorded: it will be sent again, with the same Message-ID", "client", id, "err", err)
	}
	return true
}

package gateway

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// metrics are the gateway's Prometheus collectors, registered on the
// registry cmd built; a nil *metrics records nothing.
type metrics struct {
	limitMetrics
	logins *prometheus.CounterVec // protocol, result
	ops    *prometheus.CounterVec // protocol, action, result
	bytes  *prometheus.CounterVec // protocol, direction
	decide prometheus.Histogram
}

func newMetrics(reg prometheus.Registerer, c *Core) *metrics {
	if reg == nil {
		return nil
	}
	m := &metrics{
		logins: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodia_logins_total", Help: "Logins by protocol and result (ok, failed).",
		}, []string{"protocol", "result"}),
		ops: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodia_operations_total", Help: "File operations by protocol, action and result (ok, denied, failed).",
		}, []string{"protocol", "action", "result"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodia_bytes_total", Help: "File bytes received (in) and sent (out), by protocol.",
		}, []string{"protocol", "direction"}),
		decide: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "custodia_authz_decision_seconds", Help: "Time to decide one authorization request.",
			Buckets: prometheus.ExponentialBuckets(50e-9, 4, 10), // 50 ns to 13 ms
		}),
	}
	reg.MustRegister(m.logins, m.ops, m.bytes, m.decide,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "custodia_sessions_active", Help: "Live sessions of this gateway, every protocol.",
		}, func() float64 { return float64(len(c.local())) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "custodia_defender_bans", Help: "Addresses the defender bans now.",
		}, func() float64 { return float64(len(c.Bans())) }),
	)
	m.registerLimits(reg, c)
	return m
}

func (m *metrics) login(protocol string, res store.Result) {
	if m != nil {
		m.logins.WithLabelValues(protocol, string(res)).Inc()
	}
}

// sessionBytes returns the counters a session adds its bytes to.
func (m *metrics) sessionBytes(protocol string) (in, out prometheus.Counter) {
	if m == nil {
		return nil, nil
	}
	return m.bytes.WithLabelValues(protocol, "in"), m.bytes.WithLabelValues(protocol, "out")
}

// countedAuditor counts every audited file operation on its way to the
// store: the audit row is the one place each outcome passes.
type countedAuditor struct {
	storage.Auditor
	m *metrics
}

func (a countedAuditor) Audit(ctx context.Context, e store.AuditEntry) error {
	a.m.ops.WithLabelValues(e.Protocol, e.Action, string(e.Result)).Inc()
	return a.Auditor.Audit(ctx, e)
}

func (a countedAuditor) CommitUpload(ctx context.Context, id int64, e store.AuditEntry) (int64, error) {
	a.m.ops.WithLabelValues(e.Protocol, e.Action, string(e.Result)).Inc()
	return a.Auditor.CommitUpload(ctx, id, e)
}

// timedDecider observes how long each decision takes.
type timedDecider struct {
	storage.Decider
	h prometheus.Histogram
}

func (d timedDecider) Decide(ctx context.Context, req authz.Request) (authz.Decision, error) {
	start := time.Now()
	dec, err := d.Decider.Decide(ctx, req)
	d.h.Observe(time.Since(start).Seconds())
	return dec, err
}

package gateway

import "github.com/prometheus/client_golang/prometheus"

// limitMetrics are the collectors of what bounds strangers: the password
// check pool, the connection budgets, accept errors and open files.
type limitMetrics struct {
	hashInUseG, hashPeakG prometheus.Gauge
	hashRejectedC         prometheus.Counter
	connRefused           *prometheus.CounterVec // reason
	acceptErrors          prometheus.Counter
	filesRefused          prometheus.Counter
}

func (m *metrics) registerLimits(reg prometheus.Registerer, c *Core) {
	m.hashInUseG = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "custodia_password_checks_in_use", Help: "argon2id password checks running now.",
	})
	m.hashPeakG = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "custodia_password_checks_peak", Help: "The most argon2id password checks ever run at once.",
	})
	m.hashRejectedC = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "custodia_password_checks_rejected_total", Help: "Logins refused because no password check slot freed up in time.",
	})
	m.connRefused = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "custodia_connections_refused_total", Help: "Connections refused or dropped before login, by reason.",
	}, []string{"reason"})
	m.acceptErrors = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "custodia_accept_errors_total", Help: "Errors accepting a connection (e.g. out of file descriptors); the listener backs off and goes on.",
	})
	m.filesRefused = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "custodia_open_files_refused_total", Help: "File opens refused over the per-session or per-user limit.",
	})
	reg.MustRegister(m.hashInUseG, m.hashPeakG, m.hashRejectedC, m.connRefused, m.acceptErrors, m.filesRefused,
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "custodia_password_checks_size", Help: "argon2id password checks allowed at once.",
		}, func() float64 { return float64(c.hashes.size()) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "custodia_connections_open", Help: "Open connections, every protocol.",
		}, func() float64 { open, _ := c.limits.counts(); return float64(open) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{
			Name: "custodia_connections_unauthenticated", Help: "Open connections not logged in yet.",
		}, func() float64 { _, unauth := c.limits.counts(); return float64(unauth) }),
	)
}

func (m *metrics) hashInUse(inUse, peak int) {
	if m != nil {
		m.hashInUseG.Set(float64(inUse))
		m.hashPeakG.Set(float64(peak))
	}
}

func (m *metrics) hashRejected() {
	if m != nil {
		m.hashRejectedC.Inc()
	}
}

func (m *metrics) refused(reason string) {
	if m != nil {
		m.connRefused.WithLabelValues(reason).Inc()
	}
}

func (m *metrics) acceptError() {
	if m != nil {
		m.acceptErrors.Inc()
	}
}

func (m *metrics) fileRefused() {
	if m != nil {
		m.filesRefused.Inc()
	}
}

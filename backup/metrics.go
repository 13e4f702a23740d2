package backup

import (
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/store"
)

// metrics tell a scraper whether backups run and succeed.
type metrics struct {
	runs        *prometheus.CounterVec
	lastSuccess *prometheus.GaugeVec
	lastSize    *prometheus.GaugeVec
	lockedKept  *prometheus.GaugeVec
}

func newMetrics(reg prometheus.Registerer) *metrics {
	m := &metrics{
		runs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "custodia_backup_runs_total", Help: "Backup runs, by job, kind (full, incremental) and result (ok, failed).",
		}, []string{"job", "kind", "result"}),
		lastSuccess: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "custodia_backup_last_success_timestamp_seconds", Help: "When each job's last complete backup started (Unix time).",
		}, []string{"job"}),
		lastSize: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "custodia_backup_last_archive_bytes", Help: "Size of each job's last complete archive.",
		}, []string{"job"}),
		lockedKept: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "custodia_backup_locked_kept",
			Help: "Backups the last prune of each job kept past their retention because a target's object lock still holds them.",
		}, []string{"job"}),
	}
	if reg != nil {
		reg.MustRegister(m.runs, m.lastSuccess, m.lastSize, m.lockedKept)
	}
	return m
}

func (m *metrics) record(b store.Backup) {
	result := "ok"
	if b.Status != store.BackupOK {
		result = "failed"
	}
	m.runs.WithLabelValues(b.Job, b.Kind, result).Inc()
	if result == "ok" {
		m.lastSuccess.WithLabelValues(b.Job).Set(float64(b.StartedAt.Unix()))
		m.lastSize.WithLabelValues(b.Job).Set(float64(b.Size))
	}
}

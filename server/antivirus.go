package server

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/internal/clamd"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// startAntivirus makes the files tree scan every upload with the clamd
// the configuration names, before the upload is visible. A clamd that
// does not answer now is no reason not to start: uploads follow the
// configured policy until it does, and the log says so.
func startAntivirus(ctx context.Context, cfg config.Config, files *storage.Files, reg prometheus.Registerer, log *slog.Logger) error {
	if !cfg.Antivirus.Enabled() {
		return nil
	}
	c, err := clamd.New(cfg.Antivirus.Clamd, cfg.Antivirus.Timeout.Duration)
	if err != nil {
		return err
	}
	allow := make([]store.Role, len(cfg.Antivirus.AllowUnscanned))
	for i, r := range cfg.Antivirus.AllowUnscanned {
		allow[i] = store.Role(r)
	}
	ping, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if err := c.Ping(ping); err != nil {
		log.Warn("antivirus: clamd does not answer; until it does, uploads are accepted only from the roles in antivirus.allow_unscanned",
			"clamd", c.String(), "allow_unscanned", cfg.Antivirus.AllowUnscanned, "err", err)
	} else {
		log.Info("antivirus: every upload is scanned by clamd before it is visible", "clamd", c.String())
	}
	return files.SetAntivirus(storage.Antivirus{
		Scanner: c, Quarantine: cfg.QuarantineDir(), AllowUnscanned: allow, Logger: log, Metrics: reg,
	})
}

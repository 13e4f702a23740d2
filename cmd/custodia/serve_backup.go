package main

import (
	"context"
	"log/slog"
	"strings"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/store"
)

// scheduledRunner is the runner of the backup schedule, or nil when
// there are no recipients: nothing could decrypt an archive, so the jobs
// stay off, and the log says how to turn them on.
func (a *app) scheduledRunner(st *store.Store, enf *authz.Enforcer, log *slog.Logger) (*backup.Runner, error) {
	if len(a.cfg.Backup.Recipients) == 0 {
		log.Warn("backups are off: no backup.recipients; run custodia backup keygen, keep the identity " +
			"off this server and set backup.recipients (CUSTODIA_BACKUP_RECIPIENTS) to its public key")
		return nil, nil
	}
	return a.backupRunner(st, enf)
}

// startBackups runs the backup jobs on their schedules until the gateway
// stops.
func (a *app) startBackups(ctx context.Context, g *running, r *backup.Runner) {
	if r == nil {
		return
	}
	g.backups = make(chan struct{})
	go func() {
		defer close(g.backups)
		if err := r.Schedule(ctx); err != nil {
			g.log.Error("backup schedule stopped", "err", err)
		}
	}()
	g.log.Info("backups scheduled", "jobs", strings.Join(a.cfg.Backup.JobNames(), ","), "dir", a.cfg.BackupDir(),
		"offsite", a.cfg.Backup.SFTP.Address != "")
}

package main

import (
	"context"
	"strings"

	"github.com/oaq/custodia/backup"
)

// startBackups runs the backup jobs on their schedules until the gateway
// stops. Without recipients nothing could decrypt an archive, so the
// jobs stay off, and the log says how to turn them on.
func (a *app) startBackups(ctx context.Context, g *running, r *backup.Runner) {
	if len(a.cfg.Backup.Recipients) == 0 {
		g.log.Warn("backups are off: no backup.recipients; run custodia backup keygen, keep the identity " +
			"off this server and set backup.recipients (CUSTODIA_BACKUP_RECIPIENTS) to its public key")
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

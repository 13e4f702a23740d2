package server

import (
	"context"
	"fmt"
	"log/slog"
	"strings"

	"filippo.io/age"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/config"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// startBackups runs the backup jobs on their schedules until the gateway
// stops. Without recipients nothing could decrypt an archive, so the
// jobs stay off, and the log says how to turn them on.
func (s *Server) startBackups(ctx context.Context, r *backup.Runner) {
	// Restores made earlier expire whether or not backups run now.
	s.grants = make(chan struct{})
	go func() {
		defer close(s.grants)
		r.SweepGrants(ctx, func(err error) { s.log.Error("restore grants", "err", err) })
	}()
	if len(s.cfg.Backup.Recipients) == 0 {
		s.log.Warn("backups are off: no backup.recipients; run custodia backup keygen, keep the identity " +
			"off this server and set backup.recipients (CUSTODIA_BACKUP_RECIPIENTS) to its public key")
		return
	}
	s.backups = make(chan struct{})
	go func() {
		defer close(s.backups)
		if err := r.Schedule(ctx); err != nil {
			s.log.Error("backup schedule stopped", "err", err)
		}
	}()
	s.log.Info("backups scheduled", "jobs", strings.Join(s.cfg.Backup.JobNames(), ","), "dir", s.cfg.BackupDir(),
		"offsite", s.cfg.Backup.SFTP.Address != "", "s3", s.cfg.Backup.S3.Endpoint != "")
}

// BackupRunner builds the runner of the configuration's jobs and targets;
// it reads the files through files when they live in an object store.
func BackupRunner(cfg config.Config, st *store.Store, files *storage.Files, rules backup.Rules, reg prometheus.Registerer, log *slog.Logger) (*backup.Runner, error) {
	b := cfg.Backup
	var recips []age.Recipient
	for _, r := range b.Recipients {
		rc, err := age.ParseX25519Recipient(r)
		if err != nil {
			return nil, fmt.Errorf("backup.recipients: %q: %w", r, err)
		}
		recips = append(recips, rc)
	}
	var remotes []backup.Remote
	if s := b.SFTP; s.Address != "" {
		t, err := backup.NewSFTP(s.Address, s.User, s.Key, s.HostKey, s.Dir)
		if err != nil {
			return nil, err
		}
		remotes = append(remotes, t)
	}
	if s := b.S3; s.Endpoint != "" {
		t, err := backup.NewS3(backup.S3Options{Endpoint: s.Endpoint, Bucket: s.Bucket, Prefix: s.Prefix, Region: s.Region,
			AccessKey: s.AccessKey, SecretKey: s.SecretKey, Insecure: s.Insecure, ObjectLock: s.ObjectLock})
		if err != nil {
			return nil, err
		}
		remotes = append(remotes, t)
	}
	var jobs []backup.Job
	for _, name := range b.JobNames() {
		j := b.Jobs[name]
		bj := backup.Job{Name: name, Source: j.Source,
			Keep: backup.Retention{Daily: j.KeepDaily, Monthly: j.KeepMonthly, Yearly: j.KeepYearly}}
		if config.Scheduled(j.Full) {
			bj.Full = j.Full
		}
		if config.Scheduled(j.Incremental) {
			bj.Incremental = j.Incremental
		}
		jobs = append(jobs, bj)
	}
	var tree backup.Tree
	if files != nil && files.Remote() {
		tree = files
	}
	loc, err := b.Location()
	if err != nil {
		return nil, err
	}
	return backup.New(backup.Options{
		Location: loc, Store: st, FilesDir: cfg.FilesDir(), Tree: tree, Local: backup.Local{Dir: cfg.BackupDir()}, Remotes: remotes,
		Recipients: recips, Jobs: jobs, ClientApprovers: b.ClientApprovers, ApproverMinAge: b.ApproverMinAge.Duration, Rules: rules,
		GrantTTL: b.RestoreGrantTTL.Duration, Logger: log, Metrics: reg,
	}), nil
}

var _ backup.Rules = (*authz.Enforcer)(nil)

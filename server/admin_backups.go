package server

import (
	"context"

	"filippo.io/age"

	"github.com/oaq/custodia/admin"
	"github.com/oaq/custodia/backup"
)

// adminBackups is the backup runner as the admin API and console use it
// (admin does not import backup): the same runner the schedule and the
// command line run, so a run from the console is one of its runs, locked
// and audited as theirs.
type adminBackups struct{ *backup.Runner }

var _ admin.Backups = adminBackups{}

// Jobs are the runner's jobs.
func (b adminBackups) Jobs() []admin.BackupJob {
	var out []admin.BackupJob
	for _, j := range b.Runner.Jobs() {
		out = append(out, admin.BackupJob{Name: j.Name, Source: j.Source, Full: j.Full, Incremental: j.Incremental,
			KeepDaily: j.Keep.Daily, KeepMonthly: j.Keep.Monthly, KeepYearly: j.Keep.Yearly})
	}
	return out
}

// Verify verifies a backup as `custodia backup verify` does.
func (b adminBackups) Verify(ctx context.Context, id string, ids []age.Identity) (admin.Verified, error) {
	m, err := b.Runner.Verify(ctx, id, ids)
	if err != nil {
		return admin.Verified{}, err
	}
	files, bytes := m.Totals()
	return admin.Verified{Files: files, Bytes: bytes, Deleted: len(m.Deleted)}, nil
}

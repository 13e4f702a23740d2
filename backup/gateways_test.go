package backup

import (
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/store"
)

// gatewayRunner is one gateway's runner over the shared store: its own
// local target (so its flock does not see the other's) and its own
// holder name.
func gatewayRunner(t *testing.T, st *store.Store, now func() time.Time, holder string, log *syncBuffer) *Runner {
	t.Helper()
	r := scheduleRunner(t, st, now, t.TempDir())
	r.o.Holder = holder
	r.log = slog.New(slog.NewTextHandler(log, nil))
	return r
}

// Two gateways' schedulers over one store run each scheduled backup once:
// the run due at a time is claimed by one, and the other goes on to the
// next. Both cases: a run missed while both were stopped (due at their
// start), and one that falls due while both run.
func TestTwoSchedulersRunEachBackupOnce(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name   string
		missed bool
	}{{"missed while stopped", true}, {"due while running", false}} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			st := openStore(t)
			now := time.Now
			if c.missed {
				old := time.Now().Add(-72 * time.Hour)
				b := store.Backup{ID: newID("database", old), Job: "database", Kind: Full, StartedAt: old}
				if err := st.StartBackup(t.Context(), b); err != nil {
					t.Fatal(err)
				}
				b.Status, b.FinishedAt = store.BackupOK, old.Add(time.Minute)
				if err := st.FinishBackup(t.Context(), b); err != nil {
					t.Fatal(err)
				}
			} else { // a clock two seconds before the job's 01:30 UTC
				real := time.Now().UTC()
				at := time.Date(real.Year(), real.Month(), real.Day(), 1, 30, 0, 0, time.UTC)
				if !at.After(real) {
					at = at.AddDate(0, 0, 1)
				}
				offset := at.Add(-2 * time.Second).Sub(real)
				now = func() time.Time { return time.Now().Add(offset) }
			}
			var log1, log2 syncBuffer
			r1 := gatewayRunner(t, st, now, "gw1", &log1)
			r2 := gatewayRunner(t, st, now, "gw2", &log2)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 2)
			go func() { done <- r1.Schedule(ctx) }()
			go func() { done <- r2.Schedule(ctx) }()
			settled := func() bool { // one ran it, the other saw the claim
				ran := len(backupsByStatus(t, st, "database", store.BackupOK)) - btoi(c.missed)
				skipped := strings.Contains(log1.String()+log2.String(), "scheduled backup run by another gateway")
				return ran >= 1 && skipped
			}
			for deadline := time.Now().Add(30 * time.Second); !settled() && time.Now().Before(deadline); {
				time.Sleep(20 * time.Millisecond)
			}
			cancel()
			for range 2 {
				if err := <-done; err != nil {
					t.Fatal(err)
				}
			}
			if !settled() {
				t.Fatalf("the two schedulers did not settle who runs the backup:\ngw1:\n%s\ngw2:\n%s", log1.String(), log2.String())
			}
			all, err := st.Backups(t.Context(), "database")
			if err != nil {
				t.Fatal(err)
			}
			if len(all) != 1+btoi(c.missed) {
				t.Errorf("%d backups recorded, want the one scheduled run: %+v", len(all)-btoi(c.missed), all)
			}
			rows, err := st.QueryAudit(t.Context(), store.AuditQuery{Action: "backup.run"})
			if err != nil || len(rows) != 1 || rows[0].Result != store.ResultOK {
				t.Errorf("backup.run audit rows %+v %v, want one ok run (no refused one)", rows, err)
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// A "run now" through one gateway while another gateway runs the job is
// refused as busy, though the two local targets (and their flocks) differ:
// the job's lease in the shared store holds it.
func TestRunNowBusyWhileAnotherGatewayRuns(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	var log1, log2 syncBuffer
	r1 := gatewayRunner(t, st, time.Now, "gw1", &log1)
	r2 := gatewayRunner(t, st, time.Now, "gw2", &log2)
	_, finish, err := r1.begin(t.Context(), "database", Full) // gw1's run, in progress
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r2.Run(t.Context(), "database", Full); !errors.Is(err, store.ErrBackupBusy) {
		t.Fatalf("gw2's run while gw1 runs the job: err = %v, want ErrBackupBusy", err)
	}
	if _, err := r2.Start(t.Context(), "database", Full); !errors.Is(err, store.ErrBackupBusy) {
		t.Fatalf("gw2's background run while gw1 runs the job: err = %v, want ErrBackupBusy", err)
	}
	if b, err := finish(t.Context()); err != nil || b.Status != store.BackupOK {
		t.Fatalf("gw1's run: %s %v", b.Status, err)
	}
	if b, err := r2.Run(t.Context(), "database", Full); err != nil || b.Status != store.BackupOK {
		t.Fatalf("gw2's run once gw1's ended: %s %v", b.Status, err)
	}
}

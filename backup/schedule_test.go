package backup

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
)

func scheduleRunner(t *testing.T, st *store.Store, now func() time.Time, local string) *Runner {
	t.Helper()
	return New(Options{Store: st, FilesDir: t.TempDir(), Local: Local{Dir: local},
		Recipients: []age.Recipient{newIdentity(t).Recipient()}, Now: now, Location: time.UTC,
		Jobs: []Job{{Name: "database", Source: DatabaseSource, Full: "30 1 * * *", Keep: Retention{Daily: 30}}}})
}

// A job's next run follows its schedule; one missed while the server was
// stopped is due at once.
func TestSchedulePlans(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 5, 10, 0, 0, 0, time.UTC)
	tomorrow := time.Date(2026, 3, 6, 1, 30, 0, 0, time.UTC)
	for _, c := range []struct {
		name string
		last time.Time // zero: no backup yet
		want time.Time
	}{
		{"no backup yet", time.Time{}, tomorrow},
		{"today's ran", time.Date(2026, 3, 5, 1, 30, 0, 0, time.UTC), tomorrow},
		{"missed yesterday's and today's", time.Date(2026, 3, 3, 1, 30, 0, 0, time.UTC), now},
	} {
		t.Run(c.name, func(t *testing.T) {
			st := openStore(t)
			r := scheduleRunner(t, st, func() time.Time { return now }, t.TempDir())
			if !c.last.IsZero() {
				b := store.Backup{ID: newID("database", c.last), Job: "database", Kind: Full, StartedAt: c.last}
				if err := st.StartBackup(t.Context(), b); err != nil {
					t.Fatal(err)
				}
			}
			ps, err := r.plans(t.Context())
			if err != nil || len(ps) != 1 {
				t.Fatalf("plans: %v %v", ps, err)
			}
			if !ps[0].next.Equal(c.want) {
				t.Errorf("next run %s, want %s", ps[0].next, c.want)
			}
		})
	}
}

// Schedule marks runs a stop interrupted as failed, removes their
// temporary files, and runs the missed backup at once.
func TestScheduleRecoversAndCatchesUp(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	local := t.TempDir()
	r := scheduleRunner(t, st, time.Now, local)
	old := time.Now().Add(-72 * time.Hour)
	b := store.Backup{ID: newID("database", old), Job: "database", Kind: Full, StartedAt: old}
	if err := st.StartBackup(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	leftover := filepath.Join(local, "database", ".database-x.age.123.part")
	writeFile(t, leftover, []byte("half an archive"))
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Schedule(ctx) }()
	deadline := time.Now().Add(20 * time.Second)
	for len(backupsByStatus(t, st, "database", store.BackupOK)) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if n := len(backupsByStatus(t, st, "database", store.BackupOK)); n != 1 {
		t.Errorf("%d backups ran, want the missed one", n)
	}
	failed := backupsByStatus(t, st, "database", store.BackupFailed)
	if len(failed) != 1 || failed[0].ID != b.ID {
		t.Errorf("the interrupted run is not failed: %v", failed)
	}
	if _, err := os.Stat(leftover); err == nil {
		t.Error("the interrupted run's temporary file is still there")
	}
}

// A schedule robfig/cron would panic on ("TZ=UTC", issue #554) or read in
// another time zone is an error naming the job, never a panic: the
// scheduler parses schedules as config does (internal/schedule).
func TestSchedulePlansRefuseTimeZones(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"TZ=UTC", "CRON_TZ=", "TZ=UTC 0 3 * * *"} {
		r := scheduleRunner(t, openStore(t), time.Now, t.TempDir())
		r.o.Jobs[0].Full = expr
		if _, err := r.plans(t.Context()); err == nil || !strings.Contains(err.Error(), "backup job database") ||
			!strings.Contains(err.Error(), "time zone") {
			t.Errorf("schedule %q: plans returned %v, want an error naming the job and the time zone", expr, err)
		}
	}
}

// syncBuffer is a log's destination that goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// A scheduled run refused because the job is running (a console run, the
// command line) leaves a WARN line naming the job and a failed backup.run
// audit row.
func TestScheduledRunRefusedAsBusyIsLogged(t *testing.T) {
	t.Parallel()
	st := openStore(t)
	local := t.TempDir()
	var log syncBuffer
	r := scheduleRunner(t, st, time.Now, local)
	r.log = slog.New(slog.NewTextHandler(&log, nil))
	r.o.LeaseTTL = time.Second // a job held with no run recorded (as here) is tried again for a lease TTL first
	old := time.Now().Add(-72 * time.Hour)
	b := store.Backup{ID: newID("database", old), Job: "database", Kind: Full, StartedAt: old}
	if err := st.StartBackup(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	b.Status, b.FinishedAt = store.BackupOK, old.Add(time.Minute)
	if err := st.FinishBackup(t.Context(), b); err != nil {
		t.Fatal(err)
	}
	_, unlock, err := r.lockJob(t.Context(), "database") // another run holds the job
	if err != nil {
		t.Fatal(err)
	}
	defer unlock()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- r.Schedule(ctx) }()
	refused := func() bool {
		rows, err := st.QueryAudit(t.Context(), store.AuditQuery{Action: "backup.run"})
		return err == nil && len(rows) > 0 && strings.Contains(log.String(), "job=database")
	}
	for deadline := time.Now().Add(20 * time.Second); !refused() && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if l := log.String(); !strings.Contains(l, "level=WARN") || !strings.Contains(l, "job=database") || !strings.Contains(l, "already running") {
		t.Errorf("the refused run is not logged at WARN with its job:\n%s", l)
	}
	rows, err := st.QueryAudit(t.Context(), store.AuditQuery{Action: "backup.run"})
	if err != nil || len(rows) != 1 || rows[0].Result != store.ResultFailed || rows[0].VPath != "database" || !strings.Contains(rows[0].Reason, "already running") {
		t.Errorf("the refused run's audit rows: %+v %v", rows, err)
	}
}

package backup_test

import (
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// With object_lock = "compliance", each archive and its checksum are put
// locked until the end of the job's retention; the gateway's own
// credentials cannot delete a locked version (versitygw enforces it), and
// prune keeps a backup whose copy is still locked, without an error, and
// counts it.
func TestS3ObjectLockKeepsArchives(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	admin := s3Admin(t, s3)
	makeBucket(t, admin, "inborrable", true)
	reg := prometheus.NewRegistry()
	start := time.Now().UTC()
	clk := &fakeClock{t: start}
	f := backup.NewRemoteFixture(t, newS3Target(t, s3, s3.Endpoint, "inborrable", s3.SecretKey, "compliance"),
		backup.Retention{Daily: 1}, clk.now, reg)
	ctx := t.Context()
	f.Put(t, "/departments/operaciones/a.txt", "a")

	first, err := f.R.Run(ctx, "departments", backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	key := "custodia/" + backup.ArchiveName("departments", first.ID)
	for _, k := range []string{key, key + ".sha256"} {
		info, err := admin.StatObject(ctx, "inborrable", k, minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		mode := info.Metadata.Get("X-Amz-Object-Lock-Mode")
		until, err := time.Parse(time.RFC3339, info.Metadata.Get("X-Amz-Object-Lock-Retain-Until-Date"))
		if mode != "COMPLIANCE" || err != nil {
			t.Fatalf("%s is locked %q until %v (%v)", k, mode, until, err)
		}
		// One day of retention (keep_daily = 1) from the run's start.
		if want := start.AddDate(0, 0, 1); until.Before(want) || until.After(want.Add(2*time.Second)) {
			t.Errorf("%s is retained until %s, want %s", k, until, want)
		}
		// The gateway's credentials (the server's root here) cannot
		// delete the locked version.
		err = admin.RemoveObject(ctx, "inborrable", k, minio.RemoveObjectOptions{VersionID: info.VersionID})
		if err == nil {
			t.Fatalf("the locked version of %s was deleted", k)
		}
		err = admin.RemoveObject(ctx, "inborrable", k, minio.RemoveObjectOptions{VersionID: info.VersionID, GovernanceBypass: true})
		if err == nil {
			t.Fatalf("the locked version of %s was deleted with governance bypass", k)
		}
	}

	// A second run the same day: retention (the newest of one day)
	// drops the first, whose copy is still locked: kept, no error, counted.
	clk.add(time.Minute)
	if _, err := f.R.Run(ctx, "departments", backup.Full); err != nil {
		t.Fatalf("the run whose prune met a locked archive: %v", err)
	}
	for range 2 { // and again: no error loop
		if removed, err := f.R.Prune(ctx, "departments"); err != nil || len(removed) != 0 {
			t.Fatalf("prune removed %d (%v)", len(removed), err)
		}
	}
	if got, _ := f.St.BackupByID(ctx, first.ID); got.Status != store.BackupOK {
		t.Errorf("the locked backup is %s, want still ok", got.Status)
	}
	if n := lockedKept(t, reg); n != 1 {
		t.Errorf("custodia_backup_locked_kept is %v, want 1", n)
	}
	if _, err := f.R.Verify(ctx, first.ID, f.IDs); err != nil {
		t.Errorf("the locked backup no longer verifies: %v", err)
	}
	var have []string
	for _, v := range versions(t, admin, "inborrable") {
		if strings.HasPrefix(v, key) {
			have = append(have, v)
		}
	}
	if len(have) != 2 {
		t.Errorf("the locked backup's objects are %q, want the archive and its checksum", have)
	}
}

func lockedKept(t *testing.T, reg *prometheus.Registry) float64 {
	t.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == "custodia_backup_locked_kept" && len(mf.GetMetric()) == 1 {
			return mf.GetMetric()[0].GetGauge().GetValue()
		}
	}
	t.Fatal("no custodia_backup_locked_kept metric of one job")
	return 0
}

package store

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"
)

// LastBackups gives each job's newest run and newest good run as a scan
// of every run would; RecentBackups the newest runs, filtered.
func TestLastBackupsMatchAScanOfEveryRun(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		t0 := time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)
		statuses := []string{BackupOK, BackupFailed, BackupOK, BackupPruned, BackupRunning, BackupFailed}
		for i := range 30 {
			job := []string{"database", "dossiers", "clients"}[i%3]
			b := Backup{ID: fmt.Sprintf("%s-%02d", job, i), Job: job, Kind: "full", StartedAt: t0.Add(time.Duration(i) * time.Hour)}
			if err := s.StartBackup(ctx, b); err != nil {
				t.Fatal(err)
			}
			b.Status, b.FinishedAt = statuses[(i/3)%len(statuses)], b.StartedAt.Add(time.Minute)
			if job == "clients" {
				b.Status = BackupFailed // never good
			}
			if err := s.FinishBackup(ctx, b); err != nil {
				t.Fatal(err)
			}
		}
		all, err := s.Backups(ctx, "")
		if err != nil {
			t.Fatal(err)
		}
		for _, good := range [][]string{{BackupOK}, {BackupOK, BackupPruned}} {
			want := map[string]JobBackups{}
			for _, b := range all { // oldest first
				jb := want[b.Job]
				jb.Last = b
				for _, g := range good {
					if b.Status == g {
						jb.Good = &b
					}
				}
				want[b.Job] = jb
			}
			got, err := s.LastBackups(ctx, good...)
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(want) {
				t.Fatalf("good %v: %d jobs, want %d", good, len(got), len(want))
			}
			for _, g := range got {
				if !reflect.DeepEqual(g, want[g.Last.Job]) {
					t.Errorf("good %v, job %s: got last %s good %v, want last %s good %v", good, g.Last.Job, g.Last.ID, g.Good, want[g.Last.Job].Last.ID, want[g.Last.Job].Good)
				}
			}
		}
		recent, err := s.RecentBackups(ctx, "dossiers", BackupOK, 2)
		if err != nil || len(recent) != 2 || recent[0].ID != "dossiers-25" || recent[1].ID != "dossiers-19" {
			t.Errorf("the newest two ok runs of dossiers: %v %v", recent, err)
		}
	})
}

// DeadLetterCounts counts each hook's dead letters as listing them does.
func TestDeadLetterCountsMatchTheList(t *testing.T) {
	t.Parallel()
	eachDB(t, func(t *testing.T, s *Store) {
		ctx := context.Background()
		for i := range 5 {
			if err := s.Audit(ctx, upload("juan", fmt.Sprintf("/ACME/f%d.pdf", i))); err != nil {
				t.Fatal(err)
			}
		}
		for i, hook := range []string{"mail", "mail", "mail", "webhook", "mail"} {
			if err := s.HookDeadLetter(ctx, hook, int64(i+1), 3, "refused"); err != nil {
				t.Fatal(err)
			}
		}
		got, err := s.DeadLetterCounts(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if want := map[string]int{"mail": 4, "webhook": 1}; !reflect.DeepEqual(got, want) {
			t.Errorf("dead letter counts %v, want %v", got, want)
		}
	})
}

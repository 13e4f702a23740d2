package backup

import (
	"fmt"
	"sort"
	"time"

	"github.com/oaq/custodia/store"
)

// DatabaseSource is the source of the job that snapshots the store.
const DatabaseSource = "database"

// Job is one backup job.
type Job struct {
	Name        string
	Source      string // DatabaseSource or a storage folder, e.g. /dossiers
	Full        string // cron expression of full runs; "" for none
	Incremental string // cron expression of incremental runs; "" for none
	Keep        Retention
}

// Retention keeps the newest backup of each of the last Daily days with
// a backup, and the newest full backup of each of the last Monthly months
// and Yearly years; a kept incremental keeps the backups it builds on.
type Retention struct {
	Daily, Monthly, Yearly int
}

// kept returns the ids retention keeps among a job's ok backups, judged
// in loc's calendar.
func (r Retention) kept(bs []store.Backup, loc *time.Location) map[string]bool {
	sorted := append([]store.Backup(nil), bs...)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].StartedAt.After(sorted[j].StartedAt) })
	keep := map[string]bool{}
	slot := func(n int, fullOnly bool, period func(time.Time) string) {
		seen := map[string]bool{}
		for _, b := range sorted {
			if len(seen) >= n {
				return
			}
			if fullOnly && b.Kind != Full {
				continue
			}
			p := period(b.StartedAt.In(loc))
			if !seen[p] {
				seen[p] = true
				keep[b.ID] = true
			}
		}
	}
	slot(r.Daily, false, func(t time.Time) string { return t.Format("2006-01-02") })
	slot(r.Monthly, true, func(t time.Time) string { return t.Format("2006-01") })
	slot(r.Yearly, true, func(t time.Time) string { return t.Format("2006") })
	byID := map[string]store.Backup{}
	for _, b := range bs {
		byID[b.ID] = b
	}
	for id := range keep {
		for b := byID[id]; b.Base != ""; b = byID[b.Base] {
			keep[b.Base] = true
		}
	}
	return keep
}

// chain returns the backups a restore of b applies, oldest (the full)
// first.
func chain(b store.Backup, byID func(id string) (store.Backup, error)) ([]store.Backup, error) {
	out := []store.Backup{b}
	for len(out) < 10000 && out[0].Base != "" {
		base, err := byID(out[0].Base)
		if err != nil {
			return nil, fmt.Errorf("backup %s builds on %s: %w", b.ID, out[0].Base, err)
		}
		if base.Status != store.BackupOK {
			return nil, fmt.Errorf("backup %s builds on %s, which is %s", b.ID, base.ID, base.Status)
		}
		out = append([]store.Backup{base}, out...)
	}
	if out[0].Kind != Full {
		return nil, fmt.Errorf("backup %s: its chain does not start with a full backup", b.ID)
	}
	return out, nil
}

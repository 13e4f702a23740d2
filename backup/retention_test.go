package backup

import (
	"maps"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/store"
)

func TestRetentionDailyDatabase(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	local := t.TempDir()
	id := newIdentity(t)
	clk := &clock{t: time.Date(2026, 1, 1, 1, 30, 0, 0, time.UTC)}
	r := New(Options{Store: st, FilesDir: t.TempDir(), Local: Local{Dir: local},
		Recipients: []age.Recipient{id.Recipient()}, Now: clk.now, Location: time.UTC,
		Jobs: []Job{{Name: "database", Source: DatabaseSource, Full: "30 1 * * *", Keep: Retention{Daily: 30}}}})
	for day := range 40 {
		b, err := r.Run(ctx, "database", Full)
		if err != nil {
			t.Fatalf("day %d: %v", day, err)
		}
		if b.Files != 1 || b.Kind != Full {
			t.Fatalf("day %d: %s backup of %d files, want a full one of custodia.db", day, b.Kind, b.Files)
		}
		clk.add(24 * time.Hour)
	}
	bs, err := st.Backups(ctx, "database")
	if err != nil {
		t.Fatal(err)
	}
	if len(bs) != 40 {
		t.Fatalf("%d backups recorded, want 40", len(bs))
	}
	var want []string
	for i, b := range bs {
		wantStatus := store.BackupOK
		if i < 10 {
			wantStatus = store.BackupPruned
		} else {
			want = append(want, "database/"+b.ID+".age")
		}
		if b.Status != wantStatus {
			t.Errorf("backup %d (%s, %s): status %s, want %s", i, b.ID, b.StartedAt.Format(time.DateOnly), b.Status, wantStatus)
		}
	}
	if n := len(backupsByStatus(t, st, "database", store.BackupOK)); n != 30 {
		t.Errorf("%d ok backups, want 30", n)
	}
	onDisk := filesUnder(t, local)
	ages, sums := withSuffix(onDisk, ".age"), withSuffix(onDisk, ".sha256")
	if !slices.Equal(ages, want) || len(sums) != 30 || len(onDisk) != 60 {
		t.Errorf("local target holds %d files, %d .age and %d .sha256: want exactly the 30 ok archives "+
			"and their checksums\n got %q\nwant %q", len(onDisk), len(ages), len(sums), ages, want)
	}
	// The newest snapshot decrypts.
	m, err := r.Verify(ctx, bs[39].ID, []age.Identity{id})
	if err != nil || len(m.Entries) != 1 || m.Entries[0].Path != "/custodia.db" {
		t.Fatalf("verify newest snapshot: %+v, %v", m.Entries, err)
	}
}

func TestRetentionMonthlyDossiersSixYears(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	filesDir, local := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(filesDir, "dossiers", "ACME", "a.pdf"), []byte("%PDF-1.7\n"))
	id := newIdentity(t)
	start := time.Date(2020, 1, 1, 2, 0, 0, 0, time.UTC)
	clk := &clock{t: start}
	r := New(Options{Store: st, FilesDir: filesDir, Local: Local{Dir: local},
		Recipients: []age.Recipient{id.Recipient()}, Now: clk.now, Location: time.UTC,
		Jobs: []Job{{Name: "dossiers", Source: "/dossiers", Full: "0 2 1 * *", Keep: Retention{Daily: 30, Monthly: 60}}}})
	for month := range 72 {
		clk.t = start.AddDate(0, month, 0)
		if _, err := r.Run(ctx, "dossiers", Full); err != nil {
			t.Fatalf("month %d: %v", month, err)
		}
	}
	ok := backupsByStatus(t, st, "dossiers", store.BackupOK)
	if len(ok) != 60 {
		t.Fatalf("%d ok backups after 72 monthly runs, want 60", len(ok))
	}
	for i, b := range ok {
		if want := start.AddDate(0, 12+i, 0); !b.StartedAt.Equal(want) {
			t.Errorf("ok backup %d started %s, want %s (the newest 60 months)", i, b.StartedAt, want)
		}
	}
	if n := len(backupsByStatus(t, st, "dossiers", store.BackupPruned)); n != 12 {
		t.Errorf("%d pruned backups, want 12", n)
	}
	if ages := withSuffix(filesUnder(t, filepath.Join(local, "dossiers")), ".age"); len(ages) != 60 {
		t.Errorf("%d archives on the local target, want 60", len(ages))
	}
}

func TestRetentionKept(t *testing.T) {
	t.Parallel()
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }
	bk := func(id, kind, base string, at time.Time) store.Backup {
		return store.Backup{ID: id, Job: "j", Kind: kind, Base: base, Status: store.BackupOK, StartedAt: at}
	}
	minus6 := time.FixedZone("UTC-6", -6*3600)
	cases := []struct {
		name string
		keep Retention
		loc  *time.Location
		bs   []store.Backup
		want []string
	}{{
		name: "an incremental keeps its whole chain back to a full outside the window",
		keep: Retention{Daily: 1}, loc: time.UTC,
		bs: []store.Backup{
			bk("old-full", Full, "", day(2026, 1, 1, 2)),
			bk("full", Full, "", day(2026, 1, 2, 2)),
			bk("i1", Incremental, "full", day(2026, 1, 3, 2)),
			bk("i2", Incremental, "i1", day(2026, 1, 4, 2)),
			bk("i3", Incremental, "i2", day(2026, 1, 5, 2)),
		},
		want: []string{"full", "i1", "i2", "i3"},
	}, {
		name: "only the newest backup of a day counts, and its chain",
		keep: Retention{Daily: 2}, loc: time.UTC,
		bs: []store.Backup{
			bk("f1", Full, "", day(2026, 1, 1, 2)),
			bk("i1", Incremental, "f1", day(2026, 1, 2, 2)),
			bk("f2", Full, "", day(2026, 1, 3, 1)),
			bk("i2", Incremental, "f2", day(2026, 1, 3, 12)),
			bk("i3", Incremental, "i2", day(2026, 1, 3, 20)),
			bk("i4", Incremental, "i3", day(2026, 1, 4, 2)),
		},
		want: []string{"f2", "i2", "i3", "i4"},
	}, {
		name: "monthly slots count only full backups",
		keep: Retention{Monthly: 2}, loc: time.UTC,
		bs: []store.Backup{
			bk("jan-full", Full, "", day(2026, 1, 1, 2)),
			bk("jan-i", Incremental, "jan-full", day(2026, 1, 15, 2)),
			bk("feb-full", Full, "", day(2026, 2, 1, 2)),
			bk("feb-full-2", Full, "", day(2026, 2, 10, 2)),
			bk("feb-i", Incremental, "feb-full-2", day(2026, 2, 20, 2)),
			bk("mar-i", Incremental, "feb-i", day(2026, 3, 1, 2)),
			bk("mar-i2", Incremental, "mar-i", day(2026, 3, 2, 2)),
		},
		want: []string{"feb-full-2", "jan-full"},
	}, {
		name: "yearly slots count only full backups",
		keep: Retention{Yearly: 2}, loc: time.UTC,
		bs: []store.Backup{
			bk("2024", Full, "", day(2024, 6, 1, 2)),
			bk("2025a", Full, "", day(2025, 1, 1, 2)),
			bk("2025b", Full, "", day(2025, 12, 1, 2)),
			bk("2026-i", Incremental, "2025b", day(2026, 1, 1, 2)),
		},
		want: []string{"2024", "2025b"},
	}, {
		name: "days are those of the location (UTC)",
		keep: Retention{Daily: 2}, loc: time.UTC,
		bs: []store.Backup{
			bk("c", Full, "", day(2026, 2, 28, 20)),
			bk("a", Full, "", day(2026, 3, 1, 4)),
			bk("b", Full, "", day(2026, 3, 1, 8)),
		},
		want: []string{"b", "c"},
	}, {
		name: "days are those of the location (UTC-6)",
		keep: Retention{Daily: 2}, loc: minus6,
		bs: []store.Backup{
			bk("c", Full, "", day(2026, 2, 28, 20)),
			bk("a", Full, "", day(2026, 3, 1, 4)),
			bk("b", Full, "", day(2026, 3, 1, 8)),
		},
		want: []string{"a", "b"},
	}}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The order given must not matter: the store lists oldest first.
			rev := slices.Clone(c.bs)
			slices.Reverse(rev)
			for _, bs := range [][]store.Backup{c.bs, rev} {
				got := slices.Sorted(maps.Keys(c.keep.kept(bs, c.loc)))
				if !slices.Equal(got, c.want) {
					t.Errorf("kept %q, want %q", got, c.want)
				}
			}
		})
	}
}

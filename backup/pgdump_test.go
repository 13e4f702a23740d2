package backup

import (
	"context"
	"io"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"filippo.io/age"

	"github.com/oaq/custodia/internal/testpg"
	"github.com/oaq/custodia/store"
)

// The database job of a store on PostgreSQL puts a pg_dump of it in the
// same encrypted archive; it verifies against its manifest, and
// pg_restore puts it into an empty database with every row (the README's
// restore steps).
func TestDatabaseBackupOnPostgresIsAPgDump(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st, err := store.OpenURL(ctx, testpg.URL(t), "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.CreateUser(ctx, store.NewUser{Name: "Respaldo", Role: store.RoleStaff, Department: "operaciones"}); err != nil {
		t.Fatal(err)
	}
	local := t.TempDir()
	id := newIdentity(t)
	r := New(Options{Store: st, FilesDir: t.TempDir(), Local: Local{Dir: local},
		Recipients: []age.Recipient{id.Recipient()}, Location: time.UTC,
		Jobs: []Job{{Name: "database", Source: DatabaseSource, Full: "30 1 * * *", Keep: Retention{Daily: 30}}}})
	b, err := r.Run(ctx, "database", Full)
	if err != nil {
		t.Fatalf("the database job on PostgreSQL: %v", err)
	}
	m, err := r.Verify(ctx, b.ID, []age.Identity{id})
	if err != nil {
		t.Fatalf("the pg_dump archive does not verify: %v", err)
	}
	if len(m.Entries) != 1 || m.Entries[0].Path != "/custodia.pgdump" || m.Entries[0].Size == 0 {
		t.Fatalf("the archive holds %+v, want one /custodia.pgdump", m.Entries)
	}
	if left, _ := filepath.Glob(filepath.Join(local, ".snapshot-*")); len(left) > 0 {
		t.Errorf("the dump was left in the backup folder: %v", left)
	}

	// Decrypt it, as the README says, and restore it with pg_restore.
	f, err := os.Open(filepath.Join(local, filepath.FromSlash(archiveName("database", b.ID))))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dump := filepath.Join(t.TempDir(), "custodia.pgdump")
	_, err = readArchive(ctx, f, []age.Identity{id}, visitor{entry: func(e Entry, body io.Reader) error {
		if body == nil {
			return nil
		}
		out, err := os.Create(dump)
		if err != nil {
			return err
		}
		defer out.Close()
		_, err = io.Copy(out, body)
		return err
	}})
	if err != nil {
		t.Fatal(err)
	}
	target := testpg.URL(t)
	u, _ := url.Parse(target)
	pw, _ := u.User.Password()
	u.User = url.User(u.User.Username())
	pgRestore, err := exec.LookPath("pg_restore")
	if err != nil {
		t.Fatalf("pg_restore is not installed beside PostgreSQL (Debian: postgresql-client): %v", err)
	}
	restore := exec.CommandContext(ctx, pgRestore, "--no-owner", "--exit-on-error", "--dbname="+u.String(), dump)
	restore.Env = append(os.Environ(), "PGPASSWORD="+pw)
	if out, err := restore.CombinedOutput(); err != nil {
		t.Fatalf("pg_restore of the backup: %v\n%s", err, out)
	}
	back, err := store.OpenURL(context.Background(), target, "")
	if err != nil {
		t.Fatalf("a store on the restored database: %v", err)
	}
	defer back.Close()
	if u, err := back.UserByName(ctx, "respaldo"); err != nil || u.Department != "operaciones" {
		t.Errorf("the restored database has user respaldo as %+v, %v", u, err)
	}
}

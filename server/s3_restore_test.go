package server_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"filippo.io/age"
	"github.com/minio/minio-go/v7"
	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestS3FilesRestore: with the files on S3, a department's backup (full,
// then an incremental with a deletion) is requested by a staff member,
// approved by the department's manager and run; the restored files are
// put into the bucket, never on local disk, and the requester downloads
// them over SFTP byte for byte; what was deleted before the incremental
// is not restored; another department does not see them; a second run is
// refused; the audit has each step.
func TestS3FilesRestore(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	s3 := testkit.StartS3(t)
	tg := testkit.Start(t, append(s3.StorageEnv("custodia-files", "gw"),
		"CUSTODIA_BACKUP_RECIPIENTS="+id.Recipient().String(), "CUSTODIA_BACKUP_APPROVER_MIN_AGE=0")...)
	g := &s3Gateway{Gateway: tg, s3: s3, bucket: "custodia-files", prefix: "gw/"}
	for _, u := range []store.NewUser{
		{Name: "ana", Role: store.RoleStaff, Department: "operaciones"},
		{Name: "tomas", Role: store.RoleStaff, Department: "trafico"},
		{Name: "olga", Role: store.RoleManager, Department: "operaciones"},
	} {
		tg.AddUser(u)
	}
	big := make([]byte, 3<<20+17)
	rand.Read(big)
	originals := map[string][]byte{
		"/operaciones/reporte.xlsx":          []byte("reporte de operaciones"),
		"/operaciones/2026/escaneo.pdf":      big,
		"/operaciones/2026/vacio.txt":        {},
		"/operaciones/2026/marzo/guia.docx":  []byte("guia de marzo"),
		"/operaciones/2026/borrado.docx":     []byte("se borra antes del incremental"),
		"/operaciones/2026/marzo/nuevo.xlsx": nil, // after the full backup
	}
	ana := tg.SFTP("ana")
	for _, d := range []string{"/operaciones/2026", "/operaciones/2026/marzo", "/operaciones/2026/vacia"} {
		if err := ana.Mkdir(d); err != nil {
			t.Fatalf("mkdir %s: %v", d, err)
		}
	}
	for name, body := range originals {
		if body != nil {
			restoreWrite(t, ana, name, body)
		}
	}
	ctx := t.Context()
	full, err := tg.Server.Backups().Run(ctx, "departments", backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	originals["/operaciones/2026/marzo/nuevo.xlsx"] = []byte("nuevo, en el incremental")
	restoreWrite(t, ana, "/operaciones/2026/marzo/nuevo.xlsx", originals["/operaciones/2026/marzo/nuevo.xlsx"])
	if err := ana.Remove("/operaciones/2026/borrado.docx"); err != nil {
		t.Fatal(err)
	}
	delete(originals, "/operaciones/2026/borrado.docx")
	incr, err := tg.Server.Backups().Run(ctx, "departments", backup.Incremental)
	if err != nil {
		t.Fatal(err)
	}
	if incr.Base != full.ID {
		t.Fatalf("the incremental's base is %q, want %s", incr.Base, full.ID)
	}

	q, err := tg.Server.Backups().Request(ctx, incr.ID, "/departments/operaciones", "se borró un pedimento", "ana", "ana")
	if err != nil {
		t.Fatal(err)
	}
	olga, err := tg.Store().UserByName(ctx, "olga")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Server.Backups().Approve(ctx, q.ID, olga); err != nil {
		t.Fatal(err)
	}
	res, err := tg.Server.Backups().Restore(ctx, q.ID, []age.Identity{id})
	if err != nil {
		t.Fatalf("a restore with the files on S3: %v", err)
	}
	if res.Files != len(originals) || res.Request.Status != store.RestoreDone {
		t.Errorf("the restore wrote %d files and left the request %s, want %d and done", res.Files, res.Request.Status, len(originals))
	}

	base := "/restores/" + q.ID + "/departments"
	ana2 := tg.SFTP("ana") // a new session mounts /restores
	for name, want := range originals {
		if got := restoreRead(t, ana2, base+name); !bytes.Equal(got, want) {
			t.Errorf("%s restored as %d bytes (sha256 %s), want the original %d bytes (sha256 %s)",
				name, len(got), testkit.SHA256Hex(got), len(want), testkit.SHA256Hex(want))
		}
		if got, err := g.object(t, backup.RestoreDir(q.ID)+"/departments"+name); err != nil || got != string(want) {
			t.Errorf("the bucket holds %d bytes at the restored %s (%v), want the original %d", len(got), name, err, len(want))
		}
	}
	if fi, err := ana2.Stat(base + "/operaciones/2026/vacia"); err != nil || !fi.IsDir() {
		t.Errorf("the empty folder is not restored: %v %v", fi, err)
	}
	if _, err := ana2.Stat(base + "/operaciones/2026/borrado.docx"); err == nil {
		t.Error("a file deleted before the incremental is restored")
	}
	if _, err := tg.SFTP("tomas").Stat(base + "/operaciones/reporte.xlsx"); err == nil {
		t.Error("a staff member of another department sees the restored files")
	}
	if got, err := g.object(t, "/departments/operaciones/reporte.xlsx"); err != nil || got != "reporte de operaciones" {
		t.Errorf("the live file changed: %q %v", got, err)
	}
	g.noLocalFile(t, backup.RestoreDir(q.ID))
	if left, _ := filepath.Glob(filepath.Join(tg.DataDir, "files", "restores", ".*")); len(left) > 0 {
		t.Errorf("the restore left its working folder on local disk: %v", left)
	}
	if _, err := tg.Server.Backups().Restore(ctx, q.ID, []age.Identity{id}); err == nil {
		t.Error("a restore ran twice")
	}
	rows := tg.Audit("", 40)
	for _, step := range []string{"backup.restore.request", "backup.restore.approve", "backup.restore.run"} {
		if !slices.ContainsFunc(rows, func(e store.AuditEntry) bool {
			return e.Action == step && e.VPath == q.ID && e.Result == store.ResultOK
		}) {
			t.Errorf("no audit row for %s of %s that succeeded:\n%s", step, q.ID, tg.AuditLog("", 40))
		}
	}
}

// TestS3FilesRestoreNeverOverwrites: a restore whose folder already
// holds an object in the bucket is refused, and the object is left as it
// was; the request stays approved.
func TestS3FilesRestoreNeverOverwrites(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	s3 := testkit.StartS3(t)
	tg := testkit.Start(t, append(s3.StorageEnv("custodia-files", "gw"),
		"CUSTODIA_BACKUP_RECIPIENTS="+id.Recipient().String(), "CUSTODIA_BACKUP_APPROVER_MIN_AGE=0")...)
	g := &s3Gateway{Gateway: tg, s3: s3, bucket: "custodia-files", prefix: "gw/"}
	tg.AddUser(store.NewUser{Name: "ana", Role: store.RoleStaff, Department: "operaciones"})
	tg.AddUser(store.NewUser{Name: "olga", Role: store.RoleManager, Department: "operaciones"})
	restoreWrite(t, tg.SFTP("ana"), "/operaciones/a.txt", []byte("del respaldo"))
	ctx := t.Context()
	full, err := tg.Server.Backups().Run(ctx, "departments", backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	q, err := tg.Server.Backups().Request(ctx, full.ID, "/departments/operaciones", "prueba", "ana", "ana")
	if err != nil {
		t.Fatal(err)
	}
	olga, err := tg.Store().UserByName(ctx, "olga")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Server.Backups().Approve(ctx, q.ID, olga); err != nil {
		t.Fatal(err)
	}
	planted := g.prefix + strings.TrimPrefix(backup.RestoreDir(q.ID), "/") + "/departments/operaciones/a.txt"
	if _, err := s3.Client(t).PutObject(ctx, g.bucket, planted, strings.NewReader("ya estaba"), 9, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := tg.Server.Backups().Restore(ctx, q.ID, []age.Identity{id}); err == nil || !strings.Contains(err.Error(), "never writes over") {
		t.Errorf("a restore into a folder that holds an object answered %v, want a refusal", err)
	}
	if got, err := g.object(t, backup.RestoreDir(q.ID)+"/departments/operaciones/a.txt"); err != nil || got != "ya estaba" {
		t.Errorf("the object in the restore's folder is now %q (%v), want it untouched", got, err)
	}
	if q, err := tg.Store().RestoreRequestByID(ctx, q.ID); err != nil || q.Status != store.RestoreApproved {
		t.Errorf("the refused run left the request %s (%v), want it still approved", q.Status, err)
	}
	if keys := s3.Keys(t, g.bucket, g.prefix+"restores/"); !slices.Equal(keys, []string{strings.TrimPrefix(planted, g.prefix+"restores/")}) &&
		!slices.Equal(keys, []string{"", strings.TrimPrefix(planted, g.prefix+"restores/")}) {
		t.Errorf("the bucket's restores hold %v, want only the planted object", keys)
	}
}

// restoreWrite uploads body as name over SFTP.
func restoreWrite(t *testing.T, c *gosftp.Client, name string, body []byte) {
	t.Helper()
	f, err := c.Create(name)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	if _, err := f.Write(body); err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	if err := f.Close(); err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
}

// restoreRead downloads name over SFTP; nil when it cannot be read.
func restoreRead(t *testing.T, c *gosftp.Client, name string) []byte {
	t.Helper()
	f, err := c.Open(name)
	if err != nil {
		t.Errorf("open %s: %v", name, err)
		return nil
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		t.Errorf("read %s: %v", name, err)
	}
	return b
}

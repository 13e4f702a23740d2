package server_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/minio/minio-go/v7"
	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// s3Gateway is a gateway whose files live in a bucket of a real S3
// server (versitygw) that the gateway creates at start.
type s3Gateway struct {
	*testkit.Gateway
	s3     *testkit.S3
	bucket string
	prefix string // of the keys, with its slash
}

func startS3Gateway(t testing.TB) *s3Gateway {
	t.Helper()
	s3 := testkit.StartS3(t)
	tg := testkit.Start(t, s3.StorageEnv("custodia-files", "gw")...)
	tg.AddClient("ACME", "Acme SA de CV")
	tg.AddClient("beta", "Beta Logistica")
	for _, u := range []store.NewUser{
		{Name: "carla", Role: store.RoleClient, Clients: []string{"ACME"}},
		{Name: "juan", Role: store.RoleCorrespondent, Clients: []string{"ACME"}},
		{Name: "ana", Role: store.RoleStaff, Department: "operaciones"},
		{Name: "pub", Role: store.RolePublisher},
		{Name: "sys", Role: store.RoleAdmin},
	} {
		tg.AddUser(u)
	}
	return &s3Gateway{Gateway: tg, s3: s3, bucket: "custodia-files", prefix: "gw/"}
}

// object reads the object at a storage path from the bucket.
func (g *s3Gateway) object(t *testing.T, spath string) (string, error) {
	t.Helper()
	o, err := g.s3.Client(t).GetObject(context.Background(), g.bucket, g.prefix+strings.TrimPrefix(spath, "/"), minio.GetObjectOptions{})
	if err != nil {
		return "", err
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	return string(b), err
}

// noLocalFile fails when the files tree on local disk holds spath: on S3
// the bytes must be in the bucket only.
func (g *s3Gateway) noLocalFile(t *testing.T, spath string) {
	t.Helper()
	if _, err := os.Lstat(filepath.Join(g.DataDir, "files", filepath.FromSlash(spath))); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("%s is on local disk (lstat: %v): with storage.backend = s3 the files live in the bucket", spath, err)
	}
}

// TestS3FilesAcrossProtocols: on S3, a correspondent uploads over SFTP, a
// staff member over WebDAV, the publisher over SFTP; the client downloads
// over FTPS; every object is in the bucket and nothing in the local tree.
func TestS3FilesAcrossProtocols(t *testing.T) {
	t.Parallel()
	g := startS3Gateway(t)
	sftpPut := func(user, vpath, content string) {
		t.Helper()
		f, err := g.SFTP(user).Create(vpath)
		if err != nil {
			t.Fatalf("%s cannot create %s over SFTP: %v", user, vpath, err)
		}
		if _, err := f.Write([]byte(content)); err != nil {
			t.Fatalf("%s cannot write %s over SFTP: %v", user, vpath, err)
		}
		if err := f.Close(); err != nil {
			t.Fatalf("%s's upload of %s over SFTP was refused: %v", user, vpath, err)
		}
	}
	sftpPut("juan", "/ACME/pedimento.pdf", "%PDF-1.4 pedimento")
	sftpPut("pub", "/ACME/factura.pdf", "%PDF-1.4 factura")
	if r := g.DAV("ana").Do("PUT", "/operaciones/reporte.xlsx", "reporte"); r.Code != 201 && r.Code != 204 {
		t.Fatalf("ana's WebDAV PUT of /operaciones/reporte.xlsx answered %d %s", r.Code, r.Body)
	}
	for spath, want := range map[string]string{
		"/dossiers/ACME/pedimento.pdf": "%PDF-1.4 pedimento", "/clients/ACME/factura.pdf": "%PDF-1.4 factura",
		"/departments/operaciones/reporte.xlsx": "reporte",
	} {
		if got, err := g.object(t, spath); err != nil || got != want {
			t.Errorf("the bucket holds %q (%v) at %s, want %q", got, err, spath, want)
		}
		g.noLocalFile(t, spath)
	}
	r, err := g.FTP("carla").Retr("/ACME/factura.pdf")
	if err != nil {
		t.Fatalf("carla cannot RETR /ACME/factura.pdf over FTPS: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || string(got) != "%PDF-1.4 factura" {
		t.Errorf("carla's FTPS download reads %q (%v)", got, err)
	}
	if r := g.DAV("ana").Do("GET", "/operaciones/reporte.xlsx", "", "Range", "bytes=2-4"); r.Code != 206 || r.Body != "por" {
		t.Errorf("a ranged WebDAV GET answered %d %q, want 206 \"por\"", r.Code, r.Body)
	}
	rows := g.Audit("juan", 50)
	if i := slices.IndexFunc(rows, func(e store.AuditEntry) bool {
		return e.Action == "write" && e.VPath == "/ACME/pedimento.pdf" && e.Result == store.ResultOK && e.SHA256 != ""
	}); i < 0 {
		t.Errorf("no audit row with its sha256 records juan's upload:\n%s", g.AuditLog("juan", 50))
	}
}

// TestS3FilesListingPaginates: a folder of more than 1000 objects (one
// ListObjectsV2 page) lists whole over SFTP and WebDAV.
func TestS3FilesListingPaginates(t *testing.T) {
	t.Parallel()
	g := startS3Gateway(t)
	const n = 1105
	c := g.s3.Client(t)
	ctx := context.Background()
	for i := range n {
		k := fmt.Sprintf("%sclients/ACME/lote/f%04d.pdf", g.prefix, i)
		if _, err := c.PutObject(ctx, g.bucket, k, strings.NewReader("%PDF"), 4, minio.PutObjectOptions{}); err != nil {
			t.Fatalf("planting %s: %v", k, err)
		}
	}
	fis, err := g.SFTP("carla").ReadDir("/ACME/lote")
	if err != nil {
		t.Fatalf("carla cannot list /ACME/lote over SFTP: %v", err)
	}
	if len(fis) != n {
		t.Errorf("SFTP lists %d entries in /ACME/lote, want %d", len(fis), n)
	}
	r := g.DAV("sys").Propfind("/clients/ACME/lote/", "1")
	if got := strings.Count(r.Body, "/lote/f"); r.Code != 207 || got != n {
		t.Errorf("a WebDAV PROPFIND of /clients/ACME/lote answered %d and lists %d of the %d files", r.Code, got, n)
	}
}

// TestS3FilesCorrespondentCannotOverwrite: over SFTP and FTPS, a
// correspondent's second upload of a name is refused and the object in
// the bucket stays as the first upload put it.
func TestS3FilesCorrespondentCannotOverwrite(t *testing.T) {
	t.Parallel()
	g := startS3Gateway(t)
	f, err := g.SFTP("juan").Create("/ACME/unico.pdf")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("first"))
	if err := f.Close(); err != nil {
		t.Fatalf("juan's first upload was refused: %v", err)
	}
	if f, err := g.SFTP("juan").Create("/ACME/unico.pdf"); err == nil {
		f.Write([]byte("second"))
		err = f.Close()
		if err == nil {
			t.Errorf("juan overwrote /ACME/unico.pdf over SFTP")
		}
	} else if !errors.Is(err, os.ErrPermission) {
		t.Errorf("juan's SFTP overwrite answered %v, want permission denied", err)
	}
	err = g.FTP("juan").Stor("/ACME/unico.pdf", strings.NewReader("third"))
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code/100 != 5 {
		t.Errorf("juan's FTPS STOR over /ACME/unico.pdf answered %v, want a 5xx refusal", err)
	}
	if got, err := g.object(t, "/dossiers/ACME/unico.pdf"); err != nil || got != "first" {
		t.Errorf("the bucket holds %q (%v) at /dossiers/ACME/unico.pdf, want the first upload", got, err)
	}
}

// TestS3FilesAbortedUploadLeavesNothing: an SFTP upload whose connection
// drops mid-transfer leaves no key in the bucket and no staged file.
func TestS3FilesAbortedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	g := startS3Gateway(t)
	c, conn := g.RawSFTP("juan")
	f, err := c.Create("/ACME/cortado.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(make([]byte, 256<<10)); err != nil {
		t.Fatal(err)
	}
	conn.Close()
	testkit.WaitFor(t, 10*time.Second, "the aborted upload's failed audit row", func() bool {
		return slices.ContainsFunc(g.Audit("juan", 50), func(e store.AuditEntry) bool {
			return e.VPath == "/ACME/cortado.pdf" && e.Result == store.ResultFailed
		})
	})
	for _, k := range g.s3.Keys(t, g.bucket, g.prefix) {
		if strings.Contains(k, "cortado") || strings.HasPrefix(k, ".incoming") {
			t.Errorf("the aborted upload left the key %s in the bucket", k)
		}
	}
	if left, _ := os.ReadDir(filepath.Join(g.DataDir, "files", ".incoming")); len(left) > 0 {
		t.Errorf("the aborted upload left %d staged files in .incoming", len(left))
	}
}

// TestS3FilesFolderRenameRefused: S3 has no folders to rename; each
// protocol answers its own "unsupported", and the folder stays whole.
func TestS3FilesFolderRenameRefused(t *testing.T) {
	t.Parallel()
	g := startS3Gateway(t)
	sc := g.SFTP("ana")
	if err := sc.Mkdir("/operaciones/carpeta"); err != nil {
		t.Fatalf("ana cannot make /operaciones/carpeta over SFTP: %v", err)
	}
	f, err := sc.Create("/operaciones/carpeta/a.docx")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("a"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	var se *gosftp.StatusError
	if err := sc.Rename("/operaciones/carpeta", "/operaciones/otra"); !errors.As(err, &se) || se.FxCode() != gosftp.ErrSSHFxOpUnsupported {
		t.Errorf("an SFTP rename of a folder on S3 answered %v, want SSH_FX_OP_UNSUPPORTED", err)
	}
	r := g.DAV("ana").Do("MOVE", "/operaciones/carpeta/", "", "Destination", g.DAV("ana").URL("/operaciones/otra/"))
	if r.Code != 501 {
		t.Errorf("a WebDAV MOVE of a folder on S3 answered %d %s, want 501", r.Code, r.Body)
	}
	err = g.FTP("ana").Rename("/operaciones/carpeta", "/operaciones/otra")
	var te *textproto.Error
	if !errors.As(err, &te) || te.Code != 550 || !strings.Contains(te.Msg, "not supported") {
		t.Errorf("an FTPS RNFR/RNTO of a folder on S3 answered %v, want 550 \"not supported\"", err)
	}
	if got, err := g.object(t, "/departments/operaciones/carpeta/a.docx"); err != nil || got != "a" {
		t.Errorf("the folder's file is no longer in place after the refused renames: %q, %v", got, err)
	}
	if err := sc.Rename("/operaciones/carpeta/a.docx", "/operaciones/b.docx"); err != nil {
		t.Errorf("an SFTP rename of a file on S3 failed: %v", err)
	}
	if got, err := g.object(t, "/departments/operaciones/b.docx"); err != nil || got != "a" {
		t.Errorf("the renamed file reads %q, %v", got, err)
	}
}

// TestS3FilesHostilePaths: names with "..", encoded dots and slashes or
// NUL, over SFTP and WebDAV, reach no key outside the user's folders.
func TestS3FilesHostilePaths(t *testing.T) {
	t.Parallel()
	g := startS3Gateway(t)
	if _, err := g.s3.Client(t).PutObject(context.Background(), g.bucket, g.prefix+"dossiers/BETA/secreto.pdf",
		strings.NewReader("beta only"), 9, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	sc := g.SFTP("juan")
	for _, p := range []string{"/ACME/../BETA/secreto.pdf", "/../dossiers/BETA/secreto.pdf", "/ACME/%2e%2e/BETA/secreto.pdf",
		"/ACME/..%2fBETA%2fsecreto.pdf", "/ACME/\x00/../BETA/secreto.pdf", "/BETA/secreto.pdf"} {
		if f, err := sc.Open(p); err == nil {
			b, _ := io.ReadAll(f)
			f.Close()
			if strings.Contains(string(b), "beta") {
				t.Errorf("juan read BETA's file over SFTP through %q", p)
			}
		}
		if f, err := sc.Create(p); err == nil {
			f.Write([]byte("overwritten"))
			f.Close()
		}
	}
	dav := g.DAV("juan")
	for _, p := range []string{"/ACME/%2e%2e/BETA/secreto.pdf", "/ACME/..%2fBETA%2fsecreto.pdf", "/ACME/%2e%2e%2fBETA/secreto.pdf", "/ACME/%00/secreto.pdf"} {
		if r, err := dav.Try("GET", p, ""); err == nil && strings.Contains(r.Body, "beta only") {
			t.Errorf("juan read BETA's file over WebDAV through %q", p)
		}
		dav.Try("PUT", p, "overwritten")
	}
	if got, err := g.object(t, "/dossiers/BETA/secreto.pdf"); err != nil || got != "beta only" {
		t.Errorf("BETA's object reads %q, %v after the hostile requests", got, err)
	}
	for _, k := range g.s3.Keys(t, g.bucket, g.prefix) {
		if strings.HasPrefix(k, "dossiers/BETA/") && k != "dossiers/BETA/" && k != "dossiers/BETA/secreto.pdf" {
			t.Errorf("a hostile name made the key %s under BETA's folder", k)
		}
		if !strings.HasPrefix(k, "clients/") && !strings.HasPrefix(k, "dossiers/") && !strings.HasPrefix(k, "departments/") && !strings.HasPrefix(k, "restores/") {
			t.Errorf("a key outside the areas appeared: %s", k)
		}
	}
}

// TestS3FilesBackupReadsTheBucket: with the files on S3, the dossiers
// backup (full, then incremental from the journal) archives the objects,
// and Verify proves each one restores with its sha256 (TestS3FilesRestore
// restores them).
func TestS3FilesBackupReadsTheBucket(t *testing.T) {
	t.Parallel()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	s3 := testkit.StartS3(t)
	tg := testkit.Start(t, append(s3.StorageEnv("custodia-files", "gw"),
		"CUSTODIA_BACKUP_RECIPIENTS="+id.Recipient().String(), "CUSTODIA_BACKUP_APPROVER_MIN_AGE=0", "CUSTODIA_BACKUP_CLIENT_APPROVERS=mario")...)
	tg.AddClient("ACME", "Acme SA de CV")
	tg.AddUser(store.NewUser{Name: "juan", Role: store.RoleCorrespondent, Clients: []string{"ACME"}})
	tg.AddUser(store.NewUser{Name: "mario", Role: store.RoleManager, Department: "trafico"})
	tg.AddUser(store.NewUser{Name: "sys", Role: store.RoleAdmin})
	put := func(vpath, content string) {
		t.Helper()
		f, err := tg.SFTP("juan").Create(vpath)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte(content))
		if err := f.Close(); err != nil {
			t.Fatalf("juan's upload of %s: %v", vpath, err)
		}
	}
	if err := tg.SFTP("juan").Mkdir("/ACME/2026"); err != nil {
		t.Fatal(err)
	}
	put("/ACME/2026/pedimento.pdf", "%PDF-1.4 pedimento")
	ctx := t.Context()
	full, err := tg.Server.Backups().Run(ctx, "dossiers", backup.Full)
	if err != nil {
		t.Fatalf("the full dossiers backup on S3 failed: %v", err)
	}
	put("/ACME/2026/anexo.pdf", "%PDF-1.4 anexo")
	inc, err := tg.Server.Backups().Run(ctx, "dossiers", backup.Incremental)
	if err != nil {
		t.Fatalf("the incremental dossiers backup on S3 failed: %v", err)
	}
	for _, c := range []struct {
		id   string
		want []string
	}{{full.ID, []string{"/dossiers/ACME/2026/pedimento.pdf"}}, {inc.ID, []string{"/dossiers/ACME/2026/anexo.pdf"}}} {
		m, err := tg.Server.Backups().Verify(ctx, c.id, []age.Identity{id})
		if err != nil {
			t.Fatalf("verifying backup %s: %v", c.id, err)
		}
		for _, w := range c.want {
			if !slices.ContainsFunc(m.Entries, func(e backup.Entry) bool { return e.Path == w && e.Size > 0 && e.SHA256 != "" }) {
				t.Errorf("backup %s does not hold %s read from the bucket: %+v", c.id, w, m.Entries)
			}
		}
	}
}

// TestS3FilesMetadataUnsupported: what S3 cannot keep is refused as
// unsupported, not accepted and lost: WebDAV PROPPATCH and a WebDAV COPY
// of a folder (times: TestS3FilesTimes).
func TestS3FilesMetadataUnsupported(t *testing.T) {
	t.Parallel()
	g := startS3Gateway(t)
	sc := g.SFTP("ana")
	f, err := sc.Create("/operaciones/a.docx")
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("a"))
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	dav := g.DAV("ana")
	r := dav.Do("PROPPATCH", "/operaciones/a.docx", `<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:x"><D:set><D:prop><Z:color>red</Z:color></D:prop></D:set></D:propertyupdate>`)
	if r.Code == 207 && strings.Contains(r.Body, "200 OK") {
		t.Errorf("a WebDAV PROPPATCH on S3 was accepted (%d %s): the property would be lost", r.Code, r.Body)
	}
	if err := sc.Mkdir("/operaciones/carpeta"); err != nil {
		t.Fatal(err)
	}
	if r := dav.Do("COPY", "/operaciones/carpeta/", "", "Destination", dav.URL("/operaciones/copia/")); r.Code != 501 {
		t.Errorf("a WebDAV COPY of a folder on S3 answered %d %s, want 501", r.Code, r.Body)
	}
}

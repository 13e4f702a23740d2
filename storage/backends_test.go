package storage_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// s3Env is a real S3 server (versitygw) and a minio-go client that looks
// at the bucket behind custodia's back.
type s3Env struct {
	srv    *testkit.S3
	client *minio.Client
	bucket string
	prefix string
}

func startS3(t testing.TB) *s3Env {
	t.Helper()
	srv := testkit.StartS3(t)
	c, err := minio.New(srv.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, "")})
	if err != nil {
		t.Fatal(err)
	}
	return &s3Env{srv: srv, client: c, bucket: "custodia", prefix: "gw1"}
}

func (s *s3Env) options() storage.S3Options {
	return storage.S3Options{Endpoint: s.srv.Endpoint, Bucket: s.bucket, Prefix: s.prefix,
		AccessKey: s.srv.AccessKey, SecretKey: s.srv.SecretKey, Insecure: true}
}

// keys lists every key of the bucket under prefix (relative to custodia's prefix).
func (s *s3Env) keys(t testing.TB, prefix string) []string {
	t.Helper()
	var out []string
	for oi := range s.client.ListObjects(context.Background(), s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + "/" + prefix, Recursive: true}) {
		if oi.Err != nil {
			t.Fatalf("listing the bucket: %v", oi.Err)
		}
		out = append(out, strings.TrimPrefix(oi.Key, s.prefix+"/"))
	}
	return out
}

// put plants an object at a storage path, as another gateway would.
func (s *s3Env) put(t testing.TB, spath, content string) {
	t.Helper()
	_, err := s.client.PutObject(context.Background(), s.bucket, s.prefix+spath, strings.NewReader(content), int64(len(content)), minio.PutObjectOptions{})
	if err != nil {
		t.Fatalf("planting %s: %v", spath, err)
	}
}

// backendEnv is an env whose files live on one backend.
type backendEnv struct {
	*env
	s3 *s3Env // nil on local disk
}

// backends runs fn once with the files on local disk and once in S3.
func backends(t *testing.T, fn func(t *testing.T, e backendEnv)) {
	t.Run("local", func(t *testing.T) {
		t.Parallel()
		fn(t, backendEnv{env: newEnv(t, "ACME", "BETA")})
	})
	t.Run("s3", func(t *testing.T) {
		t.Parallel()
		s3 := startS3(t)
		st, rules := newStore(t)
		dir := filepath.Join(t.TempDir(), "data", "files")
		files, err := storage.OpenFilesS3(context.Background(), dir, []string{"operaciones"}, s3.options())
		if err != nil {
			t.Fatalf("opening the files tree on S3: %v", err)
		}
		t.Cleanup(func() { files.Close() })
		for _, c := range []string{"ACME", "BETA"} {
			if _, err := st.CreateClient(context.Background(), c, c+" S.A."); err != nil {
				t.Fatal(err)
			}
			if err := files.AddClient(c); err != nil {
				t.Fatalf("adding client %s's folders on S3: %v", c, err)
			}
		}
		fn(t, backendEnv{env: &env{st: st, rules: rules, files: files, dir: dir}, s3: s3})
	})
}

// staff is the view of ana, staff of operaciones.
func (e backendEnv) staff(t *testing.T) *storage.View {
	t.Helper()
	u, err := e.st.CreateUser(context.Background(), store.NewUser{Name: "ana", Role: store.RoleStaff, Department: "operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	return newView(t, e.st, e.rules, e.files, u)
}

// putFile writes content to vpath through v and closes it.
func putFile(ctx context.Context, v *storage.View, vpath, content string) error {
	u, err := v.Create(ctx, vpath)
	if err != nil {
		return err
	}
	if _, err := u.Write([]byte(content)); err != nil {
		u.TransferError(err)
		u.Close()
		return err
	}
	return u.Close()
}

func readAll(ctx context.Context, v *storage.View, vpath string) (string, error) {
	d, err := v.Open(ctx, vpath)
	if err != nil {
		return "", err
	}
	defer d.Close()
	b, err := io.ReadAll(d)
	return string(b), err
}

// TestBackendsServeTheView runs the view's everyday operations on both
// backends: mkdir (an empty folder exists), upload, list, ranged read,
// overwrite by staff, remove, and rmdir refused while a folder holds a file.
func TestBackendsServeTheView(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e backendEnv) {
		ctx := context.Background()
		staff := e.staff(t)
		if err := staff.Mkdir(ctx, "/operaciones/2026"); err != nil {
			t.Fatalf("staff ana cannot make /operaciones/2026: %v", err)
		}
		if fi, err := staff.Stat(ctx, "/operaciones/2026"); err != nil || !fi.IsDir() {
			t.Fatalf("the empty folder /operaciones/2026 does not exist after mkdir (%v, %v)", fi, err)
		}
		if err := staff.Mkdir(ctx, "/operaciones/2026"); !errors.Is(err, storage.ErrExists) {
			t.Errorf("a second mkdir of /operaciones/2026 returned %v, want ErrExists", err)
		}
		data := strings.Repeat("0123456789", 1000)
		if err := putFile(ctx, staff, "/operaciones/2026/informe.txt", data); err != nil {
			t.Fatalf("staff ana cannot upload informe.txt: %v", err)
		}
		if err := staff.Mkdir(ctx, "/operaciones/2026/sub"); err != nil {
			t.Fatal(err)
		}
		list, err := staff.ReadDir(ctx, "/operaciones/2026")
		if err != nil {
			t.Fatalf("listing /operaciones/2026: %v", err)
		}
		var got []string
		for _, fi := range list {
			got = append(got, fi.Name())
			if fi.Name() == "informe.txt" && (fi.IsDir() || fi.Size() != int64(len(data))) {
				t.Errorf("informe.txt is listed as dir=%v size=%d, want a file of %d bytes", fi.IsDir(), fi.Size(), len(data))
			}
			if fi.Name() == "sub" && !fi.IsDir() {
				t.Errorf("sub is listed as a file")
			}
		}
		if strings.Join(got, ",") != "informe.txt,sub" {
			t.Errorf("/operaciones/2026 lists %q, want informe.txt and sub", got)
		}
		d, err := staff.Open(ctx, "/operaciones/2026/informe.txt")
		if err != nil {
			t.Fatalf("opening informe.txt: %v", err)
		}
		buf := make([]byte, 10)
		for _, off := range []int64{5000, 20, 9990} {
			if n, err := d.ReadAt(buf, off); n != 10 || (err != nil && err != io.EOF) || string(buf) != data[off:off+10] {
				t.Errorf("ReadAt(%d) = %q, %d, %v; want %q", off, buf[:n], n, err, data[off:off+10])
			}
		}
		d.Close()
		if err := putFile(ctx, staff, "/operaciones/2026/informe.txt", "v2"); err != nil {
			t.Fatalf("staff ana cannot overwrite informe.txt: %v", err)
		}
		if got, err := readAll(ctx, staff, "/operaciones/2026/informe.txt"); err != nil || got != "v2" {
			t.Errorf("after the overwrite informe.txt reads %q, %v; want v2", got, err)
		}
		if err := staff.RemoveDir(ctx, "/operaciones/2026"); !errors.Is(err, storage.ErrNotEmpty) {
			t.Errorf("removing the non-empty folder /operaciones/2026 returned %v, want ErrNotEmpty", err)
		}
		if err := staff.Remove(ctx, "/operaciones/2026/informe.txt"); err != nil {
			t.Fatalf("removing informe.txt: %v", err)
		}
		if err := staff.RemoveDir(ctx, "/operaciones/2026/sub"); err != nil {
			t.Fatalf("removing the empty folder sub: %v", err)
		}
		if err := staff.RemoveDir(ctx, "/operaciones/2026"); err != nil {
			t.Fatalf("removing the now empty folder /operaciones/2026: %v", err)
		}
		if _, err := staff.Stat(ctx, "/operaciones/2026"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("/operaciones/2026 is still there after rmdir: %v", err)
		}
		if e.s3 != nil {
			if left := e.s3.keys(t, "departments/operaciones/2026"); len(left) > 0 {
				t.Errorf("the bucket still holds %q after the folder was removed", left)
			}
		}
	})
}

// TestBackendsNoOverwriteIsAtomic opens two uploads of the same new name
// before either is closed: the second to close must be refused, never
// replace the first, on both backends (S3: If-None-Match: *).
func TestBackendsNoOverwriteIsAtomic(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e backendEnv) {
		ctx := context.Background()
		corr := e.view(t, "corr", store.RoleCorrespondent, "ACME")
		corr2 := e.view(t, "corr2", store.RoleCorrespondent, "ACME")
		const vpath = "/ACME/pedimento.pdf"
		a, err := corr.CreateNew(ctx, vpath)
		if err != nil {
			t.Fatal(err)
		}
		b, err := corr2.CreateNew(ctx, vpath)
		if err != nil {
			t.Fatal(err)
		}
		a.Write([]byte("first"))
		b.Write([]byte("second"))
		if err := a.Close(); err != nil {
			t.Fatalf("the first upload of %s was refused: %v", vpath, err)
		}
		if err := b.Close(); !errors.Is(err, storage.ErrExists) {
			t.Errorf("the second upload of %s closed with %v, want ErrExists", vpath, err)
		}
		if got, err := readAll(ctx, e.view(t, "root", store.RoleAdmin), "/dossiers"+vpath); err != nil || got != "first" {
			t.Errorf("%s reads %q, %v; want the first upload's content", vpath, got, err)
		}
		if err := putFile(ctx, corr, vpath, "again"); !errors.Is(err, storage.ErrDenied) {
			t.Errorf("correspondent corr overwrote %s: %v, want ErrDenied", vpath, err)
		}
	})
}

// TestBackendsAbortedUploadLeavesNothing: an upload whose transfer failed
// is not visible, and on S3 no key of it is in the bucket.
func TestBackendsAbortedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e backendEnv) {
		ctx := context.Background()
		corr := e.view(t, "corr", store.RoleCorrespondent, "ACME")
		u, err := corr.Create(ctx, "/ACME/parcial.pdf")
		if err != nil {
			t.Fatal(err)
		}
		u.Write(bytes.Repeat([]byte("x"), 1<<20))
		u.TransferError(errors.New("connection lost"))
		if err := u.Close(); !errors.Is(err, storage.ErrFailed) {
			t.Errorf("closing an aborted upload returned %v, want ErrFailed", err)
		}
		if _, err := corr.Stat(ctx, "/ACME/parcial.pdf"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("the aborted upload is visible: %v", err)
		}
		if left := e.incoming(t); len(left) > 0 {
			t.Errorf("the aborted upload left %q in .incoming", left)
		}
		if e.s3 != nil {
			for _, k := range e.s3.keys(t, "") {
				if strings.Contains(k, "parcial") || strings.HasPrefix(k, ".incoming") {
					t.Errorf("the aborted upload left the key %s in the bucket", k)
				}
			}
		}
	})
}

// TestBackendsRename: a file is renamed (never over a visible file
// unless replacing); a folder is renamed on disk and refused, as
// unsupported, on S3.
func TestBackendsRename(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e backendEnv) {
		ctx := context.Background()
		staff := e.staff(t)
		for _, f := range []string{"a.txt", "b.txt"} {
			if err := putFile(ctx, staff, "/operaciones/"+f, f); err != nil {
				t.Fatal(err)
			}
		}
		if err := staff.Rename(ctx, "/operaciones/a.txt", "/operaciones/b.txt", false); !errors.Is(err, storage.ErrExists) {
			t.Errorf("renaming over b.txt without replace returned %v, want ErrExists", err)
		}
		if err := staff.Rename(ctx, "/operaciones/a.txt", "/operaciones/c.txt", false); err != nil {
			t.Fatalf("renaming a.txt to c.txt: %v", err)
		}
		if got, err := readAll(ctx, staff, "/operaciones/c.txt"); err != nil || got != "a.txt" {
			t.Errorf("c.txt reads %q, %v after the rename", got, err)
		}
		if _, err := staff.Stat(ctx, "/operaciones/a.txt"); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("a.txt is still there after its rename: %v", err)
		}
		if err := staff.Rename(ctx, "/operaciones/c.txt", "/operaciones/b.txt", true); err != nil {
			t.Fatalf("renaming c.txt over b.txt with replace: %v", err)
		}
		if got, _ := readAll(ctx, staff, "/operaciones/b.txt"); got != "a.txt" {
			t.Errorf("b.txt reads %q after being replaced by c.txt", got)
		}
		if err := staff.Mkdir(ctx, "/operaciones/carpeta"); err != nil {
			t.Fatal(err)
		}
		err := staff.Rename(ctx, "/operaciones/carpeta", "/operaciones/otra", false)
		switch {
		case e.s3 == nil && err != nil:
			t.Errorf("renaming a folder on disk: %v", err)
		case e.s3 != nil && !errors.Is(err, storage.ErrUnsupported):
			t.Errorf("renaming a folder on S3 returned %v, want ErrUnsupported", err)
		}
	})
}

// TestBackendsHostilePathsStayInTheirMount: names with "..", encoded
// dots and slashes or NUL cannot reach another client's keys.
func TestBackendsHostilePathsStayInTheirMount(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e backendEnv) {
		ctx := context.Background()
		admin := e.view(t, "root", store.RoleAdmin)
		if err := putFile(ctx, admin, "/dossiers/BETA/secreto.pdf", "beta only"); err != nil {
			t.Fatal(err)
		}
		corr := e.view(t, "corr", store.RoleCorrespondent, "ACME")
		for _, p := range []string{"/ACME/../BETA/secreto.pdf", "/../dossiers/BETA/secreto.pdf", "/ACME/%2e%2e/BETA/secreto.pdf",
			"/ACME/..%2fBETA%2fsecreto.pdf", "/ACME/\x00/../BETA/secreto.pdf", "/ACME/..\\BETA\\secreto.pdf", "/BETA/secreto.pdf"} {
			if _, err := readAll(ctx, corr, p); err == nil {
				t.Errorf("correspondent of ACME read BETA's file through %q", p)
			}
			putFile(ctx, corr, p, "overwritten") // a literal name inside ACME may be written
		}
		if got, _ := readAll(ctx, admin, "/dossiers/BETA/secreto.pdf"); got != "beta only" {
			t.Errorf("BETA's file now reads %q", got)
		}
		if list, err := admin.ReadDir(ctx, "/dossiers/BETA"); err != nil || len(list) != 1 {
			t.Errorf("BETA's folder holds %d entries (%v), want its one file", len(list), err)
		}
		if e.s3 != nil {
			for _, k := range e.s3.keys(t, "") {
				if !strings.HasPrefix(k, "clients/") && !strings.HasPrefix(k, "dossiers/") && !strings.HasPrefix(k, "departments/") && !strings.HasPrefix(k, "restores/") {
					t.Errorf("a key outside the areas appeared: %s", k)
				}
				if strings.HasPrefix(k, "dossiers/BETA/") && k != "dossiers/BETA/secreto.pdf" && k != "dossiers/BETA/" {
					t.Errorf("a hostile name made the key %s", k)
				}
			}
		}
	})
}

// TestS3BigUploadIsMultipartAndNeverReplaces puts files larger than one
// part (multipart): the object reads back whole, and a second new upload
// of the same name is still refused at its completion.
func TestS3BigUploadIsMultipartAndNeverReplaces(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e backendEnv) {
		if e.s3 == nil {
			t.Skip("S3 only: local files are renamed into place")
		}
		ctx := context.Background()
		corr := e.view(t, "corr", store.RoleCorrespondent, "ACME")
		corr2 := e.view(t, "corr2", store.RoleCorrespondent, "ACME")
		big := bytes.Repeat([]byte("expediente digital 0123456789 "), (40<<20)/30)
		a, err := corr.CreateNew(ctx, "/ACME/grande.pdf")
		if err != nil {
			t.Fatal(err)
		}
		b, err := corr2.CreateNew(ctx, "/ACME/grande.pdf")
		if err != nil {
			t.Fatal(err)
		}
		a.Write(big)
		b.Write(big[:len(big)-1])
		if err := a.Close(); err != nil {
			t.Fatalf("the first big upload was refused: %v", err)
		}
		if err := b.Close(); !errors.Is(err, storage.ErrExists) {
			t.Errorf("the second big upload of the same new name closed with %v, want ErrExists", err)
		}
		oi, err := e.s3.client.StatObject(ctx, e.s3.bucket, e.s3.prefix+"/dossiers/ACME/grande.pdf", minio.StatObjectOptions{})
		if err != nil || oi.Size != int64(len(big)) {
			t.Fatalf("the object is %d bytes (%v), want %d", oi.Size, err, len(big))
		}
		if !strings.Contains(oi.ETag, "-") {
			t.Errorf("the object's ETag %q is not a multipart one: it was not put in parts", oi.ETag)
		}
		got, err := readAll(ctx, e.view(t, "root", store.RoleAdmin), "/dossiers/ACME/grande.pdf")
		if err != nil || got != string(big) {
			t.Errorf("the big file reads back %d bytes (%v), want %d identical", len(got), err, len(big))
		}
	})
}

// TestBackendsReconcileAndWalk: an upload stopped by a crash after it
// was put in place (its audit row not yet written) is recovered by
// Reconcile from the backend, one stopped before is settled as failed;
// Walk (quota scan) finds the files on either backend.
func TestBackendsReconcileAndWalk(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e backendEnv) {
		ctx := context.Background()
		corr := e.view(t, "corr", store.RoleCorrespondent, "ACME")
		if err := putFile(ctx, corr, "/ACME/uno.pdf", "uno"); err != nil {
			t.Fatal(err)
		}
		storage.SetCrash(e.files, "rename")
		if err := putFile(ctx, corr, "/ACME/dos.pdf", "dos"); err == nil {
			t.Fatal("an upload stopped by a simulated crash was acknowledged")
		}
		storage.SetCrash(e.files, "pending")
		if err := putFile(ctx, corr, "/ACME/tres.pdf", "tres"); err == nil {
			t.Fatal("an upload stopped by a simulated crash was acknowledged")
		}
		storage.SetCrash(e.files, "")
		rows, err := e.files.Reconcile(ctx, e.st)
		if err != nil {
			t.Fatalf("Reconcile: %v", err)
		}
		got := map[string]store.Result{}
		for _, r := range rows {
			got[r.VPath] = r.Result
		}
		if got["/ACME/dos.pdf"] != store.ResultOK || got["/ACME/tres.pdf"] != store.ResultFailed || len(got) != 2 {
			t.Errorf("Reconcile settled %v, want dos.pdf recovered (ok) and tres.pdf failed", got)
		}
		files, err := e.files.Walk()
		if err != nil {
			t.Fatalf("Walk: %v", err)
		}
		want := map[string]int64{"/dossiers/ACME/uno.pdf": 3, "/dossiers/ACME/dos.pdf": 3}
		if len(files) != len(want) || files["/dossiers/ACME/uno.pdf"] != 3 || files["/dossiers/ACME/dos.pdf"] != 3 {
			t.Errorf("Walk found %v, want %v", files, want)
		}
		if n, ok := e.files.FileSize("/dossiers/ACME/dos.pdf"); !ok || n != 3 {
			t.Errorf("FileSize of dos.pdf = %d, %v", n, ok)
		}
	})
}

// TestBackendsReadAtOutOfOrder reads a 6 MiB file in 32 KiB pieces the
// way a server's workers reorder a pipelined SFTP client's reads
// (neighbours swapped, some far jumps back and forth), and with Read
// after them: every piece has the file's bytes at its offset.
func TestBackendsReadAtOutOfOrder(t *testing.T) {
	t.Parallel()
	backends(t, func(t *testing.T, e backendEnv) {
		ctx := context.Background()
		staff := e.staff(t)
		data := make([]byte, 6<<20)
		for i := range data {
			data[i] = byte(i*7 + i>>13)
		}
		if err := putFile(ctx, staff, "/operaciones/datos.bin", string(data)); err != nil {
			t.Fatal(err)
		}
		d, err := staff.Open(ctx, "/operaciones/datos.bin")
		if err != nil {
			t.Fatal(err)
		}
		defer d.Close()
		const piece = 32 << 10
		var offs []int64
		for o := int64(0); o < int64(len(data)); o += 2 * piece {
			offs = append(offs, o+piece, o) // each pair swapped
		}
		offs = append(offs, 5<<20, 100, 3<<20+7, int64(len(data))-10, 1<<20+1) // far jumps
		buf := make([]byte, piece)
		for _, o := range offs {
			n, err := d.ReadAt(buf, o)
			want := data[o:min(o+piece, int64(len(data)))]
			if n != len(want) || !bytes.Equal(buf[:n], want) || (err != nil && !(err == io.EOF && n < piece)) {
				t.Fatalf("ReadAt(%d) = %d bytes, %v; want the file's %d bytes there", o, n, err, len(want))
			}
		}
		if n, err := d.ReadAt(buf, int64(len(data))); n != 0 || err != io.EOF {
			t.Errorf("ReadAt at the end = %d, %v; want 0, io.EOF", n, err)
		}
		all, err := io.ReadAll(d)
		if err != nil || !bytes.Equal(all, data) {
			t.Errorf("Read after the ReadAts returned %d bytes (%v), want the whole file", len(all), err)
		}
	})
}

// TestS3OpenCleansOnlyItsOwnAsideObjects: gateways sharing a bucket each
// keep the objects their overwrites replace under .incoming/<gateway>/;
// opening the bucket removes this gateway's leftovers (a crash's) and
// leaves another gateway's alone, which may be an overwrite of its in
// flight that puts the object back from there if it fails.
func TestS3OpenCleansOnlyItsOwnAsideObjects(t *testing.T) {
	t.Parallel()
	s3 := startS3(t)
	dir := filepath.Join(t.TempDir(), "data", "files")
	o := s3.options()
	o.Gateway = "host-1234abcd"
	files, err := storage.OpenFilesS3(context.Background(), dir, []string{"operaciones"}, o)
	if err != nil {
		t.Fatal(err)
	}
	files.Close()
	s3.put(t, "/.incoming/host-1234abcd/stale", "left by this gateway's crash")
	s3.put(t, "/.incoming/host-99999999/inflight", "another gateway's overwrite in flight")
	files, err = storage.OpenFilesS3(context.Background(), dir, []string{"operaciones"}, o)
	if err != nil {
		t.Fatal(err)
	}
	defer files.Close()
	got := s3.keys(t, ".incoming/")
	if !slices.Contains(got, ".incoming/host-99999999/inflight") {
		t.Errorf("opening the bucket removed another gateway's object kept aside: %q left", got)
	}
	if slices.Contains(got, ".incoming/host-1234abcd/stale") {
		t.Errorf("opening the bucket left this gateway's own leftover: %q", got)
	}
}

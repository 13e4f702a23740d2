package storage_test

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/storage"
)

// stageTree writes files (name → content) and the empty folder "vacia"
// into a new folder on local disk, as a restore stages them.
func stageTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "vacia"), 0o750); err != nil {
		t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o750); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o640); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func openS3Files(t *testing.T, s3 *s3Env) *storage.Files {
	t.Helper()
	files, err := storage.OpenFilesS3(context.Background(), filepath.Join(t.TempDir(), "files"), nil, s3.options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	return files
}

// TestS3PutTree: a staged folder is put into the bucket whole, each file
// checked against its sha256; a file whose bytes differ from its sha256
// stops the put, and everything put before it is taken back out; a folder
// that exists is never put over.
func TestS3PutTree(t *testing.T) {
	t.Parallel()
	s3 := startS3(t)
	files := openS3Files(t, s3)
	ctx := t.Context()
	content := map[string]string{"a.txt": "uno", "sub/b.txt": "dos", "sub/c/d.txt": ""}
	sums := map[string]string{}
	for n, c := range content {
		sums[n] = testkit.SHA256Hex([]byte(c))
	}
	sum := func(rel string) (string, bool) { s, ok := sums[rel]; return s, ok }
	dir := stageTree(t, content)

	n, err := files.PutTree(ctx, dir, "/restores/r-1", sum)
	if err != nil || n != 3 {
		t.Fatalf("PutTree put %d files (%v), want 3", n, err)
	}
	for name, want := range content {
		o, err := s3.client.GetObject(ctx, s3.bucket, s3.prefix+"/restores/r-1/"+name, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(o)
		o.Close()
		if err != nil || string(got) != want {
			t.Errorf("%s in the bucket is %q (%v), want %q", name, got, err, want)
		}
	}
	if fi, err := files.StatTree(ctx, "/restores/r-1/vacia"); err != nil || !fi.IsDir() {
		t.Errorf("the empty folder is not in the bucket: %v %v", fi, err)
	}
	if _, err := files.PutTree(ctx, dir, "/restores/r-1", sum); !errors.Is(err, fs.ErrExist) {
		t.Errorf("a second PutTree at the same folder answered %v, want fs.ErrExist", err)
	}
	want := []string{"restores/r-1/", "restores/r-1/a.txt", "restores/r-1/sub/", "restores/r-1/sub/b.txt",
		"restores/r-1/sub/c/", "restores/r-1/sub/c/d.txt", "restores/r-1/vacia/"}
	if got := s3.keys(t, "restores/r-1/"); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Errorf("after a refused second put the bucket holds %v, want %v", got, want)
	}

	sums["sub/b.txt"] = testkit.SHA256Hex([]byte("otro contenido"))
	_, err = files.PutTree(ctx, dir, "/restores/r-2", sum)
	t.Log(err)
	if err == nil || !strings.Contains(err.Error(), "sha256") {
		t.Fatalf("PutTree of a file whose bytes differ from its sha256 answered %v, want an error naming the sha256", err)
	}
	if got := s3.keys(t, "restores/r-2"); len(got) != 0 {
		t.Errorf("a put stopped by a wrong sha256 left %v in the bucket", got)
	}
	delete(sums, "sub/b.txt")
	if _, err := files.PutTree(ctx, dir, "/restores/r-3", sum); err == nil {
		t.Fatal("PutTree put a file without a sha256 to check it against")
	}
	if got := s3.keys(t, "restores/r-3"); len(got) != 0 {
		t.Errorf("a put stopped by a missing sha256 left %v in the bucket", got)
	}
	if _, err := files.PutTree(ctx, dir, "/restores/../x", sum); !errors.Is(err, storage.ErrInvalidPath) {
		t.Errorf("PutTree at an unclean path answered %v, want ErrInvalidPath", err)
	}
}

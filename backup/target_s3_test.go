package backup_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"io"
	"net"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/oaq/custodia/backup"
	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// s3Admin is a client of the test's S3 server with its root keys: the
// test's own eyes on the bucket.
func s3Admin(t testing.TB, s *testkit.S3) *minio.Core {
	t.Helper()
	c, err := minio.NewCore(s.Endpoint, &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func makeBucket(t *testing.T, c *minio.Core, name string, lock bool) {
	t.Helper()
	if err := c.MakeBucket(t.Context(), name, minio.MakeBucketOptions{ObjectLocking: lock}); err != nil {
		t.Fatalf("make bucket %s: %v", name, err)
	}
}

func newS3Target(t *testing.T, s *testkit.S3, endpoint, bucket, secret, lock string) *backup.S3 {
	t.Helper()
	tg, err := backup.NewS3(backup.S3Options{Endpoint: endpoint, Bucket: bucket, Prefix: "custodia/", Region: "us-east-1",
		AccessKey: s.AccessKey, SecretKey: secret, Insecure: true, ObjectLock: lock, PartSize: 5 << 20})
	if err != nil {
		t.Fatal(err)
	}
	return tg
}

// versions lists every version of every object in the bucket, as
// "key" (delete markers as "key (deleted)"), sorted.
func versions(t *testing.T, c *minio.Core, bucket string) []string {
	t.Helper()
	var out []string
	for o := range c.ListObjectsIter(t.Context(), bucket, minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if o.Err != nil {
			t.Fatalf("list %s: %v", bucket, o.Err)
		}
		if o.IsDeleteMarker {
			o.Key += " (deleted)"
		}
		out = append(out, o.Key)
	}
	sort.Strings(out)
	return out
}

func pendingUploads(t *testing.T, c *minio.Core, bucket string) int {
	t.Helper()
	res, err := c.ListMultipartUploads(t.Context(), bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	return len(res.Uploads)
}

func getObject(t *testing.T, c *minio.Core, bucket, key string) []byte {
	t.Helper()
	o, err := c.Client.GetObject(t.Context(), bucket, key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer o.Close()
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("get %s: %v", key, err)
	}
	return b
}

func randomBytes(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	rand.Read(b)
	return b
}

type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time      { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// A run to the S3 target puts the same archive and checksum as the local
// target, in parts, under the prefix; the list records both targets;
// verify and restore read the archive back from S3 when the local copy
// is gone; prune removes every version of both objects.
func TestS3TargetRunVerifyRestorePrune(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	admin := s3Admin(t, s3)
	makeBucket(t, admin, "respaldos", false)
	if err := admin.EnableVersioning(t.Context(), "respaldos"); err != nil { // a prune must remove every version
		t.Fatal(err)
	}
	clk := &fakeClock{t: time.Now().UTC()}
	f := backup.NewRemoteFixture(t, newS3Target(t, s3, s3.Endpoint, "respaldos", s3.SecretKey, ""),
		backup.Retention{Daily: 2}, clk.now, nil)
	ctx := t.Context()
	big := randomBytes(t, 11<<20) // three parts of 5 MiB at most
	f.Put(t, "/departments/operaciones/pedimento.txt", "pedimento 3421")
	f.Put(t, "/departments/operaciones/grande.bin", string(big))

	b, err := f.R.Run(ctx, "departments", backup.Full)
	if err != nil {
		t.Fatal(err)
	}
	if b.Targets != "local,s3" {
		t.Fatalf("the backup is on %q, want local,s3", b.Targets)
	}
	listed, err := f.St.Backups(ctx, "departments")
	if err != nil || len(listed) != 1 || listed[0].Targets != "local,s3" || listed[0].Status != store.BackupOK {
		t.Fatalf("backup list: %+v (%v)", listed, err)
	}
	name := backup.ArchiveName("departments", b.ID)
	key := "custodia/" + name
	if got, want := versions(t, admin, "respaldos"), []string{key, key + ".sha256"}; !slicesEqual(got, want) {
		t.Fatalf("the bucket holds %q, want %q", got, want)
	}
	local := filepath.Join(f.LocalDir, filepath.FromSlash(name))
	lb, err := os.ReadFile(local)
	if err != nil {
		t.Fatal(err)
	}
	if rb := getObject(t, admin, "respaldos", key); !bytes.Equal(lb, rb) {
		t.Fatalf("the S3 archive (%d bytes) differs from the local one (%d bytes)", len(rb), len(lb))
	}
	if sum := string(getObject(t, admin, "respaldos", key+".sha256")); sum != b.SHA256+"  "+b.ID+".age\n" {
		t.Errorf("the S3 checksum is %q", sum)
	}
	if int64(len(lb)) <= 10<<20 {
		t.Fatalf("the archive is %d bytes: too small to need several parts", len(lb))
	}

	// Only S3 holds it now.
	if err := os.Remove(local); err != nil {
		t.Fatal(err)
	}
	if _, err := f.R.Verify(ctx, b.ID, f.IDs); err != nil {
		t.Fatalf("verify from S3: %v", err)
	}
	req := f.Approved(t, b.ID, "/departments/operaciones")
	if _, err := f.R.Restore(ctx, req, f.IDs); err != nil {
		t.Fatalf("restore from S3: %v", err)
	}
	restored, err := os.ReadFile(filepath.Join(f.Files, "restores", req, "departments/operaciones/grande.bin"))
	if err != nil || !bytes.Equal(restored, big) {
		t.Fatalf("the restored file differs (%d bytes, %v)", len(restored), err)
	}

	// Three days later, with two runs since, retention (two days) drops
	// the first: gone from S3, every version.
	for range 2 {
		clk.add(36 * time.Hour)
		if _, err := f.R.Run(ctx, "departments", backup.Full); err != nil {
			t.Fatal(err)
		}
	}
	for _, v := range versions(t, admin, "respaldos") {
		if strings.HasPrefix(v, key) {
			t.Errorf("pruned backup %s still in the bucket: %s", b.ID, v)
		}
	}
	if n := len(versions(t, admin, "respaldos")); n != 4 {
		t.Errorf("the bucket holds %d objects, want the two kept archives and checksums", n)
	}
	if got, err := f.St.BackupByID(ctx, b.ID); err != nil || got.Status != store.BackupPruned {
		t.Errorf("the first backup is %s after the prune (%v), want pruned", got.Status, err)
	}
}

func slicesEqual(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// stallingProxy forwards TCP to target; once, the connection on which
// more than after bytes (of all connections) have gone up stops being
// forwarded, and stalled closes: an upload cut off mid-part.
type stallingProxy struct {
	l       net.Listener
	target  string
	after   int64
	mu      sync.Mutex
	sent    int64
	stalled chan struct{}
	conns   []net.Conn
}

func startStallingProxy(t *testing.T, target string, after int64) *stallingProxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &stallingProxy{l: l, target: target, after: after, stalled: make(chan struct{})}
	go p.serve()
	t.Cleanup(func() {
		l.Close()
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, c := range p.conns {
			c.Close()
		}
	})
	return p
}

func (p *stallingProxy) serve() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		up, err := net.Dial("tcp", p.target)
		if err != nil {
			c.Close()
			continue
		}
		p.mu.Lock()
		p.conns = append(p.conns, c, up)
		p.mu.Unlock()
		go func() { io.Copy(c, up); c.Close() }()
		go p.forward(c, up)
	}
}

// forward copies up, counting, until the threshold; then discards.
func (p *stallingProxy) forward(c, up net.Conn) {
	defer up.Close()
	buf := make([]byte, 32<<10)
	stalled := false
	for {
		n, err := c.Read(buf)
		if n > 0 && !stalled {
			p.mu.Lock()
			p.sent += int64(n)
			if p.sent > p.after && !isClosed(p.stalled) {
				close(p.stalled)
				stalled = true
			}
			p.mu.Unlock()
			if !stalled {
				if _, werr := up.Write(buf[:n]); werr != nil {
					return
				}
			}
		}
		if err != nil {
			return
		}
	}
}

func isClosed(c chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// A run cancelled in the middle of the S3 upload fails, and leaves no
// object and no incomplete multipart upload in the bucket, and nothing
// in the local target.
func TestS3InterruptedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	admin := s3Admin(t, s3)
	makeBucket(t, admin, "respaldos", false)
	proxy := startStallingProxy(t, s3.Endpoint, 6<<20) // inside the second part
	f := backup.NewRemoteFixture(t, newS3Target(t, s3, proxy.l.Addr().String(), "respaldos", s3.SecretKey, ""),
		backup.Retention{Daily: 2}, nil, nil)
	f.Put(t, "/departments/operaciones/grande.bin", string(randomBytes(t, 9<<20)))

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	type result struct {
		b   store.Backup
		err error
	}
	done := make(chan result, 1)
	go func() { b, err := f.R.Run(ctx, "departments", backup.Full); done <- result{b, err} }()
	select {
	case <-proxy.stalled:
	case r := <-done:
		t.Fatalf("the run ended before the upload stalled: %v", r.err)
	case <-time.After(time.Minute):
		t.Fatal("the upload never reached the stall")
	}
	if n := pendingUploads(t, admin, "respaldos"); n != 1 {
		t.Fatalf("%d multipart uploads in progress at the stall, want 1", n)
	}
	cancel()
	var r result
	select {
	case r = <-done:
	case <-time.After(time.Minute):
		t.Fatal("the cancelled run did not end")
	}
	if r.err == nil {
		t.Fatal("a cancelled run succeeded")
	}
	if got := versions(t, admin, "respaldos"); len(got) != 0 {
		t.Errorf("the cancelled run left objects: %q", got)
	}
	if n := pendingUploads(t, admin, "respaldos"); n != 0 {
		t.Errorf("the cancelled run left %d incomplete multipart uploads", n)
	}
	got, err := f.St.BackupByID(t.Context(), r.b.ID)
	if err != nil || got.Status != store.BackupFailed || got.Targets != "" {
		t.Errorf("the cancelled run is recorded as %s on %q (%v)", got.Status, got.Targets, err)
	}
	if left, _ := filepath.Glob(filepath.Join(f.LocalDir, "departments", "*")); len(left) != 0 {
		t.Errorf("the cancelled run left local files: %q", left)
	}
}

// A wrong secret key fails the run with an error that says what to
// check, and never shows the secret.
func TestS3WrongSecret(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	admin := s3Admin(t, s3)
	makeBucket(t, admin, "respaldos", false)
	const wrong = "not-the-secret-0123456789abcdef"
	f := backup.NewRemoteFixture(t, newS3Target(t, s3, s3.Endpoint, "respaldos", wrong, ""), backup.Retention{Daily: 2}, nil, nil)
	f.Put(t, "/departments/operaciones/a.txt", "a")
	b, err := f.R.Run(t.Context(), "departments", backup.Full)
	if err == nil {
		t.Fatal("a run with a wrong secret succeeded")
	}
	if !strings.Contains(err.Error(), "refused the credentials") || !strings.Contains(err.Error(), "backup.s3.secret_key") {
		t.Errorf("the error does not say what to check: %v", err)
	}
	if strings.Contains(err.Error(), wrong) || strings.Contains(err.Error(), s3.SecretKey) {
		t.Errorf("the error shows a secret: %v", err)
	}
	if got, _ := f.St.BackupByID(t.Context(), b.ID); got.Status != store.BackupFailed {
		t.Errorf("the run is recorded as %s", got.Status)
	}
	if got := versions(t, admin, "respaldos"); len(got) != 0 {
		t.Errorf("objects in the bucket: %q", got)
	}
}

// A missing bucket, and object lock asked of a bucket without it, are
// named as such.
func TestS3BucketErrorsAreClear(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	admin := s3Admin(t, s3)
	makeBucket(t, admin, "sin-candado", false)
	for _, c := range []struct{ bucket, lock, want string }{
		{"no-existe", "", "the bucket does not exist"},
		{"sin-candado", "compliance", "the bucket has no object lock"},
	} {
		f := backup.NewRemoteFixture(t, newS3Target(t, s3, s3.Endpoint, c.bucket, s3.SecretKey, c.lock), backup.Retention{Daily: 2}, nil, nil)
		f.Put(t, "/departments/operaciones/a.txt", "a")
		_, err := f.R.Run(t.Context(), "departments", backup.Full)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("bucket %s, object_lock %q: %v; want an error saying %q", c.bucket, c.lock, err, c.want)
		}
	}
	if got := versions(t, admin, "sin-candado"); len(got) != 0 {
		t.Errorf("objects in the bucket: %q", got)
	}
}

// NewS3 refuses plain HTTP to anything but loopback.
func TestS3InsecureOnlyOnLoopback(t *testing.T) {
	t.Parallel()
	for endpoint, ok := range map[string]bool{
		"127.0.0.1:7070": true, "[::1]:7070": true, "localhost:7070": true,
		"s3.example.com:443": false, "10.0.0.5:9000": false, "http://127.0.0.1:7070": false,
	} {
		_, err := backup.NewS3(backup.S3Options{Endpoint: endpoint, Bucket: "b", AccessKey: "a", SecretKey: "s", Insecure: true})
		if (err == nil) != ok {
			t.Errorf("insecure endpoint %s: %v", endpoint, err)
		}
	}
}

// Remove, as the recovery after a crash calls it for a run left
// running, also aborts the archive's multipart upload that the stopped
// process left pending (and no other).
func TestS3RemoveAbortsPendingUpload(t *testing.T) {
	t.Parallel()
	s3 := testkit.StartS3(t)
	admin := s3Admin(t, s3)
	makeBucket(t, admin, "respaldos", false)
	tg := newS3Target(t, s3, s3.Endpoint, "respaldos", s3.SecretKey, "")
	ctx := t.Context()
	name := backup.ArchiveName("departments", "departments-20261202T080000Z-0badcafe")
	for _, key := range []string{"custodia/" + name, "custodia/departments/other.age"} {
		id, err := admin.NewMultipartUpload(ctx, "respaldos", key, minio.PutObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		part := bytes.Repeat([]byte("x"), 1<<20)
		if _, err := admin.PutObjectPart(ctx, "respaldos", key, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	if err := tg.Remove(ctx, name); err != nil {
		t.Fatal(err)
	}
	res, err := admin.ListMultipartUploads(ctx, "respaldos", "", "", "", "", 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Uploads) != 1 || res.Uploads[0].Key != "custodia/departments/other.age" {
		t.Errorf("pending uploads after Remove: %+v, want only another archive's", res.Uploads)
	}
}

package backup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"filippo.io/age"
	"github.com/klauspost/compress/zstd"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// --- shared helpers (also used by retention_test.go) ---

// clock is the runner's injected clock.
type clock struct{ t time.Time }

func (c *clock) now() time.Time      { return c.t }
func (c *clock) add(d time.Duration) { c.t = c.t.Add(d) }

func openStore(t *testing.T) *store.Store {
	t.Helper()
	st, err := store.Open(t.Context(), filepath.Join(t.TempDir(), "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newIdentity(t *testing.T) *age.X25519Identity {
	t.Helper()
	id, err := age.GenerateX25519Identity()
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func writeFile(t *testing.T, file string, body []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(file), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, body, 0o640); err != nil {
		t.Fatal(err)
	}
}

// filesUnder lists every regular file below dir, as slash paths relative
// to it, sorted.
func filesUnder(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out = append(out, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

func withSuffix(names []string, suffix string) []string {
	var out []string
	for _, n := range names {
		if strings.HasSuffix(n, suffix) {
			out = append(out, n)
		}
	}
	return out
}

// tree maps every entry below dir to its content ("<dir>" for folders).
func tree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || p == dir {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[filepath.ToSlash(rel)] = "<dir>"
			return nil
		}
		b, err := os.ReadFile(p)
		out[filepath.ToSlash(rel)] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sha(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func backupsByStatus(t *testing.T, st *store.Store, job, status string) []store.Backup {
	t.Helper()
	bs, err := st.Backups(t.Context(), job)
	if err != nil {
		t.Fatal(err)
	}
	var out []store.Backup
	for _, b := range bs {
		if b.Status == status {
			out = append(out, b)
		}
	}
	return out
}

// --- TestIncrementalFromJournal ---

// put uploads a file through the view, as the protocols do.
func put(t *testing.T, v *storage.View, vpath, body string) {
	t.Helper()
	u, err := v.Create(t.Context(), vpath)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
}

func newUser(t *testing.T, st *store.Store, name string, role store.Role, dept string) *store.User {
	t.Helper()
	u, err := st.CreateUser(t.Context(), store.NewUser{Name: name, Role: role, Department: dept})
	if err != nil {
		t.Fatal(err)
	}
	if u.Status != store.StatusActive {
		t.Fatalf("%s is %s", name, u.Status)
	}
	return u
}

func TestIncrementalFromJournal(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	enf, err := authz.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	filesDir := filepath.Join(t.TempDir(), "files")
	files, err := storage.OpenFiles(filesDir, []string{"operaciones", "finanzas"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	view := func(u *store.User) *storage.View {
		v, err := storage.NewView(ctx, storage.ViewOptions{User: u, Files: files, Decider: enf, Auditor: st,
			Session: storage.Session{ID: "s-" + u.Name, Protocol: "sftp", Remote: "127.0.0.1:1"}})
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	admin := view(newUser(t, st, "ana", store.RoleAdmin, ""))
	const ops = "/departments/operaciones"
	put(t, admin, ops+"/informe.txt", "informe intacto")
	put(t, admin, ops+"/viejo.txt", "se borrará")
	put(t, admin, ops+"/borrador.txt", "borrador que se renombra")
	for _, d := range []string{"/proyectos", "/proyectos/sub", "/intacto"} {
		if err := admin.Mkdir(ctx, ops+d); err != nil {
			t.Fatal(err)
		}
	}
	put(t, admin, ops+"/proyectos/plan.txt", "plan")
	put(t, admin, ops+"/proyectos/sub/detalle.txt", "detalle")
	put(t, admin, ops+"/intacto/nota.txt", "nota")
	put(t, admin, "/departments/finanzas/balance.txt", "otro departamento")

	id := newIdentity(t)
	clk := &clock{t: time.Date(2026, 3, 1, 4, 0, 0, 0, time.UTC)}
	r := New(Options{Store: st, FilesDir: filesDir, Local: Local{Dir: t.TempDir()},
		Recipients: []age.Recipient{id.Recipient()}, Rules: enf, Now: clk.now, Location: time.UTC,
		Jobs: []Job{{Name: "departments", Source: "/departments", Full: "0 4 * * 0", Incremental: "0 4 * * *",
			Keep: Retention{Daily: 30}}}})
	full, err := r.Run(ctx, "departments", Full)
	if err != nil {
		t.Fatal(err)
	}
	if full.Kind != Full || full.Base != "" || full.Files != 7 {
		t.Fatalf("full: kind %s base %q files %d, want full, no base, 7 files", full.Kind, full.Base, full.Files)
	}

	put(t, admin, ops+"/nuevo.txt", "nuevo tras la completa")
	if err := admin.Remove(ctx, ops+"/viejo.txt"); err != nil {
		t.Fatal(err)
	}
	if err := admin.Rename(ctx, ops+"/borrador.txt", ops+"/final.txt", false); err != nil {
		t.Fatal(err)
	}
	if err := admin.Rename(ctx, ops+"/proyectos", ops+"/proyectos-2026", false); err != nil {
		t.Fatal(err)
	}
	if err := admin.Mkdir(ctx, ops+"/vacia"); err != nil {
		t.Fatal(err)
	}

	clk.add(24 * time.Hour)
	ids := []age.Identity{id}
	incr, err := r.Run(ctx, "departments", Incremental)
	if err != nil {
		t.Fatal(err)
	}
	if incr.Kind != Incremental || incr.Base != full.ID {
		t.Fatalf("incremental: kind %s base %q, want incremental on %s", incr.Kind, incr.Base, full.ID)
	}
	m, err := r.Verify(ctx, incr.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range m.Entries {
		p := e.Path
		if e.Dir {
			p += "/"
		} else {
			live, err := os.ReadFile(filepath.Join(filesDir, filepath.FromSlash(e.Path)))
			if err != nil || sha(live) != e.SHA256 || int64(len(live)) != e.Size {
				t.Errorf("entry %s: size %d sha256 %s do not match the live file (%v)", e.Path, e.Size, e.SHA256, err)
			}
		}
		got = append(got, p)
	}
	sort.Strings(got)
	want := []string{ops + "/final.txt", ops + "/nuevo.txt", ops + "/proyectos-2026/", ops + "/proyectos-2026/plan.txt",
		ops + "/proyectos-2026/sub/", ops + "/proyectos-2026/sub/detalle.txt", ops + "/vacia/"}
	if !slices.Equal(got, want) {
		t.Errorf("incremental entries:\n got %q\nwant %q", got, want)
	}
	wantDeleted := []string{ops + "/borrador.txt", ops + "/proyectos", ops + "/viejo.txt"}
	if !slices.Equal(m.Deleted, wantDeleted) {
		t.Errorf("incremental deleted:\n got %q\nwant %q", m.Deleted, wantDeleted)
	}
	if m.Kind != Incremental || m.Base != full.ID || m.ID != incr.ID {
		t.Errorf("manifest: kind %s base %s id %s", m.Kind, m.Base, m.ID)
	}

	// The restore: requested by one manager, approved by another.
	rosa := newUser(t, st, "rosa", store.RoleManager, "operaciones")
	marco := newUser(t, st, "marco", store.RoleManager, "operaciones")
	fina := newUser(t, st, "fina", store.RoleManager, "finanzas")
	q, err := r.Request(ctx, incr.ID, ops, "borré una carpeta por error", "rosa", "rosa")
	if err != nil {
		t.Fatal(err)
	}
	restored := filepath.Join(filesDir, "restores", q.ID)
	if _, err := r.Restore(ctx, q.ID, ids); err == nil {
		t.Fatal("a restore ran before any approval")
	}
	if _, err := os.Lstat(restored); !errors.Is(err, fs.ErrNotExist) {
		t.Fatalf("an unapproved restore left %s: %v", restored, err)
	}
	if _, err := r.Approve(ctx, q.ID, rosa); err == nil {
		t.Fatal("the requester approved her own restore")
	}
	if _, err := r.Approve(ctx, q.ID, fina); err == nil {
		t.Fatal("the manager of finanzas approved a restore of operaciones")
	}
	if q, err = st.RestoreRequestByID(ctx, q.ID); err != nil || q.Status != store.RestoreRequested {
		t.Fatalf("after refused approvals the request is %q (%v), want requested", q.Status, err)
	}
	if q, err = r.Approve(ctx, q.ID, marco); err != nil {
		t.Fatal(err)
	}
	if q.Status != store.RestoreApproved || q.Approver != "marco" {
		t.Fatalf("approved request: status %s approver %q", q.Status, q.Approver)
	}
	res, err := r.Restore(ctx, q.ID, ids)
	if err != nil {
		t.Fatal(err)
	}
	if q = res.Request; q.Status != store.RestoreDone || res.Files == 0 {
		t.Fatalf("restore: status %s, %d files", q.Status, res.Files)
	}
	live := filepath.Join(filesDir, "departments", "operaciones")
	back := filepath.Join(restored, "departments", "operaciones")
	gotTree, wantTree := tree(t, back), tree(t, live)
	if fmt.Sprint(gotTree) != fmt.Sprint(wantTree) {
		t.Errorf("restored tree differs from the live one:\n got %v\nwant %v", gotTree, wantTree)
	}
	for rel, body := range wantTree {
		if body == "<dir>" {
			continue
		}
		a, errA := os.Stat(filepath.Join(live, filepath.FromSlash(rel)))
		b, errB := os.Stat(filepath.Join(back, filepath.FromSlash(rel)))
		if errA != nil || errB != nil || !a.ModTime().Equal(b.ModTime()) {
			t.Errorf("%s: restored mtime differs from the live one (%v, %v)", rel, errA, errB)
		}
	}
	if got := tree(t, filepath.Join(restored, "departments")); got["finanzas"] != "" {
		t.Errorf("a restore of %s brought back another department: %v", ops, got)
	}
	if _, err := r.Restore(ctx, q.ID, ids); err == nil {
		t.Fatal("the same request was restored twice")
	}

	// The requester may now read her restored files through her own view.
	rv := view(rosa)
	d, err := rv.Open(ctx, RestoreDir(q.ID)+ops+"/proyectos-2026/sub/detalle.txt")
	if err != nil {
		t.Fatalf("the requester cannot read the restored files: %v", err)
	}
	body, err := io.ReadAll(d)
	d.Close()
	if err != nil || string(body) != "detalle" {
		t.Fatalf("restored file read by the requester: %q, %v", body, err)
	}
}

// --- TestArchiveHasNoPlaintext ---

func TestArchiveHasNoPlaintext(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	filesDir, local := t.TempDir(), t.TempDir()
	marker := []byte("MARCADOR-CONFIDENCIAL-4711")
	secret := bytes.Repeat(append(marker, '\n'), 4000) // ~100 KiB, compresses to almost nothing
	writeFile(t, filepath.Join(filesDir, "dossiers", "ACME", "secreto.txt"), secret)
	id := newIdentity(t)
	clk := &clock{t: time.Date(2026, 1, 1, 2, 0, 0, 0, time.UTC)}
	r := New(Options{Store: st, FilesDir: filesDir, Local: Local{Dir: local},
		Recipients: []age.Recipient{id.Recipient()}, Now: clk.now, Location: time.UTC,
		Jobs: []Job{{Name: "dossiers", Source: "/dossiers", Full: "0 2 1 * *", Keep: Retention{Daily: 30}}}})
	b, err := r.Run(ctx, "dossiers", Full)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(local, filepath.FromSlash(archiveName("dossiers", b.ID)))
	orig, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(orig, []byte("age-encryption.org/v1\n")) {
		t.Fatalf("the archive is not an age file: %q", orig[:min(len(orig), 40)])
	}
	for _, plain := range [][]byte{marker, marker[:12], []byte("secreto.txt"), []byte("MANIFEST")} {
		if bytes.Contains(orig, plain) {
			t.Errorf("the archive holds the plaintext %q", plain)
		}
	}
	// zstd of the content holds the marker once as a literal: that must
	// not show either; and the archive was compressed before encryption.
	zenc, _ := zstd.NewWriter(nil)
	compressed := zenc.EncodeAll(secret, nil)
	zenc.Close()
	if bytes.Contains(orig, compressed[len(compressed)/4:len(compressed)/2]) {
		t.Error("the archive holds the zstd-compressed plaintext")
	}
	if int64(len(orig)) != b.Size || sha(orig) != b.SHA256 || len(orig) > len(secret)/10 {
		t.Errorf("archive of %d bytes (recorded %d, sha256 %s): want the recorded figures, "+
			"and compression before encryption", len(orig), b.Size, b.SHA256)
	}
	sumLine, err := os.ReadFile(file + ".sha256")
	if err != nil || string(sumLine) != b.SHA256+"  "+b.ID+".age\n" {
		t.Errorf("checksum file %q, %v", sumLine, err)
	}

	// The right identity opens it and finds the file.
	m, err := r.Verify(ctx, b.ID, []age.Identity{id})
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Entries) != 3 || m.Entries[2].Path != "/dossiers/ACME/secreto.txt" || m.Entries[2].SHA256 != sha(secret) {
		t.Fatalf("manifest entries %+v", m.Entries)
	}
	if _, err := r.Verify(ctx, b.ID, []age.Identity{newIdentity(t)}); err == nil {
		t.Error("another identity decrypted the archive")
	}

	check := func(name string, body []byte, fixSum bool) {
		t.Helper()
		writeFile(t, file, body)
		bb := b
		if fixSum { // the recorded checksum agrees: only the encryption can tell
			bb.Size, bb.SHA256 = int64(len(body)), sha(body)
			if err := st.FinishBackup(ctx, bb); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.Verify(ctx, b.ID, []age.Identity{id}); err == nil {
			t.Errorf("%s: Verify accepted it", name)
		}
		writeFile(t, file, orig)
		if err := st.FinishBackup(ctx, b); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Verify(ctx, b.ID, []age.Identity{id}); err != nil {
			t.Fatalf("after %s, the original no longer verifies: %v", name, err)
		}
	}
	// Whoever knows the public key can forge an archive with the same
	// content: only the checksum the store recorded tells it apart.
	dr, err := age.Decrypt(bytes.NewReader(orig), id)
	if err != nil {
		t.Fatal(err)
	}
	var forged bytes.Buffer
	ew, err := age.Encrypt(&forged, id.Recipient())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(ew, dr); err != nil || ew.Close() != nil {
		t.Fatalf("re-encrypt: %v", err)
	}
	check("re-encrypted to the same recipient", forged.Bytes(), false)

	flipped := bytes.Clone(orig)
	flipped[len(flipped)/2] ^= 0x01
	for _, fix := range []bool{false, true} {
		check(fmt.Sprintf("one byte flipped (checksum fixed: %v)", fix), flipped, fix)
		check(fmt.Sprintf("truncated by half (checksum fixed: %v)", fix), orig[:len(orig)/2], fix)
		check(fmt.Sprintf("last byte cut (checksum fixed: %v)", fix), orig[:len(orig)-1], fix)
		check(fmt.Sprintf("bytes appended (checksum fixed: %v)", fix), append(bytes.Clone(orig), "trailing"...), fix)
	}
}

// --- TestFailedRemoteNeverCounts ---

// flakyRemote stands in for the off-site SFTP server: its first fails
// Puts stop after half the data, as a dropped connection does; the others
// store the archive in memory.
type flakyRemote struct {
	mu      sync.Mutex
	fails   int
	puts    int
	partial int64 // bytes the failed transfers received
	files   map[string][]byte
}

func (f *flakyRemote) Name() string { return "offsite" }

func (f *flakyRemote) Put(_ context.Context, name string, r io.Reader, size int64, sum string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.puts++
	if f.puts <= f.fails {
		n, _ := io.CopyN(io.Discard, r, size/2)
		f.partial += n
		return fmt.Errorf("sftp: connection lost after %d of %d bytes", n, size)
	}
	body, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if int64(len(body)) != size || sha(body) != sum {
		return fmt.Errorf("offsite: got %d bytes sha256 %s, announced %d %s", len(body), sha(body), size, sum)
	}
	f.files[name] = body
	return nil
}

func (f *flakyRemote) Open(_ context.Context, name string) (io.ReadCloser, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	body, ok := f.files[name]
	if !ok {
		return nil, fmt.Errorf("offsite: %s: %w", name, fs.ErrNotExist)
	}
	return io.NopCloser(bytes.NewReader(body)), nil
}

func (f *flakyRemote) Remove(_ context.Context, name string) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.files, name)
	return nil
}

func TestFailedRemoteNeverCounts(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	st := openStore(t)
	filesDir, local := t.TempDir(), t.TempDir()
	writeFile(t, filepath.Join(filesDir, "dossiers", "ACME", "a.pdf"), bytes.Repeat([]byte("%PDF-1.7 a\n"), 20000))
	id := newIdentity(t)
	remote := &flakyRemote{fails: 1, files: map[string][]byte{}}
	clk := &clock{t: time.Date(2026, 5, 1, 2, 0, 0, 0, time.UTC)}
	r := New(Options{Store: st, FilesDir: filesDir, Local: Local{Dir: local}, Remotes: []Remote{remote},
		Recipients: []age.Recipient{id.Recipient()}, Now: clk.now, Location: time.UTC,
		Jobs: []Job{{Name: "dossiers", Source: "/dossiers", Full: "0 2 1 * *", Incremental: "0 2 * * *",
			Keep: Retention{Daily: 30, Monthly: 60}}}})

	failed, err := r.Run(ctx, "dossiers", Full)
	if err == nil {
		t.Fatal("a run whose off-site copy failed succeeded")
	}
	if remote.partial == 0 {
		t.Fatal("the remote received nothing: the failure was not mid-transfer")
	}
	got, err := st.BackupByID(ctx, failed.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != store.BackupFailed || got.Error == "" || got.Targets != "" {
		t.Fatalf("failed run recorded as status %s error %q targets %q", got.Status, got.Error, got.Targets)
	}
	if left := filesUnder(t, local); len(left) != 0 {
		t.Fatalf("the failed run left files in the local target: %q", left)
	}
	if len(remote.files) != 0 {
		t.Fatalf("the remote holds %d archives", len(remote.files))
	}
	if _, err := r.Verify(ctx, failed.ID, []age.Identity{id}); err == nil {
		t.Error("a failed backup verified")
	}
	if _, err := r.Request(ctx, failed.ID, "/dossiers/ACME", "prueba", "rosa", "rosa"); err == nil {
		t.Error("a restore of a failed backup was requested")
	}

	clk.add(24 * time.Hour)
	next, err := r.Run(ctx, "dossiers", Incremental)
	if err != nil {
		t.Fatal(err)
	}
	if next.Kind != Full || next.Base != "" {
		t.Fatalf("the run after a failed one is %s on %q: with no ok base it must be full", next.Kind, next.Base)
	}
	if next.Status != store.BackupOK || next.Targets != "local,offsite" {
		t.Fatalf("second run: status %s targets %q", next.Status, next.Targets)
	}
	name := archiveName("dossiers", next.ID)
	onDisk, err := os.ReadFile(filepath.Join(local, filepath.FromSlash(name)))
	if err != nil || !bytes.Equal(onDisk, remote.files[name]) {
		t.Fatalf("the off-site copy differs from the local one (%v)", err)
	}
	// With an ok base, an incremental is one.
	clk.add(24 * time.Hour)
	third, err := r.Run(ctx, "dossiers", Incremental)
	if err != nil {
		t.Fatal(err)
	}
	if third.Kind != Incremental || third.Base != next.ID {
		t.Fatalf("third run is %s on %q, want incremental on %s", third.Kind, third.Base, next.ID)
	}
	// The off-site copy alone is enough to verify.
	if err := os.Remove(filepath.Join(local, filepath.FromSlash(name))); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Verify(ctx, next.ID, []age.Identity{id}); err != nil {
		t.Fatalf("verify from the off-site copy: %v", err)
	}
	if n := len(backupsByStatus(t, st, "dossiers", store.BackupOK)); n != 2 {
		t.Fatalf("%d ok backups, want 2", n)
	}
}

package storage_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/oaq/custodia/authz"
	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// env is one test's real store, rules and files tree.
type env struct {
	st    *store.Store
	rules *authz.Enforcer
	files *storage.Files
	dir   string // the files tree on disk
}

// newStore opens a real SQLite store in t.TempDir() with the default rules.
func newStore(t testing.TB) (*store.Store, *authz.Enforcer) {
	t.Helper()
	ctx := context.Background()
	st, err := store.Open(ctx, filepath.Join(t.TempDir(), "custodia.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	rules, err := authz.New(ctx, st)
	if err != nil {
		t.Fatal(err)
	}
	return st, rules
}

// openFiles opens dir as the files tree with the folders of the clients.
func openFiles(t testing.TB, dir string, clients ...string) *storage.Files {
	t.Helper()
	files, err := storage.OpenFiles(dir, []string{"operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	for _, c := range clients {
		if err := files.AddClient(c); err != nil {
			t.Fatal(err)
		}
	}
	return files
}

// newEnv builds a store with the given client accounts and a files tree
// holding their folders.
func newEnv(t testing.TB, clients ...string) *env {
	t.Helper()
	st, rules := newStore(t)
	for _, c := range clients {
		if _, err := st.CreateClient(context.Background(), c, c+" S.A."); err != nil {
			t.Fatal(err)
		}
	}
	dir := filepath.Join(t.TempDir(), "data", "files")
	return &env{st: st, rules: rules, files: openFiles(t, dir, clients...), dir: dir}
}

// addUser creates a user in the store.
func addUser(t testing.TB, st *store.Store, name string, role store.Role, clients ...string) *store.User {
	t.Helper()
	u, err := st.CreateUser(context.Background(), store.NewUser{Name: name, Role: role, Clients: clients})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// newView builds u's view of files, audited into st.
func newView(t testing.TB, st *store.Store, rules *authz.Enforcer, files *storage.Files, u *store.User) *storage.View {
	t.Helper()
	v, err := storage.NewView(context.Background(), storage.ViewOptions{
		User: u, Files: files, Decider: rules, Auditor: st,
		Session: storage.Session{ID: "test-" + u.Name, Protocol: "test", Remote: "192.0.2.1:50000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// view creates a user and returns its view of the env's tree.
func (e *env) view(t testing.TB, name string, role store.Role, clients ...string) *storage.View {
	t.Helper()
	return newView(t, e.st, e.rules, e.files, addUser(t, e.st, name, role, clients...))
}

// path is the disk path of rel, a slash-separated path inside the tree.
func (e *env) path(rel string) string { return filepath.Join(e.dir, filepath.FromSlash(rel)) }

// write puts a file on disk, creating its folders.
func (e *env) write(t *testing.T, rel, content string) {
	t.Helper()
	writeFile(t, e.path(rel), content)
}

func writeFile(t *testing.T, name, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(name), 0o750); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(name, []byte(content), 0o640); err != nil {
		t.Fatal(err)
	}
}

// incoming lists what is left in files/.incoming.
func (e *env) incoming(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(e.path(".incoming"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range entries {
		names = append(names, d.Name())
	}
	return names
}

// lastAudit returns the newest audit row of user for action on vpath.
func (e *env) lastAudit(t *testing.T, user, action, vpath string) (store.AuditEntry, bool) {
	t.Helper()
	rows, err := e.st.QueryAudit(context.Background(), store.AuditQuery{User: user, Limit: 1000})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(rows) - 1; i >= 0; i-- {
		if rows[i].Action == action && rows[i].VPath == vpath {
			return rows[i], true
		}
	}
	return store.AuditEntry{}, false
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sameAnswer reports whether two errors tell a client the same thing once
// the path each names is set aside.
func sameAnswer(a error, pa string, b error, pb string) bool {
	if (a == nil) != (b == nil) {
		return false
	}
	if a == nil {
		return true
	}
	return strings.ReplaceAll(a.Error(), pa, "NAME") == strings.ReplaceAll(b.Error(), pb, "NAME")
}

func TestCannotProbeExistence(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME", "BETA")
	e.write(t, "clients/ACME/factura.pdf", "%PDF factura de ACME")
	e.write(t, "clients/ACME/notas.txt", "notas internas, not for the client")
	e.write(t, "clients/BETA/secreto.pdf", "%PDF factura de BETA")
	v := e.view(t, "acme", store.RoleClient, "ACME")

	ops := []struct {
		name     string
		notFound bool // the answer must be ErrNotFound, not only the same for both names
		run      func(name string) error
	}{
		{"stat", true, func(name string) error {
			_, err := v.Stat(ctx, name)
			return err
		}},
		{"open", true, func(name string) error {
			d, err := v.Open(ctx, name)
			if err == nil {
				d.Close()
			}
			return err
		}},
		{"list", true, func(name string) error {
			_, err := v.ReadDir(ctx, name)
			return err
		}},
		{"remove", true, func(name string) error { return v.Remove(ctx, name) }},
		{"chtimes", true, func(name string) error {
			return v.Chtimes(ctx, name, time0, time0)
		}},
		{"create", false, func(name string) error {
			u, err := v.Create(ctx, name)
			if err != nil {
				return err
			}
			u.TransferError(errors.New("probe only"))
			u.Close()
			return nil
		}},
		{"mkdir", false, func(name string) error { return v.Mkdir(ctx, name) }},
		{"rename onto", false, func(name string) error {
			return v.Rename(ctx, "/ACME/factura.pdf", name, false)
		}},
	}
	pairs := []struct {
		what             string
		exists, missing  string
		existsOnDiskHere string
	}{
		{"a non-PDF file in the client's own folder", "/ACME/notas.txt", "/ACME/nada.txt", "clients/ACME/notas.txt"},
		{"a PDF in another client's folder", "/BETA/secreto.pdf", "/BETA/nada.pdf", "clients/BETA/secreto.pdf"},
		{"a PDF in another client's folder, reached with ..", "/ACME/../BETA/secreto.pdf", "/ACME/../BETA/nada.pdf", "clients/BETA/secreto.pdf"},
	}
	for _, op := range ops {
		t.Run(op.name, func(t *testing.T) {
			for _, p := range pairs {
				errExists := op.run(p.exists)
				errMissing := op.run(p.missing)
				if !sameAnswer(errExists, p.exists, errMissing, p.missing) {
					t.Errorf("client acme can tell that %s exists: %s %s answers %v, but %s %s answers %v.",
						p.what, op.name, p.exists, errExists, op.name, p.missing, errMissing)
				}
				if op.notFound && !errors.Is(errExists, storage.ErrNotFound) {
					t.Errorf("client acme: %s %s = %v, want ErrNotFound, as if %s did not exist.",
						op.name, p.exists, errExists, p.what)
				}
				if _, err := os.Stat(e.path(p.existsOnDiskHere)); err != nil {
					t.Errorf("client acme's %s %s removed %s from disk: %v", op.name, p.exists, p.existsOnDiskHere, err)
				}
			}
		})
	}
}

func TestAbortedUploadLeavesNothing(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	e.write(t, "dossiers/ACME/2026/existente.pdf", "the original")
	corr := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	admin := e.view(t, "root", store.RoleAdmin)
	data := bytes.Repeat([]byte("pedimento 3711-2026 "), 1000)

	t.Run("aborted", func(t *testing.T) {
		const vpath = "/ACME/2026/pedimento.pdf"
		u, err := corr.Create(ctx, vpath)
		if err != nil {
			t.Fatalf("correspondent corr cannot create %s: %v", vpath, err)
		}
		if _, err := u.WriteAt(data[:4096], 0); err != nil {
			t.Fatalf("writing the first 4096 bytes of %s: %v", vpath, err)
		}
		u.TransferError(errors.New("connection lost"))
		if _, err := u.WriteAt(data[4096:8192], 4096); err == nil {
			t.Errorf("a write after the transfer failed was accepted.")
		}
		if err := u.Close(); !errors.Is(err, storage.ErrFailed) {
			t.Errorf("closing an aborted upload returned %v, want ErrFailed: the client must not think it was stored.", err)
		}
		if _, err := os.Lstat(e.path("dossiers" + vpath)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("an aborted upload left %s on disk (lstat: %v).", vpath, err)
		}
		if _, err := corr.Stat(ctx, vpath); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("an aborted upload is visible through the view: stat %s = %v, want ErrNotFound.", vpath, err)
		}
		if left := e.incoming(t); len(left) > 0 {
			t.Errorf("an aborted upload left %q in .incoming.", left)
		}
		row, ok := e.lastAudit(t, "corr", string(authz.Write), vpath)
		switch {
		case !ok:
			t.Errorf("no audit row records the aborted upload of %s.", vpath)
		case row.Result != store.ResultFailed:
			t.Errorf("the aborted upload of %s is audited as %q, want %q.", vpath, row.Result, store.ResultFailed)
		case !strings.Contains(row.Reason, "connection lost"):
			t.Errorf("the audit row of the aborted upload gives the reason %q, which does not name the cause %q.", row.Reason, "connection lost")
		case row.SHA256 != "":
			t.Errorf("the aborted upload is audited with sha256 %s, want none.", row.SHA256)
		}
	})

	t.Run("aborted overwrite", func(t *testing.T) {
		const vpath = "/dossiers/ACME/2026/existente.pdf"
		u, err := admin.Create(ctx, vpath)
		if err != nil {
			t.Fatalf("admin root cannot overwrite %s: %v", vpath, err)
		}
		if _, err := u.Write([]byte("half of a replacement")); err != nil {
			t.Fatal(err)
		}
		u.TransferError(errors.New("connection lost"))
		if err := u.Close(); err == nil {
			t.Errorf("closing an aborted overwrite returned nil.")
		}
		got, err := os.ReadFile(e.path("dossiers/ACME/2026/existente.pdf"))
		if err != nil || string(got) != "the original" {
			t.Errorf("an aborted overwrite of %s changed it to %q (%v), want %q.", vpath, got, err, "the original")
		}
		if left := e.incoming(t); len(left) > 0 {
			t.Errorf("an aborted overwrite left %q in .incoming.", left)
		}
	})

	t.Run("clean", func(t *testing.T) {
		const vpath = "/ACME/2026/completo.pdf"
		u, err := corr.Create(ctx, vpath)
		if err != nil {
			t.Fatalf("correspondent corr cannot create %s: %v", vpath, err)
		}
		for off := 0; off < len(data); off += 3000 {
			if _, err := u.Write(data[off:min(off+3000, len(data))]); err != nil {
				t.Fatalf("writing %s at %d: %v", vpath, off, err)
			}
		}
		if err := u.Close(); err != nil {
			t.Fatalf("closing a clean upload of %s: %v", vpath, err)
		}
		got, err := os.ReadFile(e.path("dossiers" + vpath))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("after a clean upload %s holds %d bytes (%v), want the %d bytes sent.", vpath, len(got), err, len(data))
		}
		if left := e.incoming(t); len(left) > 0 {
			t.Errorf("a clean upload left %q in .incoming.", left)
		}
		row, ok := e.lastAudit(t, "corr", string(authz.Write), vpath)
		switch {
		case !ok:
			t.Errorf("no audit row records the upload of %s.", vpath)
		case row.Result != store.ResultOK:
			t.Errorf("the clean upload of %s is audited as %q (%s), want %q.", vpath, row.Result, row.Reason, store.ResultOK)
		case row.Bytes != int64(len(data)):
			t.Errorf("the upload of %s is audited with %d bytes, want %d.", vpath, row.Bytes, len(data))
		case row.SHA256 != sha256Hex(data):
			t.Errorf("the upload of %s is audited with sha256 %s, want %s.", vpath, row.SHA256, sha256Hex(data))
		case row.SPath != "/dossiers"+vpath:
			t.Errorf("the upload of %s is audited at storage path %q, want %q.", vpath, row.SPath, "/dossiers"+vpath)
		}
	})
}

func TestOutOfOrderWritesHashCorrectly(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	v := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	rng := rand.New(rand.NewChaCha8([32]byte{'c', 'u', 's', 't', 'o', 'd', 'i', 'a'}))
	data := make([]byte, 200_000)
	for i := range data {
		data[i] = byte(rng.UintN(256))
	}
	const chunk = 8192
	var offsets []int
	for off := 0; off < len(data); off += chunk {
		offsets = append(offsets, off)
	}
	piece := func(off int) []byte { return data[off:min(off+chunk, len(data))] }

	cases := []struct {
		name  string
		write func(u *storage.Upload) error
	}{
		{"in order", func(u *storage.Upload) error {
			for _, off := range offsets {
				if _, err := u.WriteAt(piece(off), int64(off)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"reverse order", func(u *storage.Upload) error {
			for _, off := range slices.Backward(offsets) {
				if _, err := u.WriteAt(piece(off), int64(off)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"first chunk last", func(u *storage.Upload) error {
			for _, off := range append(offsets[1:], 0) {
				if _, err := u.WriteAt(piece(off), int64(off)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"in order, then the start rewritten", func(u *storage.Upload) error {
			junk := bytes.Repeat([]byte{0xAA}, len(data))
			for _, off := range offsets {
				if _, err := u.WriteAt(junk[off:min(off+chunk, len(data))], int64(off)); err != nil {
					return err
				}
			}
			for _, off := range offsets {
				if _, err := u.WriteAt(piece(off), int64(off)); err != nil {
					return err
				}
			}
			return nil
		}},
		{"concurrent and shuffled", func(u *storage.Upload) error {
			shuffled := slices.Clone(offsets)
			rand.New(rand.NewPCG(1, 2)).Shuffle(len(shuffled), func(i, j int) {
				shuffled[i], shuffled[j] = shuffled[j], shuffled[i]
			})
			var wg sync.WaitGroup
			errs := make([]error, len(shuffled))
			for i, off := range shuffled {
				wg.Go(func() { _, errs[i] = u.WriteAt(piece(off), int64(off)) })
			}
			wg.Wait()
			return errors.Join(errs...)
		}},
	}
	for i, c := range cases {
		vpath := "/ACME/chunks-" + string(rune('a'+i)) + ".pdf"
		u, err := v.Create(ctx, vpath)
		if err != nil {
			t.Fatalf("correspondent corr cannot create %s: %v", vpath, err)
		}
		if err := c.write(u); err != nil {
			t.Fatalf("%s: writing %s: %v", c.name, vpath, err)
		}
		if err := u.Close(); err != nil {
			t.Fatalf("%s: closing %s: %v", c.name, vpath, err)
		}
		got, err := os.ReadFile(e.path("dossiers" + vpath))
		if err != nil || !bytes.Equal(got, data) {
			t.Errorf("%s: %s holds %d bytes that differ from the %d sent (%v).", c.name, vpath, len(got), len(data), err)
		}
		row, ok := e.lastAudit(t, "corr", string(authz.Write), vpath)
		if !ok {
			t.Errorf("%s: no audit row records the upload of %s.", c.name, vpath)
			continue
		}
		if row.SHA256 != sha256Hex(data) || row.Bytes != int64(len(data)) {
			t.Errorf("%s: the upload of %s is audited as %d bytes with sha256 %s, want %d bytes with sha256 %s.",
				c.name, vpath, row.Bytes, row.SHA256, len(data), sha256Hex(data))
		}
	}
}

func TestCorrespondentCannotOverwriteDeleteRename(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	e.write(t, "dossiers/ACME/2026/pedimento.pdf", "the original")
	v := e.view(t, "corr", store.RoleCorrespondent, "ACME")

	// What a correspondent may do: add a new file and a folder.
	u, err := v.Create(ctx, "/ACME/2026/nuevo.pdf")
	if err != nil {
		t.Fatalf("correspondent corr cannot create /ACME/2026/nuevo.pdf: %v", err)
	}
	u.Write([]byte("a new file"))
	if err := u.Close(); err != nil {
		t.Fatalf("correspondent corr cannot finish /ACME/2026/nuevo.pdf: %v", err)
	}
	if err := v.Mkdir(ctx, "/ACME/2027"); err != nil {
		t.Fatalf("correspondent corr cannot make /ACME/2027: %v", err)
	}

	denied := []struct {
		what string
		run  func() error
	}{
		{"overwrite /ACME/2026/pedimento.pdf", func() error {
			u, err := v.Create(ctx, "/ACME/2026/pedimento.pdf")
			if err != nil {
				return err
			}
			u.Write([]byte("replaced"))
			return u.Close()
		}},
		{"overwrite its own upload /ACME/2026/nuevo.pdf", func() error {
			u, err := v.Create(ctx, "/ACME/2026/nuevo.pdf")
			if err != nil {
				return err
			}
			u.Write([]byte("replaced"))
			return u.Close()
		}},
		{"delete /ACME/2026/pedimento.pdf", func() error { return v.Remove(ctx, "/ACME/2026/pedimento.pdf") }},
		{"delete its own upload /ACME/2026/nuevo.pdf", func() error { return v.Remove(ctx, "/ACME/2026/nuevo.pdf") }},
		{"delete the empty folder /ACME/2027", func() error { return v.RemoveDir(ctx, "/ACME/2027") }},
		{"rename /ACME/2026/pedimento.pdf", func() error {
			return v.Rename(ctx, "/ACME/2026/pedimento.pdf", "/ACME/2026/otro.pdf", false)
		}},
		{"rename /ACME/2026/nuevo.pdf over /ACME/2026/pedimento.pdf", func() error {
			return v.Rename(ctx, "/ACME/2026/nuevo.pdf", "/ACME/2026/pedimento.pdf", true)
		}},
		{"rename the folder /ACME/2026", func() error { return v.Rename(ctx, "/ACME/2026", "/ACME/2025", false) }},
	}
	for _, d := range denied {
		if err := d.run(); !errors.Is(err, storage.ErrDenied) {
			t.Errorf("correspondent corr can %s: got %v, want ErrDenied.", d.what, err)
		}
	}
	for rel, want := range map[string]string{
		"dossiers/ACME/2026/pedimento.pdf": "the original",
		"dossiers/ACME/2026/nuevo.pdf":     "a new file",
	} {
		got, err := os.ReadFile(e.path(rel))
		if err != nil || string(got) != want {
			t.Errorf("after the denied operations %s holds %q (%v), want %q.", rel, got, err, want)
		}
	}
	for _, rel := range []string{"dossiers/ACME/2027", "dossiers/ACME/2026/otro.pdf", "dossiers/ACME/2025"} {
		_, err := os.Stat(e.path(rel))
		if want := rel == "dossiers/ACME/2027"; (err == nil) != want {
			t.Errorf("after the denied operations %s exists = %v, want %v.", rel, err == nil, want)
		}
	}
	if left := e.incoming(t); len(left) > 0 {
		t.Errorf("denied overwrites left %q in .incoming.", left)
	}
	row, ok := e.lastAudit(t, "corr", string(authz.Delete), "/ACME/2026/pedimento.pdf")
	if !ok || row.Result != store.ResultDenied {
		t.Errorf("the denied delete of /ACME/2026/pedimento.pdf is not audited as denied (found %v: %+v).", ok, row)
	}
}

func TestClientSeesOnlyPDFs(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME", "BETA")
	for _, rel := range []string{
		"factura.pdf", "NOTA.PDF", "notas.txt", "setup.exe", "foto.jpg", "factura.pdf.txt",
		".oculto", "sin-extension", "2026/a.pdf", "2026/b.docx", "2026/marzo/c.pdf", "vacia/.keep",
	} {
		e.write(t, "clients/ACME/"+rel, "content of "+rel)
	}
	e.write(t, "clients/BETA/beta.pdf", "not acme's")
	v := e.view(t, "acme", store.RoleClient, "ACME")

	for _, c := range []struct {
		dir  string
		want []string
	}{
		{"/", []string{"ACME"}},
		{"/ACME", []string{"2026", "NOTA.PDF", "factura.pdf", "vacia"}},
		{"/ACME/2026", []string{"a.pdf", "marzo"}},
		{"/ACME/2026/marzo", []string{"c.pdf"}},
		{"/ACME/vacia", nil},
	} {
		fis, err := v.ReadDir(ctx, c.dir)
		if err != nil {
			t.Errorf("client acme cannot list %s: %v", c.dir, err)
			continue
		}
		var got []string
		for _, fi := range fis {
			got = append(got, fi.Name())
			if isPDF := strings.HasSuffix(strings.ToLower(fi.Name()), ".pdf"); fi.IsDir() == isPDF && c.dir != "/" {
				t.Errorf("client acme sees %s/%s (folder %v), which is neither a PDF nor a folder.", c.dir, fi.Name(), fi.IsDir())
			}
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("client acme lists %s as %q, want %q.", c.dir, got, c.want)
		}
	}
	d, err := v.Open(ctx, "/ACME/NOTA.PDF")
	if err != nil {
		t.Fatalf("client acme cannot open /ACME/NOTA.PDF: %v", err)
	}
	got, err := io.ReadAll(d)
	d.Close()
	if err != nil || string(got) != "content of NOTA.PDF" {
		t.Errorf("client acme reads /ACME/NOTA.PDF as %q (%v), want %q.", got, err, "content of NOTA.PDF")
	}
	for _, name := range []string{"/ACME/notas.txt", "/ACME/2026/b.docx", "/ACME/.oculto", "/BETA", "/BETA/beta.pdf"} {
		if _, err := v.Stat(ctx, name); !errors.Is(err, storage.ErrNotFound) {
			t.Errorf("client acme: stat %s = %v, want ErrNotFound.", name, err)
		}
	}
}

func TestOpenFilesCleansIncoming(t *testing.T) {
	t.Parallel()
	base := t.TempDir()
	dir := filepath.Join(base, "data", "files")
	outside := filepath.Join(base, "outside")
	writeFile(t, filepath.Join(outside, "keep.txt"), "outside the data dir")
	writeFile(t, filepath.Join(dir, ".incoming", "test-corr-0123456789abcdef01234567.part"), "half an upload")
	writeFile(t, filepath.Join(dir, ".incoming", "stale", "deeper", "x.part"), "a leftover folder")
	writeFile(t, filepath.Join(dir, "dossiers", "ACME", "kept.pdf"), "a stored file")
	if err := os.Symlink(outside, filepath.Join(dir, ".incoming", "escape")); err != nil {
		t.Fatal(err)
	}

	files, err := storage.OpenFiles(dir, []string{"operaciones"})
	if err != nil {
		t.Fatalf("OpenFiles over a tree with leftovers in .incoming: %v", err)
	}
	files.Close()

	entries, err := os.ReadDir(filepath.Join(dir, ".incoming"))
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range entries {
		t.Errorf("OpenFiles left %s in .incoming.", d.Name())
	}
	if got, err := os.ReadFile(filepath.Join(outside, "keep.txt")); err != nil || string(got) != "outside the data dir" {
		t.Errorf("cleaning .incoming reached through a symlink outside the data dir: keep.txt is %q (%v).", got, err)
	}
	if got, err := os.ReadFile(filepath.Join(dir, "dossiers", "ACME", "kept.pdf")); err != nil || string(got) != "a stored file" {
		t.Errorf("cleaning .incoming touched a stored file: kept.pdf is %q (%v).", got, err)
	}
	for _, area := range []string{"clients", "dossiers", "departments", "departments/operaciones"} {
		if fi, err := os.Stat(filepath.Join(dir, area)); err != nil || !fi.IsDir() {
			t.Errorf("OpenFiles did not make the folder %s: %v", area, err)
		}
	}
}

// TestRenameNeverReplacesAHiddenFile grants clients rename in their
// folders, as an operator may, and checks that a client still cannot use
// it to replace a file it can neither see nor overwrite.
func TestRenameNeverReplacesAHiddenFile(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	e.write(t, "clients/ACME/factura.pdf", "%PDF factura")
	e.write(t, "clients/ACME/notas.txt", "staff notes the client cannot see")
	rule := authz.Rule{Subject: "client", Object: "/clients/{client}/**", Actions: "rename", Effect: authz.Allow}
	if err := e.rules.AddRule(ctx, rule); err != nil {
		t.Fatal(err)
	}
	v := e.view(t, "acme", store.RoleClient, "ACME")
	if d, err := e.rules.Decide(ctx, authz.Request{Subject: authz.SubjectOf(v.User()), Action: authz.Overwrite, Object: "/clients/ACME/notas.txt"}); err != nil || d.Allow {
		t.Fatalf("the test needs a client that may not overwrite /clients/ACME/notas.txt; the rules say %s (%v).", d.Reason(), err)
	}

	err := v.Rename(ctx, "/ACME/factura.pdf", "/ACME/notas.txt", true)
	got, rerr := os.ReadFile(e.path("clients/ACME/notas.txt"))
	if rerr != nil || string(got) != "staff notes the client cannot see" {
		t.Errorf("client acme, who may rename but not overwrite, replaced the hidden /ACME/notas.txt "+
			"by renaming /ACME/factura.pdf over it (rename returned %v); notas.txt now holds %q (%v). "+
			"View.Rename must not replace an existing target the user may not overwrite, seen or not.", err, got, rerr)
	}
}

func TestUploadRefusesFarOffsets(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	v := e.view(t, "corr", store.RoleCorrespondent, "ACME")
	u, err := v.Create(ctx, "/ACME/sparse.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := u.WriteAt([]byte("x"), 8<<30); !errors.Is(err, storage.ErrUnsupported) {
		t.Errorf("a one-byte write at 8 GiB gave %v, want ErrUnsupported", err)
	}
	if _, err := u.WriteAt([]byte("x"), -1); err == nil {
		t.Error("a write at a negative offset succeeded")
	}
	if u.Size() != 0 {
		t.Errorf("refused writes grew the upload to %d bytes", u.Size())
	}
	if err := u.Close(); err == nil {
		t.Error("an upload with a refused write closed cleanly")
	}
	if _, err := os.Stat(e.path("dossiers/ACME/sparse.pdf")); !os.IsNotExist(err) {
		t.Errorf("an upload with a refused write was put in place (stat err %v)", err)
	}
}

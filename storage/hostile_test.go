package storage_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// time0 is the time Chtimes sets; nothing in the fixtures has it.
var time0 = time.Date(2001, 2, 3, 4, 5, 6, 0, time.UTC)

// opTimeout bounds every View operation: none may block, e.g. on a FIFO.
const opTimeout = 10 * time.Second

// probeName is the name hostile creates try to place in /etc.
const probeName = "custodia-hostile-probe"

// outcome is what a hostile path must lead to.
type outcome int

const (
	sameAsAdmin outcome = iota // for the correspondent: as for the admin
	mayWork                    // a path inside the mount: anything but an escape is fine
	invalid                    // every operation returns ErrInvalidPath
	absent                     // outside every mount: every operation returns ErrNotFound
	hidden                     // leads out of the mount on disk: looks absent, and nothing is made through it
	device                     // like hidden; needs a device node, which only root can plant
)

// hostilePath is one entry of the table, in the style of os/root_test.go.
// In path, "{m}" stands for the mount folder under test (/dossiers/ACME
// for the admin, /ACME for the correspondent), "{r}" for the same without
// its leading slash, and "{base}" for the test's temporary directory.
type hostilePath struct {
	name string
	path string
	want outcome
	corr outcome  // the correspondent's outcome when it differs
	read string   // a file that works: Stat succeeds and the admin reads this
	list []string // a folder that works: ReadDir lists exactly these names
	// corrList is the correspondent's listing when it differs: peer leads
	// out of its mount, not out of the admin's.
	corrList []string
}

var (
	mountListing     = []string{"2026", "good.pdf", "gooddir", "peer", "src.pdf", "x.pdf"}
	corrMountListing = []string{"2026", "good.pdf", "gooddir", "src.pdf", "x.pdf"}
)

func hostilePaths() []hostilePath {
	return []hostilePath{
		// .. in every position.
		{name: "dotdot first", path: "../x", want: absent},
		{name: "dotdot to /etc/passwd", path: "../../../../etc/passwd", want: absent},
		{name: "mount dotdot dotdot", path: "{m}/../../x", want: absent},
		{name: "dotdot past the root", path: "{m}/2026/../../../etc/passwd", want: absent},
		{name: "relative dotdot with empty segment", path: "{r}/..//../x", want: absent},
		{name: "dotdot into another client", path: "{m}/../BETA/x.pdf", want: mayWork, corr: absent},
		{name: "dotdot back inside", path: "{m}/2026/../x.pdf", want: mayWork, read: "ACME x.pdf"},
		{name: "dotdot to the mount's parent", path: "{m}/..", want: mayWork},
		{name: "dotdot to .incoming", path: "{m}/../../../.incoming/x", want: absent},
		// Absolute paths.
		{name: "absolute /etc/passwd", path: "/etc/passwd", want: absent},
		{name: "absolute double slash", path: "//etc/passwd", want: absent},
		{name: "absolute host path", path: "{base}/outside/marker.txt", want: absent},
		{name: "host path inside the mount", path: "{m}/{base}/outside/marker.txt", want: mayWork},
		// Bytes that have no place in a name.
		{name: "NUL", path: "{m}/a\x00b", want: invalid},
		{name: "NUL before an extension", path: "{m}/x.pdf\x00.txt", want: invalid},
		{name: "backslash dotdot", path: "{m}\\..\\x", want: invalid},
		{name: "backslashes in a name", path: "{m}/..\\..\\outside", want: invalid},
		{name: "newline", path: "{m}/a\nb", want: invalid},
		{name: "DEL", path: "{m}/a\x7fb", want: invalid},
		{name: "invalid UTF-8", path: "{m}/\xff.pdf", want: invalid},
		// Lengths.
		{name: "300-byte name", path: "{m}/" + strings.Repeat("a", 300), want: invalid},
		{name: "5000-byte path", path: "{m}/" + strings.Repeat("a/", 2500) + "x", want: invalid},
		{name: "255-byte name", path: "{m}/" + strings.Repeat("n", 255), want: mayWork},
		{name: "4000-byte path", path: "{m}/" + strings.Repeat("d/", 2000) + "x", want: mayWork},
		// Trailing slashes, dots and spaces.
		{name: "trailing dot", path: "{m}/x.pdf.", want: invalid},
		{name: "trailing space", path: "{m}/x.pdf ", want: invalid},
		{name: "folder with a trailing dot", path: "{m}/2026./a.pdf", want: invalid},
		{name: "dot segment", path: "{m}/./x", want: mayWork},
		{name: "trailing slash on a file", path: "{m}/x.pdf/", want: mayWork, read: "ACME x.pdf"},
		{name: "double slash", path: "{m}/2026//a.pdf", want: mayWork, read: "ACME 2026/a.pdf"},
		{name: "mount with a trailing dot segment", path: "{m}/.", want: mayWork, list: mountListing, corrList: corrMountListing},
		{name: "mount with a trailing slash", path: "{m}/", want: mayWork, list: mountListing, corrList: corrMountListing},
		// Symlinks planted on disk.
		{name: "link => ../../clients/BETA", path: "{m}/link", want: hidden},
		{name: "link => ../../clients/BETA, a file below", path: "{m}/link/secret.pdf", want: hidden},
		{name: "link => ../../clients/BETA, a new file below", path: "{m}/link/new.pdf", want: hidden},
		{name: "peer => ../BETA", path: "{m}/peer", want: mayWork, corr: hidden},
		{name: "peer => ../BETA, a file below", path: "{m}/peer/beta.pdf", want: mayWork, corr: hidden},
		{name: "abs => /etc", path: "{m}/abs", want: hidden},
		{name: "abs => /etc, a new file below", path: "{m}/abs/" + probeName, want: hidden},
		{name: "absout => {base}/outside", path: "{m}/absout/marker.txt", want: hidden},
		{name: "absout => {base}/outside, a new file below", path: "{m}/absout/new.txt", want: hidden},
		{name: "absfile => {base}/outside/marker.txt", path: "{m}/absfile", want: hidden},
		{name: "up => ../../../..", path: "{m}/up", want: hidden},
		{name: "up => ../../../.., the marker", path: "{m}/up/outside/marker.txt", want: hidden},
		{name: "up => ../../../.., another client's file", path: "{m}/up/data/files/clients/BETA/secret.pdf", want: hidden},
		{name: "up => ../../../.., a new file", path: "{m}/up/outside/new.txt", want: hidden},
		{name: "a => b => ../../..", path: "{m}/a", want: hidden},
		{name: "a => b => ../../.., a file below", path: "{m}/a/files/clients/BETA/secret.pdf", want: hidden},
		{name: "b => ../../.., .incoming below", path: "{m}/b/files/.incoming", want: hidden},
		{name: "loop => loop", path: "{m}/loop", want: hidden},
		{name: "loop => loop, below", path: "{m}/loop/x", want: hidden},
		{name: "dangle => ../../../../outside/created.txt", path: "{m}/dangle", want: hidden},
		{name: "FIFO", path: "{m}/fifo", want: hidden},
		{name: "FIFO, below", path: "{m}/fifo/x", want: hidden},
		{name: "pipe.pdf => fifo", path: "{m}/pipe.pdf", want: hidden},
		{name: "character device", path: "{m}/null", want: device},
		{name: "good.pdf => x.pdf", path: "{m}/good.pdf", want: mayWork, read: "ACME x.pdf"},
		{name: "gooddir => 2026", path: "{m}/gooddir", want: mayWork, list: []string{"a.pdf", "inner"}},
		{name: "gooddir => 2026, a file below", path: "{m}/gooddir/a.pdf", want: mayWork, read: "ACME 2026/a.pdf"},
		{name: "2026/inner => ../x.pdf", path: "{m}/2026/inner", want: mayWork, read: "ACME x.pdf"},
	}
}

// hostileOp is one View operation run on a hostile path p; m is the
// mount folder, where the fixture's src.pdf lives. It returns what it
// read or listed.
type hostileOp struct {
	name  string
	looks bool // a lookup: on a hidden name it must answer ErrNotFound
	makes bool // makes a name: on a hidden name it must fail
	run   func(ctx context.Context, v *storage.View, p, m string) (string, error)
}

var hostileOps = []hostileOp{
	{name: "stat", looks: true, run: func(ctx context.Context, v *storage.View, p, _ string) (string, error) {
		_, err := v.Stat(ctx, p)
		return "", err
	}},
	{name: "list", looks: true, run: func(ctx context.Context, v *storage.View, p, _ string) (string, error) {
		fis, err := v.ReadDir(ctx, p)
		var names []string
		for _, fi := range fis {
			names = append(names, fi.Name())
		}
		return strings.Join(names, "\n"), err
	}},
	{name: "open", looks: true, run: func(ctx context.Context, v *storage.View, p, _ string) (string, error) {
		d, err := v.Open(ctx, p)
		if err != nil {
			return "", err
		}
		b, err := io.ReadAll(d)
		if cerr := d.Close(); err == nil {
			err = cerr
		}
		return string(b), err
	}},
	{name: "create", makes: true, run: func(ctx context.Context, v *storage.View, p, _ string) (string, error) {
		u, err := v.Create(ctx, p)
		if err != nil {
			return "", err
		}
		if _, err := u.Write([]byte("hostile upload")); err != nil {
			u.TransferError(err)
			u.Close()
			return "", err
		}
		return "", u.Close()
	}},
	{name: "mkdir", makes: true, run: func(ctx context.Context, v *storage.View, p, _ string) (string, error) {
		return "", v.Mkdir(ctx, p)
	}},
	{name: "remove", looks: true, run: func(ctx context.Context, v *storage.View, p, _ string) (string, error) {
		return "", v.Remove(ctx, p)
	}},
	{name: "rmdir", looks: true, run: func(ctx context.Context, v *storage.View, p, _ string) (string, error) {
		return "", v.RemoveDir(ctx, p)
	}},
	{name: "rename from", looks: true, run: func(ctx context.Context, v *storage.View, p, m string) (string, error) {
		return "", v.Rename(ctx, p, m+"/moved.pdf", false)
	}},
	{name: "rename to", makes: true, run: func(ctx context.Context, v *storage.View, p, m string) (string, error) {
		return "", v.Rename(ctx, m+"/src.pdf", p, false)
	}},
	{name: "rename over", run: func(ctx context.Context, v *storage.View, p, m string) (string, error) {
		return "", v.Rename(ctx, m+"/src.pdf", p, true)
	}},
	{name: "chtimes", looks: true, run: func(ctx context.Context, v *storage.View, p, _ string) (string, error) {
		return "", v.Chtimes(ctx, p, time0, time0)
	}},
}

// sentinels are the errors a View may answer with.
var sentinels = []error{
	storage.ErrDenied, storage.ErrNotFound, storage.ErrExists, storage.ErrNotEmpty, storage.ErrIsDir,
	storage.ErrNotDir, storage.ErrInvalidPath, storage.ErrBadName, storage.ErrQuota, storage.ErrUnsupported, storage.ErrFailed,
}

// hostileUser is a user the table runs as, with the mount folder the
// paths name and the folder on disk its operations may change.
type hostileUser struct {
	u      *store.User
	mount  string // "{m}"
	region string // relative to the files tree
}

func TestHostilePaths(t *testing.T) {
	t.Parallel()
	st, rules := newStore(t)
	for _, id := range []string{"ACME", "BETA"} {
		if _, err := st.CreateClient(context.Background(), id, id+" S.A."); err != nil {
			t.Fatal(err)
		}
	}
	users := []hostileUser{
		{addUser(t, st, "root", store.RoleAdmin), "/dossiers/ACME", "dossiers"},
		{addUser(t, st, "corr", store.RoleCorrespondent, "ACME"), "/ACME", "dossiers/ACME"},
	}
	for _, who := range users {
		t.Run(string(who.u.Role), func(t *testing.T) {
			t.Parallel()
			for _, hp := range hostilePaths() {
				t.Run(hp.name, func(t *testing.T) {
					t.Parallel()
					want := hp.want
					if who.u.Role == store.RoleCorrespondent && hp.corr != sameAsAdmin {
						want = hp.corr
					}
					for _, op := range hostileOps {
						runHostile(t, st, rules, who, hp, want, op)
					}
				})
			}
		})
	}
}

// runHostile runs op on a fresh tree and checks that it stayed in the mount.
func runHostile(t *testing.T, st *store.Store, rules storage.Decider, who hostileUser, hp hostilePath, want outcome, op hostileOp) {
	ctx := context.Background()
	tree := plantHostileTree(t)
	if want == device && !tree.device {
		t.Skip("no device node could be planted; mknod needs root.")
	}
	v, err := storage.NewView(ctx, storage.ViewOptions{
		User: who.u, Files: tree.files, Decider: rules, Auditor: st,
		Session: storage.Session{ID: "hostile", Protocol: "test", Remote: "192.0.2.1:50000"},
	})
	if err != nil {
		t.Fatal(err)
	}
	expand := strings.NewReplacer("{m}", who.mount, "{r}", strings.TrimPrefix(who.mount, "/"), "{base}", tree.base)
	p := expand.Replace(hp.path)
	region := filepath.Join(tree.dir, filepath.FromSlash(who.region))
	before := snapshot(t, tree.base, region)

	type result struct {
		out string
		err error
	}
	done := make(chan result, 1)
	go func() {
		out, err := op.run(ctx, v, p, who.mount)
		done <- result{out, err}
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(opTimeout):
		t.Errorf("%s: %s %q did not return within %v: a View operation must never block.", who.u.Role, op.name, p, opTimeout)
		return
	}
	what := fmt.Sprintf("%s: %s %q", who.u.Role, op.name, p)

	// The error is a storage sentinel, and says nothing of the disk.
	if r.err != nil {
		pe, ok := r.err.(*storage.PathError)
		switch {
		case !ok:
			t.Errorf("%s returned %T %v, want a *storage.PathError.", what, r.err, r.err)
		case !slices.Contains(sentinels, pe.Err):
			t.Errorf("%s returned %v, whose Err %T %v is not a storage sentinel.", what, r.err, pe.Err, pe.Err)
		case errors.As(r.err, new(*fs.PathError)), errors.As(r.err, new(*os.LinkError)), errors.As(r.err, new(syscall.Errno)):
			t.Errorf("%s returned %v, which unwraps to a raw os error.", what, r.err)
		}
		if !strings.Contains(p, tree.base) && strings.Contains(r.err.Error(), tree.base) {
			t.Errorf("%s returned %q, which gives away the disk path %s.", what, r.err, tree.base)
		}
	}

	// The answer is the one the table wants.
	switch want {
	case invalid:
		if !errors.Is(r.err, storage.ErrInvalidPath) {
			t.Errorf("%s = %v, want ErrInvalidPath.", what, r.err)
		}
	case absent:
		if !errors.Is(r.err, storage.ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound: the path is outside every mount.", what, r.err)
		}
	case hidden, device:
		if op.looks && !errors.Is(r.err, storage.ErrNotFound) {
			t.Errorf("%s = %v, want ErrNotFound: the name leads out of the mount or to something not served.", what, r.err)
		}
		if op.makes && r.err == nil {
			t.Errorf("%s succeeded, want an error: nothing may be made through a name that leads out of the mount.", what)
		}
	case mayWork:
		if hp.read != "" && op.name == "stat" && r.err != nil {
			t.Errorf("%s = %v, want it to work: the file is inside the mount.", what, r.err)
		}
		if hp.read != "" && op.name == "open" {
			if who.u.Role == store.RoleAdmin && (r.err != nil || r.out != hp.read) {
				t.Errorf("%s read %q (%v), want %q.", what, r.out, r.err, hp.read)
			}
			if who.u.Role == store.RoleCorrespondent && !errors.Is(r.err, storage.ErrDenied) {
				t.Errorf("%s = %v, want ErrDenied: a correspondent may not read.", what, r.err)
			}
		}
		list := hp.list
		if who.u.Role == store.RoleCorrespondent && hp.corrList != nil {
			list = hp.corrList
		}
		if list != nil && op.name == "list" {
			if got := strings.Split(r.out, "\n"); r.err != nil || !slices.Equal(got, list) {
				t.Errorf("%s listed %q (%v), want %q.", what, got, r.err, list)
			}
		}
	}

	// Nothing outside the mount was read, changed, made or removed.
	for name, e := range before {
		if e.data != "" && strings.Contains(r.out, e.data) {
			t.Errorf("%s read the content of %s, which is outside the mount.", what, name)
		}
	}
	after := snapshot(t, tree.base, region)
	for name, b := range before {
		a, ok := after[name]
		switch {
		case !ok:
			t.Errorf("%s removed %s, which is outside the mount.", what, name)
		case a != b:
			t.Errorf("%s changed %s, which is outside the mount, from %+v to %+v.", what, name, b, a)
		}
	}
	for name := range after {
		if _, ok := before[name]; !ok {
			t.Errorf("%s made %s, which is outside the mount.", what, name)
		}
	}
	if entries, err := os.ReadDir(filepath.Join(tree.dir, ".incoming")); err != nil || len(entries) > 0 {
		t.Errorf("%s left %d entries in .incoming (%v).", what, len(entries), err)
	}
	if _, err := os.Lstat(filepath.Join("/etc", probeName)); err == nil {
		os.Remove(filepath.Join("/etc", probeName))
		t.Errorf("%s made /etc/%s through a symlink.", what, probeName)
	}
}

// hostileTree is the tree every hostile case runs in, fresh each time:
//
//	{base}/outside/marker.txt                   outside the data dir
//	{base}/data/files/clients/BETA/secret.pdf   another client's file
//	{base}/data/files/dossiers/BETA/beta.pdf    another client's dossier
//	{base}/data/files/dossiers/ACME/            the mount under test:
//	    x.pdf, src.pdf, 2026/a.pdf, 2026/inner => ../x.pdf,
//	    good.pdf => x.pdf, gooddir => 2026,
//	    link => ../../clients/BETA, peer => ../BETA, abs => /etc,
//	    absout => {base}/outside, absfile => {base}/outside/marker.txt,
//	    up => ../../../.., a => b, b => ../../.., loop => loop,
//	    dangle => ../../../../outside/created.txt,
//	    fifo (a named pipe), pipe.pdf => fifo, null (a character device)
type hostileTree struct {
	base   string
	dir    string // {base}/data/files
	files  *storage.Files
	device bool // whether null could be planted
}

func plantHostileTree(t *testing.T) *hostileTree {
	t.Helper()
	base := t.TempDir()
	tree := &hostileTree{base: base, dir: filepath.Join(base, "data", "files")}
	tree.files = openFiles(t, tree.dir, "ACME", "BETA")
	on := func(rel string) string { return filepath.Join(tree.dir, filepath.FromSlash(rel)) }
	writeFile(t, filepath.Join(base, "outside", "marker.txt"), "marker outside the data dir")
	writeFile(t, on("clients/BETA/secret.pdf"), "BETA's secret invoice")
	writeFile(t, on("dossiers/BETA/beta.pdf"), "BETA's dossier")
	writeFile(t, on("dossiers/ACME/x.pdf"), "ACME x.pdf")
	writeFile(t, on("dossiers/ACME/src.pdf"), "ACME src.pdf")
	writeFile(t, on("dossiers/ACME/2026/a.pdf"), "ACME 2026/a.pdf")
	for name, target := range map[string]string{
		"2026/inner": "../x.pdf",
		"good.pdf":   "x.pdf",
		"gooddir":    "2026",
		"link":       "../../clients/BETA",
		"peer":       "../BETA",
		"abs":        "/etc",
		"absout":     filepath.Join(base, "outside"),
		"absfile":    filepath.Join(base, "outside", "marker.txt"),
		"up":         "../../../..",
		"a":          "b",
		"b":          "../../..",
		"loop":       "loop",
		"dangle":     "../../../../outside/created.txt",
		"pipe.pdf":   "fifo",
	} {
		if err := os.Symlink(target, on("dossiers/ACME/"+name)); err != nil {
			t.Fatal(err)
		}
	}
	fifo := on("dossiers/ACME/fifo")
	if err := syscall.Mkfifo(fifo, 0o640); err != nil {
		t.Fatal(err)
	}
	// Should an operation block opening the FIFO, open its other end so
	// that the stuck goroutine can finish before the tree is removed.
	t.Cleanup(func() {
		for _, flag := range []int{os.O_WRONLY, os.O_RDONLY} {
			if f, err := os.OpenFile(fifo, flag|syscall.O_NONBLOCK, 0); err == nil {
				f.Close()
			}
		}
	})
	tree.device = syscall.Mknod(on("dossiers/ACME/null"), syscall.S_IFCHR|0o666, int(mkdev(1, 3))) == nil
	return tree
}

// mkdev is the device number of major, minor on Linux.
func mkdev(major, minor uint64) uint64 {
	return major<<8&0xfff00 | minor&0xff | minor<<12&0xfff00000 | major<<32&0xfffff00000000000
}

// fileState is what the snapshot records of one name.
type fileState struct {
	Mode  fs.FileMode
	Size  int64
	MTime time.Time
	Link  string
	data  string
}

// snapshot records every name under base except those under skip; the
// folder .incoming itself changes with every upload and is recorded
// without its times.
func snapshot(t *testing.T, base, skip string) map[string]fileState {
	t.Helper()
	out := make(map[string]fileState)
	err := filepath.WalkDir(base, func(name string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if name == skip {
			return filepath.SkipDir
		}
		fi, err := os.Lstat(name)
		if err != nil {
			return err
		}
		s := fileState{Mode: fi.Mode(), Size: fi.Size(), MTime: fi.ModTime()}
		switch {
		case fi.Mode()&fs.ModeSymlink != 0:
			s.Link, err = os.Readlink(name)
		case fi.Mode().IsRegular():
			var b []byte
			b, err = os.ReadFile(name)
			s.data = string(b)
		case fi.IsDir():
			s.Size = 0
			if filepath.Base(name) == ".incoming" {
				s.MTime = time.Time{}
			}
		}
		out["{base}"+strings.TrimPrefix(name, base)] = s
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

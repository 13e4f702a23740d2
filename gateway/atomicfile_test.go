package gateway

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"
)

// onlyFile fails the test unless dir holds exactly the one file name
// (no temporary file left behind) with the given content.
func onlyFile(t *testing.T, dir, name, want string) {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if !slices.Equal(names, []string{name}) {
		t.Errorf("the folder holds %q, want only %q", names, name)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, name)); string(got) != want {
		t.Errorf("%s holds %q, want %q", name, got, want)
	}
}

func TestWriteFileAtomicReplaces(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "tls.key")
	if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteFileAtomic(name, []byte("new key"), 0o600); err != nil {
		t.Fatal(err)
	}
	onlyFile(t, dir, "tls.key", "new key")
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("the written file's mode is %v (%v), want 0600", fi.Mode().Perm(), err)
	}
}

// TestWriteFileAtomicStepsInOrder: the data is written before it is
// synced, synced before the rename, and the folder is synced after the
// rename; until the rename, the old file stays as it was.
func TestWriteFileAtomicStepsInOrder(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	name := filepath.Join(dir, "ssh_host_ed25519_key")
	if err := os.WriteFile(name, []byte("old"), 0o600); err != nil {
		t.Fatal(err)
	}
	real := osSteps()
	var steps []string
	content := func(f string) string { b, _ := os.ReadFile(f); return string(b) }
	s := atomicSteps{
		sync: func(f *os.File) error {
			steps = append(steps, "sync")
			if got := content(f.Name()); got != "new" {
				t.Errorf("at sync the temporary file holds %q: the data was not written first", got)
			}
			if filepath.Dir(f.Name()) != dir {
				t.Errorf("the temporary file %s is not in the target's folder", f.Name())
			}
			return real.sync(f)
		},
		rename: func(o, n string) error {
			steps = append(steps, "rename")
			if got := content(n); got != "old" {
				t.Errorf("before the rename the target holds %q, want the old file", got)
			}
			return real.rename(o, n)
		},
		syncDir: func(d string) error {
			steps = append(steps, "syncDir")
			if d != dir {
				t.Errorf("synced folder %s, want the target's %s", d, dir)
			}
			if got := content(name); got != "new" {
				t.Errorf("at the folder sync the target holds %q: it was not renamed first", got)
			}
			return real.syncDir(d)
		},
	}
	if err := s.writeFileAtomic(name, []byte("new"), 0o600); err != nil {
		t.Fatal(err)
	}
	if want := []string{"sync", "rename", "syncDir"}; !slices.Equal(steps, want) {
		t.Errorf("steps %q, want %q", steps, want)
	}
	onlyFile(t, dir, "ssh_host_ed25519_key", "new")
}

// TestWriteFileAtomicFailureLeavesNothing: whichever step fails, the
// error is returned and no temporary file is left; before the rename the
// old file is untouched.
func TestWriteFileAtomicFailureLeavesNothing(t *testing.T) {
	t.Parallel()
	boom := errors.New("disk on fire")
	for _, c := range []struct {
		step string
		want string // the target's content afterwards
	}{{"sync", "old"}, {"rename", "old"}, {"syncDir", "new"}} {
		t.Run(c.step, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			name := filepath.Join(dir, "tls.crt")
			if err := os.WriteFile(name, []byte("old"), 0o644); err != nil {
				t.Fatal(err)
			}
			s := osSteps()
			switch c.step {
			case "sync":
				s.sync = func(*os.File) error { return boom }
			case "rename":
				s.rename = func(string, string) error { return boom }
			case "syncDir":
				s.syncDir = func(string) error { return boom }
			}
			if err := s.writeFileAtomic(name, []byte("new"), 0o644); !errors.Is(err, boom) {
				t.Errorf("a failed %s returned %v, want its error", c.step, err)
			}
			onlyFile(t, dir, "tls.crt", c.want)
		})
	}
	t.Run("no folder", func(t *testing.T) {
		t.Parallel()
		if err := WriteFileAtomic(filepath.Join(t.TempDir(), "missing", "f"), []byte("x"), 0o600); err == nil {
			t.Error("writing into a folder that does not exist succeeded")
		}
	})
}

package storage_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"syscall"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// An upload takes a file made ahead (its inode allocated while nothing
// waited for it), which lands in place with its data like any other; the
// spares waiting for the next uploads are not in .incoming's listing, and
// the tree's Close frees them.
func TestUploadsTakeFilesMadeAhead(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	v := newView(t, e.st, e.rules, e.files, addUser(t, e.st, "ana", store.RoleAdmin))
	put := func(name string) {
		t.Helper()
		u, err := v.Create(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := u.Write([]byte("datos de " + name)); err != nil {
			t.Fatal(err)
		}
		if err := u.Close(); err != nil {
			t.Fatal(err)
		}
	}
	put("/dossiers/ACME/uno.txt")
	spares := storage.SpareInodes(e.files)
	if len(spares) == 0 {
		t.Fatal("no spare upload file was made after the first upload")
	}
	if left, _ := os.ReadDir(filepath.Join(e.dir, ".incoming")); len(left) != 0 {
		t.Errorf(".incoming lists %d entries with spares ready, want none", len(left))
	}
	put("/dossiers/ACME/dos.txt")
	fi, err := os.Stat(filepath.Join(e.dir, "dossiers/ACME/dos.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if ino := fi.Sys().(*syscall.Stat_t).Ino; !slices.Contains(spares, ino) {
		t.Errorf("the second upload's file is inode %d, not one of the spares %v", ino, spares)
	}
	if b, _ := os.ReadFile(filepath.Join(e.dir, "dossiers/ACME/dos.txt")); string(b) != "datos de /dossiers/ACME/dos.txt" {
		t.Errorf("the file holds %q", b)
	}
	if fi.Mode().Perm() != mustStat(t, filepath.Join(e.dir, "dossiers/ACME/uno.txt")).Mode().Perm() {
		t.Errorf("a spare's mode %v differs from a created file's", fi.Mode())
	}
}

func mustStat(t *testing.T, name string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(name)
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

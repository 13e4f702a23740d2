package storage_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// TestFolderCopyTakenBackWhenAuditFails: when the audit rows of a folder
// copy cannot be written once it is in place, the copy is refused and
// taken back out: a new folder is gone, a replaced one is back as it was,
// nothing stays in .incoming and no upload is left pending.
func TestFolderCopyTakenBackWhenAuditFails(t *testing.T) {
	t.Parallel()
	for _, replace := range []bool{false, true} {
		name := "new folder"
		if replace {
			name = "replacing a folder"
		}
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			top := t.TempDir()
			d := openDataDir(t, filepath.Join(top, "custodia.db"), filepath.Join(top, "files"))
			if _, err := d.st.CreateClient(ctx, "ACME", "ACME S.A."); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(d.files, "dossiers", "ACME", "copia")
			writeFile(t, filepath.Join(d.files, "dossiers", "ACME", ".keep"), "")
			if replace {
				writeFile(t, filepath.Join(dst, "keep.pdf"), "%PDF-1.4 keep")
			}
			u := addUser(t, d.st, "root", store.RoleAdmin)
			v := viewWith(t, d, u, failingCommits{Store: d.st})
			c, err := v.BeginCopy(ctx, "/dossiers/ACME/copia", replace)
			if err != nil {
				t.Fatal(err)
			}
			up, err := c.Create(ctx, "/dossiers/ACME/copia/new.pdf")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := up.Write([]byte("%PDF-1.4 new")); err != nil {
				t.Fatal(err)
			}
			if err := up.Close(); err != nil {
				t.Fatal(err)
			}
			if err := c.Commit(ctx); !errors.Is(err, storage.ErrFailed) {
				t.Fatalf("a copy whose audit failed was answered %v, want ErrFailed", err)
			}
			if _, err := os.Lstat(filepath.Join(dst, "new.pdf")); !os.IsNotExist(err) {
				t.Errorf("the refused copy is visible (lstat: %v)", err)
			}
			if replace {
				if b, err := os.ReadFile(filepath.Join(dst, "keep.pdf")); err != nil || string(b) != "%PDF-1.4 keep" {
					t.Errorf("the replaced folder is not back: %q, %v", b, err)
				}
			} else if _, err := os.Lstat(dst); !os.IsNotExist(err) {
				t.Errorf("the refused copy's folder is visible (lstat: %v)", err)
			}
			if entries, _ := os.ReadDir(filepath.Join(d.files, ".incoming")); len(entries) > 0 {
				t.Errorf(".incoming holds %d entries", len(entries))
			}
			if p := pendingUploads(t, d.st); len(p) != 0 {
				t.Errorf("the refused copy's upload is still pending: %+v", p)
			}
		})
	}
}

package storage_test

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// TestS3EmptyPutsNeverRefuseThemselves: on S3 over plain HTTP, every new
// folder (an empty marker) and every empty file is put once: a put that
// minio-go sent again after the server closed the connection on it would
// be refused by its own first copy (If-None-Match) and reported as
// "already exists". Before empty puts went without a chunk-signed body,
// about one in 250 failed so under -race.
func TestS3EmptyPutsNeverRefuseThemselves(t *testing.T) {
	t.Parallel()
	s3 := startS3(t)
	st, rules := newStore(t)
	files, err := storage.OpenFilesS3(context.Background(), filepath.Join(t.TempDir(), "files"), []string{"operaciones"}, s3.options())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { files.Close() })
	u, err := st.CreateUser(context.Background(), store.NewUser{Name: "ana", Role: store.RoleStaff, Department: "operaciones"})
	if err != nil {
		t.Fatal(err)
	}
	v := newView(t, st, rules, files, u)
	ctx := t.Context()
	failed := 0
	for i := range 300 {
		if err := v.Mkdir(ctx, fmt.Sprintf("/operaciones/d%03d", i)); err != nil {
			failed++
			t.Errorf("mkdir %d: %v", i, err)
		}
		if i%4 == 0 {
			if err := putFile(ctx, v, fmt.Sprintf("/operaciones/d%03d/vacio.txt", i), ""); err != nil {
				failed++
				t.Errorf("empty upload %d: %v", i, err)
			}
		}
		if failed > 5 {
			t.Fatal("stopping")
		}
	}
}

package storage_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/oaq/custodia/storage"
	"github.com/oaq/custodia/store"
)

// TestUploadStartsWritebackAsItGoes: an upload starts the disk's writeback
// of its data every 8 MiB as it arrives, so that Close's fsync does not
// wait for the whole file (issue 17); the fsync still comes, and the file
// arrives whole.
func TestUploadStartsWritebackAsItGoes(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	e := newEnv(t, "ACME")
	log := &stepLog{}
	storage.SetTrace(e.files, func(step, _ string) { log.add(step) })
	v := e.view(t, "root", store.RoleAdmin)
	u, err := v.Create(ctx, "/dossiers/ACME/grande.bin")
	if err != nil {
		t.Fatal(err)
	}
	chunk := bytes.Repeat([]byte("d"), 1<<20)
	var during []string
	for i := range 20 { // 20 MiB
		if _, err := u.Write(chunk); err != nil {
			t.Fatal(err)
		}
		if i == 17 {
			during = log.get()
		}
	}
	if err := u.Close(); err != nil {
		t.Fatal(err)
	}
	if want := []string{"start writeback", "start writeback"}; fmt.Sprint(during) != fmt.Sprint(want) {
		t.Errorf("after 18 MiB written the upload had taken the steps %q, want %q (one every 8 MiB)", during, want)
	}
	if got := strings.Join(log.get(), ","); !strings.HasPrefix(got, "start writeback,start writeback,fsync data,") {
		t.Errorf("steps %s: want the two writebacks, then the fsync and the rest", got)
	}
	if st := statSize(t, e.path("dossiers/ACME/grande.bin")); st != 20<<20 {
		t.Errorf("the file has %d bytes, want %d", st, 20<<20)
	}
}

func statSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

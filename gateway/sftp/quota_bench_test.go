package sftp_test

import (
	"context"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// BenchmarkSFTPUploadQuota moves a 256 MiB file up into a client's
// dossier with every limit off (no quota, no maximum size, no disk
// reserve) and with all of them on (the user's and the client's bytes and
// file quotas, the role's maximum, a 1% disk reserve checked every 8 MiB):
// the difference is what quotas cost an upload. MB/s is the figure.
func BenchmarkSFTPUploadQuota(b *testing.B) {
	for _, bc := range []struct {
		name  string
		env   []string
		quota store.Limit
	}{
		{"off", []string{"CUSTODIA_STORAGE_MIN_FREE=0", "CUSTODIA_STORAGE_MAX_FILE_SIZE_DEFAULT=0", "CUSTODIA_STORAGE_MAX_FILE_SIZE_ADMIN=0"}, store.Limit{}},
		{"on", []string{"CUSTODIA_STORAGE_MIN_FREE=1%", "CUSTODIA_STORAGE_MAX_FILE_SIZE_ADMIN=1GiB"}, store.Limit{Bytes: 1 << 40, Files: 1 << 20}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			tg := testkit.Start(b, bc.env...)
			tg.AddClient("ACME", "Acme")
			tg.AddUser(store.NewUser{Name: "bench", Role: store.RoleAdmin})
			ctx := context.Background()
			if _, err := tg.Store().UpdateUser(ctx, "bench", store.UserUpdate{Quota: &bc.quota}); err != nil {
				b.Fatal(err)
			}
			if err := tg.Store().SetClientQuota(ctx, "ACME", bc.quota); err != nil {
				b.Fatal(err)
			}
			conn, err := tg.Dial("bench", testkit.Password)
			if err != nil {
				b.Fatal(err)
			}
			uploadLoop(b, pipelinedClient(b, conn), testkit.BenchFile(b), "/dossiers/ACME/bench.bin")
		})
	}
}

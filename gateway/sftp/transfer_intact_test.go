package sftp_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"os"
	"path/filepath"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// TestOpenSSHTransferIntact puts and gets a file of many packets with
// OpenSSH's sftp (255 KiB requests in flight, AES-GCM SSH packets of
// 32 KiB) and checks that the file on disk and the one fetched back are
// the bytes sent: the data path's buffers (recycled channel packets,
// pages read into after room for a header, one-write GCM packets) keep
// every byte in place.
func TestOpenSSHTransferIntact(t *testing.T) {
	t.Parallel()
	testkit.NeedTool(t, "sftp")
	tg := testkit.Start(t)
	dir := t.TempDir()
	key, k := clientKey(t, dir)
	tg.AddUser(store.NewUser{Name: "intact", Role: store.RoleAdmin, Keys: []store.NewKey{k}})
	c := sftpClient(tg, "intact", key, dir)

	want := make([]byte, 5<<20+12345) // not a multiple of any packet size
	rand.Read(want)
	src, back := filepath.Join(dir, "src.bin"), filepath.Join(dir, "back.bin")
	if err := os.WriteFile(src, want, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := c.Batch(context.Background(), "put "+src+" /departments/operaciones/intact.bin",
		"get /departments/operaciones/intact.bin "+back); err != nil {
		t.Fatal(err)
	}
	if got, err := os.ReadFile(filepath.Join(tg.DataDir, "files/departments/operaciones/intact.bin")); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the file uploaded is not on disk intact (err %v, %d bytes of %d)", err, len(got), len(want))
	}
	if got, err := os.ReadFile(back); err != nil || !bytes.Equal(got, want) {
		t.Errorf("the file downloaded is not the one uploaded (err %v, %d bytes of %d)", err, len(got), len(want))
	}
}

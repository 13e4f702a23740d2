package sftp_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// sftpPut uploads data to vpath and returns the write's or the close's
// error.
func sftpPut(c *gosftp.Client, vpath string, data []byte) error {
	f, err := c.Create(vpath)
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// quotaRefusal reports whether err is the SFTP answer to an upload or
// rename past a quota: SSH_FX_FAILURE with the text "quota exceeded".
func quotaRefusal(err error) bool {
	var se *gosftp.StatusError
	return errors.As(err, &se) && se.FxCode() == gosftp.ErrSSHFxFailure && strings.Contains(se.Error(), "quota exceeded")
}

func clientUsed(t *testing.T, tg *testkit.Gateway, id string) store.Usage {
	t.Helper()
	c, err := tg.Store().ClientByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Used
}

// TestSFTPRenameIntoClientChecksItsQuota: a rename into another client
// account's folders charges that account, so it is refused ("quota
// exceeded") when the account has no room, for a file and for a folder
// (the sum of what it holds); nothing moves and no usage changes. With
// room, the folder moves and the account is charged.
func TestSFTPRenameIntoClientChecksItsQuota(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	ctx := context.Background()
	if err := tg.Store().SetClientQuota(ctx, "BETA", store.Limit{Bytes: 50, Files: 1}); err != nil {
		t.Fatal(err)
	}
	c := tg.SFTP("sys")
	for i := range 3 {
		if err := sftpPut(c, fmt.Sprintf("/dossiers/ACME/r%d.pdf", i), bytes.Repeat([]byte("r"), 100)); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Mkdir("/dossiers/ACME/f"); err != nil {
		t.Fatal(err)
	}
	for _, n := range []string{"a", "b"} {
		if err := sftpPut(c, "/dossiers/ACME/f/"+n+".pdf", bytes.Repeat([]byte(n), 20)); err != nil {
			t.Fatal(err)
		}
	}
	before := clientUsed(t, tg, "BETA")
	for i := range 3 {
		err := c.PosixRename(fmt.Sprintf("/dossiers/ACME/r%d.pdf", i), fmt.Sprintf("/dossiers/BETA/r%d.pdf", i))
		if !quotaRefusal(err) {
			t.Errorf("rename of 100 bytes into BETA (quota 50 bytes, 1 file): %v, want quota exceeded", err)
		}
	}
	if err := c.PosixRename("/dossiers/ACME/f", "/dossiers/BETA/f"); !quotaRefusal(err) {
		t.Errorf("rename of a folder of 2 files into BETA (quota 1 file): %v, want quota exceeded", err)
	}
	if u := clientUsed(t, tg, "BETA"); u != before {
		t.Errorf("BETA's usage after refused renames: %+v, want %+v", u, before)
	}
	if _, err := c.Stat("/dossiers/ACME/r0.pdf"); err != nil {
		t.Errorf("the refused rename moved its file: %v", err)
	}
	if err := tg.Store().SetClientQuota(ctx, "BETA", store.Limit{Bytes: before.Bytes + 40, Files: before.Files + 2}); err != nil {
		t.Fatal(err)
	}
	if err := c.PosixRename("/dossiers/ACME/f", "/dossiers/BETA/f"); err != nil {
		t.Fatalf("rename of a folder that fits BETA's quota exactly: %v", err)
	}
	if u := clientUsed(t, tg, "BETA"); u != (store.Usage{Bytes: before.Bytes + 40, Files: before.Files + 2}) {
		t.Errorf("BETA's usage after the rename: %+v, want 40 bytes and 2 files more than %+v", u, before)
	}
}

// TestSFTPConcurrentWritesSayWhyRefused: pkg/sftp's concurrent writes
// reach the server out of order, so most writes of an upload past the
// role's maximum arrive after the one that was refused; each upload must
// still be answered "file too large", never a bare failure.
func TestSFTPConcurrentWritesSayWhyRefused(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_STORAGE_MAX_FILE_SIZE_CORRESPONDENT=1MiB")
	tg.Fixture()
	conn, err := tg.Dial("juan", testkit.Password)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	c, err := gosftp.NewClient(conn, gosftp.UseConcurrentWrites(true), gosftp.MaxConcurrentRequestsPerFile(64))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	data := bytes.Repeat([]byte("x"), 4<<20)
	for i := range 8 {
		f, err := c.Create(fmt.Sprintf("/ACME/p%d.pdf", i))
		if err != nil {
			t.Fatal(err)
		}
		_, werr := f.ReadFrom(bytes.NewReader(data))
		cerr := f.Close()
		var se *gosftp.StatusError
		if !errors.As(werr, &se) || !strings.Contains(se.Error(), "file too large") {
			t.Errorf("upload %d of 4 MiB past the 1 MiB maximum, with concurrent writes: %v, want file too large", i, werr)
		}
		if !errors.As(cerr, &se) || !strings.Contains(se.Error(), "file too large") {
			t.Errorf("close of upload %d: %v, want file too large", i, cerr)
		}
	}
}

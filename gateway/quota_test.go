package gateway_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	gosftp "github.com/pkg/sftp"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// The quota tests run every refusal through the three protocols: the
// same refusal must read the same everywhere (SFTP SSH_FX_FAILURE with a
// fixed message, FTPS 552, WebDAV 507) and leave nothing behind.

var protocols = []string{"sftp", "ftp", "webdav"}

// put uploads data as user over proto and returns the refusal, described
// as "ok" or "quota: <message>" / "ftp 552" / "http 507", or the error.
func put(t *testing.T, tg *testkit.Gateway, proto, user, vpath string, data []byte) string {
	t.Helper()
	switch proto {
	case "sftp":
		c := tg.SFTP(user)
		f, err := c.Create(vpath)
		if err != nil {
			return sftpOutcome(err)
		}
		_, werr := f.Write(data)
		cerr := f.Close()
		if werr != nil {
			return sftpOutcome(werr)
		}
		return sftpOutcome(cerr)
	case "ftp":
		c := tg.FTP(user)
		err := c.Stor(strings.TrimPrefix(vpath, "/"), bytes.NewReader(data))
		if err == nil {
			return "ok"
		}
		var te *textproto.Error
		if errors.As(err, &te) {
			// ftpserverlib prefixes a refused open with its own words.
			msg := te.Msg[strings.LastIndex(te.Msg, ": ")+1:]
			return fmt.Sprintf("ftp %d %s", te.Code, strings.TrimSpace(msg))
		}
		return err.Error()
	default:
		r := tg.DAV(user).Do("PUT", vpath, string(data))
		if r.Code/100 == 2 {
			return "ok"
		}
		return fmt.Sprintf("http %d", r.Code)
	}
}

func sftpOutcome(err error) string {
	if err == nil {
		return "ok"
	}
	var se *gosftp.StatusError
	if errors.As(err, &se) && se.FxCode() == gosftp.ErrSSHFxFailure {
		// pkg/sftp's text is "sftp: \"<msg>\" (SSH_FX_FAILURE)".
		return "failure: " + se.Error()
	}
	return err.Error()
}

// refused is what each protocol says when an upload is refused for size:
// msg is the SFTP message.
func refused(proto, msg string) string {
	switch proto {
	case "sftp":
		return "failure: " + fmt.Sprintf("sftp: %q (SSH_FX_FAILURE)", msg)
	case "ftp":
		return "ftp 552 " + strings.ToUpper(msg[:1]) + msg[1:]
	}
	return "http 507"
}

func setUserQuota(t *testing.T, tg *testkit.Gateway, user string, q store.Limit) {
	t.Helper()
	if _, err := tg.Store().UpdateUser(context.Background(), user, store.UserUpdate{Quota: &q}); err != nil {
		t.Fatal(err)
	}
}

func usageOf(t *testing.T, tg *testkit.Gateway, user string) store.Usage {
	t.Helper()
	u, err := tg.Store().UserByName(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return u.Used
}

func clientUsage(t *testing.T, tg *testkit.Gateway, id string) store.Usage {
	t.Helper()
	c, err := tg.Store().ClientByID(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return c.Used
}

// onDisk says whether a storage path holds a file.
func onDisk(tg *testkit.Gateway, spath string) bool {
	_, err := os.Stat(filepath.Join(tg.DataDir, "files", filepath.FromSlash(spath)))
	return err == nil
}

// incomingEmpty says whether no upload is left in files/.incoming.
func incomingEmpty(t *testing.T, tg *testkit.Gateway) bool {
	t.Helper()
	es, err := os.ReadDir(filepath.Join(tg.DataDir, "files", ".incoming"))
	if err != nil {
		t.Fatal(err)
	}
	return len(es) == 0
}

func TestQuotaBytesRefusedOnEveryProtocol(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			tg := testkit.Start(t)
			tg.Fixture()
			setUserQuota(t, tg, "juan", store.Limit{Bytes: 100 << 10})
			if got := put(t, tg, proto, "juan", "/ACME/a.pdf", bytes.Repeat([]byte("a"), 60<<10)); got != "ok" {
				t.Fatalf("juan's first 60 KiB within a 100 KiB quota: %s", got)
			}
			want := store.Usage{Bytes: 60 << 10, Files: 1}
			if got := usageOf(t, tg, "juan"); got != want {
				t.Fatalf("juan's usage after one upload is %+v, want %+v", got, want)
			}
			if got := put(t, tg, proto, "juan", "/ACME/b.pdf", bytes.Repeat([]byte("b"), 60<<10)); got != refused(proto, "quota exceeded") {
				t.Errorf("juan's second 60 KiB over a 100 KiB quota: %s, want %s", got, refused(proto, "quota exceeded"))
			}
			if onDisk(tg, "/dossiers/ACME/b.pdf") || !incomingEmpty(t, tg) {
				t.Error("the refused upload left something behind")
			}
			if got := usageOf(t, tg, "juan"); got != want {
				t.Errorf("juan's usage after a refused upload is %+v, want %+v", got, want)
			}
			if got := clientUsage(t, tg, "ACME"); got != want {
				t.Errorf("ACME's usage is %+v, want %+v (juan's file is in its dossier)", got, want)
			}
		})
	}
}

func TestQuotaFilesRefusedOnEveryProtocol(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			tg := testkit.Start(t)
			tg.Fixture()
			if err := tg.Store().SetClientQuota(context.Background(), "ACME", store.Limit{Files: 1}); err != nil {
				t.Fatal(err)
			}
			if got := put(t, tg, proto, "juan", "/ACME/a.pdf", []byte("%PDF-1.4 a")); got != "ok" {
				t.Fatalf("the first file of ACME's one-file quota: %s", got)
			}
			if got := put(t, tg, proto, "juan", "/ACME/b.pdf", []byte("%PDF-1.4 b")); got != refused(proto, "quota exceeded") {
				t.Errorf("a second file into ACME's one-file quota: %s, want %s", got, refused(proto, "quota exceeded"))
			}
			if onDisk(tg, "/dossiers/ACME/b.pdf") {
				t.Error("the refused file is in place")
			}
			if got, want := clientUsage(t, tg, "ACME"), (store.Usage{Bytes: 10, Files: 1}); got != want {
				t.Errorf("ACME's usage is %+v, want %+v", got, want)
			}
		})
	}
}

func TestMaxFileSizePerRoleOnEveryProtocol(t *testing.T) {
	t.Parallel()
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			tg := testkit.Start(t, "CUSTODIA_STORAGE_MAX_FILE_SIZE_CORRESPONDENT=64KiB", "CUSTODIA_STORAGE_MAX_FILE_SIZE_DEFAULT=1MiB")
			tg.Fixture()
			big := bytes.Repeat([]byte("x"), 100<<10)
			if got := put(t, tg, proto, "juan", "/ACME/big.pdf", big); got != refused(proto, "file too large") {
				t.Errorf("a correspondent's 100 KiB file over the role's 64 KiB: %s, want %s", got, refused(proto, "file too large"))
			}
			if onDisk(tg, "/dossiers/ACME/big.pdf") || !incomingEmpty(t, tg) {
				t.Error("the refused upload left something behind")
			}
			if got := usageOf(t, tg, "juan"); got != (store.Usage{}) {
				t.Errorf("juan's usage after a refused upload is %+v, want none", got)
			}
			if got := put(t, tg, proto, "ana", "/operaciones/big.xlsx", big); got != "ok" {
				t.Errorf("staff's 100 KiB file under the 1 MiB default: %s", got)
			}
		})
	}
}

// TestSparseWriteAtRefused: 160 one-byte writes at offsets 64 MiB apart
// once made a 10 GiB sparse file. The write whose end passes the role's
// maximum (256 MiB for correspondents by default) fails, and the upload
// leaves nothing.
func TestSparseWriteAtRefused(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	c := tg.SFTP("juan")
	f, err := c.OpenFile("/ACME/sparse.pdf", os.O_WRONLY|os.O_CREATE|os.O_TRUNC)
	if err != nil {
		t.Fatal(err)
	}
	var failedAt = -1
	for i := range 160 {
		if _, err := f.WriteAt([]byte{'x'}, int64(i)*(64<<20)); err != nil {
			if got, want := sftpOutcome(err), refused("sftp", "file too large"); got != want {
				t.Errorf("write %d: %s, want %s", i, got, want)
			}
			failedAt = i
			break
		}
	}
	f.Close()
	if failedAt != 4 { // the write at 4·64 MiB would end one byte past 256 MiB
		t.Errorf("the first refused write was number %d, want 4 (offset 256 MiB)", failedAt)
	}
	if onDisk(tg, "/dossiers/ACME/sparse.pdf") || !incomingEmpty(t, tg) {
		t.Error("the refused sparse upload left something behind")
	}
}

// TestMinFreeRefusesUploads sets the reserve above what this machine has
// free, so every upload is refused on every protocol.
func TestMinFreeRefusesUploads(t *testing.T) {
	t.Parallel()
	var st syscall.Statfs_t
	if err := syscall.Statfs(t.TempDir(), &st); err != nil {
		t.Fatal(err)
	}
	reserve := int64(st.Bavail)*st.Bsize + 1<<40
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			t.Parallel()
			tg := testkit.Start(t, fmt.Sprintf("CUSTODIA_STORAGE_MIN_FREE=%d", reserve))
			tg.Fixture()
			if got := put(t, tg, proto, "ana", "/operaciones/r.xlsx", []byte("data")); got != refused(proto, "insufficient storage") {
				t.Errorf("an upload below the disk reserve: %s, want %s", got, refused(proto, "insufficient storage"))
			}
			if onDisk(tg, "/departments/operaciones/r.xlsx") || !incomingEmpty(t, tg) {
				t.Error("the refused upload left something behind")
			}
		})
	}
}

// TestQuotaUsageFollowsOperations: an overwrite charges the difference, a
// rename keeps the uploader and moves the charge to the client account of
// the new folder, a WebDAV COPY is an upload by the copier, a delete frees
// the file.
func TestQuotaUsageFollowsOperations(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	check := func(when string, sys, acme, beta store.Usage) {
		t.Helper()
		if got := usageOf(t, tg, "sys"); got != sys {
			t.Errorf("%s: sys's usage is %+v, want %+v", when, got, sys)
		}
		if got := clientUsage(t, tg, "ACME"); got != acme {
			t.Errorf("%s: ACME's usage is %+v, want %+v", when, got, acme)
		}
		if got := clientUsage(t, tg, "BETA"); got != beta {
			t.Errorf("%s: BETA's usage is %+v, want %+v", when, got, beta)
		}
	}
	none := store.Usage{}
	if got := put(t, tg, "sftp", "sys", "/dossiers/ACME/f.pdf", bytes.Repeat([]byte("f"), 100)); got != "ok" {
		t.Fatal(got)
	}
	check("after an upload", store.Usage{Bytes: 100, Files: 1}, store.Usage{Bytes: 100, Files: 1}, none)
	if got := put(t, tg, "sftp", "sys", "/dossiers/ACME/f.pdf", bytes.Repeat([]byte("g"), 40)); got != "ok" {
		t.Fatal(got)
	}
	check("after an overwrite", store.Usage{Bytes: 40, Files: 1}, store.Usage{Bytes: 40, Files: 1}, none)
	c := tg.SFTP("sys")
	if err := c.Rename("/dossiers/ACME/f.pdf", "/dossiers/BETA/f.pdf"); err != nil {
		t.Fatal(err)
	}
	check("after a rename into BETA", store.Usage{Bytes: 40, Files: 1}, none, store.Usage{Bytes: 40, Files: 1})
	dav := tg.DAV("sys")
	if r := dav.Do("COPY", "/dossiers/BETA/f.pdf", "", "Destination", dav.URL("/dossiers/ACME/g.pdf")); r.Code/100 != 2 {
		t.Fatalf("COPY: %d %s", r.Code, r.Body)
	}
	check("after a WebDAV COPY into ACME", store.Usage{Bytes: 80, Files: 2}, store.Usage{Bytes: 40, Files: 1}, store.Usage{Bytes: 40, Files: 1})
	for _, p := range []string{"/dossiers/BETA/f.pdf", "/dossiers/ACME/g.pdf"} {
		if err := c.Remove(p); err != nil {
			t.Fatal(err)
		}
	}
	check("after both are deleted", none, none, none)
}

// TestMinFreeCheckedAsBytesArrive: with the reserve set 32 MiB under what
// the disk has free, the upload starts and is refused on its way, once
// its own bytes take the disk into the reserve. Other programs change the
// free space too, so an attempt that is refused at once or whose disk
// gained room meanwhile is tried again (three at most); an upload that
// completes every time fails the test.
func TestMinFreeCheckedAsBytesArrive(t *testing.T) {
	t.Parallel()
	const size = 256 << 20
	chunk := bytes.Repeat([]byte("r"), 1<<20)
	var outcomes []string
	for range 3 {
		dir := t.TempDir()
		var st syscall.Statfs_t
		if err := syscall.Statfs(dir, &st); err != nil {
			t.Fatal(err)
		}
		reserve := int64(st.Bavail)*st.Bsize - 32<<20
		tg, stop := testkit.Restartable(t, testkit.Env(dir, fmt.Sprintf("CUSTODIA_STORAGE_MIN_FREE=%d", reserve)), true)
		tg.Fixture()
		c := tg.SFTP("ana")
		f, err := c.Create("/operaciones/big.bin")
		if err != nil {
			outcomes = append(outcomes, "refused at start: "+sftpOutcome(err))
			stop()
			continue
		}
		written, werr := 0, error(nil)
		for written < size && werr == nil {
			var n int
			n, werr = f.Write(chunk)
			written += n
		}
		cerr := f.Close()
		switch {
		case werr != nil && sftpOutcome(werr) == refused("sftp", "insufficient storage") && written >= 8<<20:
			if onDisk(tg, "/departments/operaciones/big.bin") || !incomingEmpty(t, tg) {
				t.Error("the upload refused on its way left something behind")
			}
			stop()
			return
		case werr != nil:
			outcomes = append(outcomes, fmt.Sprintf("write after %d bytes: %s", written, sftpOutcome(werr)))
		default:
			outcomes = append(outcomes, fmt.Sprintf("completed %d bytes 32 MiB above the reserve (close: %s)", written, sftpOutcome(cerr)))
		}
		stop()
	}
	t.Errorf("no upload was refused on its way into the disk reserve: %v", outcomes)
}

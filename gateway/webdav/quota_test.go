package webdav_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

const quotaProps = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:prop>` +
	`<D:quota-available-bytes/><D:quota-used-bytes/></D:prop></D:propfind>`

// davQuota asks for a folder's RFC 4331 properties.
func davQuota(t *testing.T, tg *testkit.Gateway, user, vpath string) (avail, used int64) {
	t.Helper()
	r := tg.DAV(user).Do("PROPFIND", vpath, quotaProps, "Depth", "0", "Content-Type", "application/xml; charset=utf-8")
	if r.Code != 207 {
		t.Fatalf("PROPFIND %s as %s: %d %s", vpath, user, r.Code, r.Body)
	}
	num := func(prop string) int64 {
		m := regexp.MustCompile(`<[A-Za-z]*:?` + prop + `[^>]*>(\d+)<`).FindStringSubmatch(r.Body)
		if m == nil {
			t.Fatalf("no %s in %s", prop, r.Body)
		}
		n, _ := strconv.ParseInt(m[1], 10, 64)
		return n
	}
	return num("quota-available-bytes"), num("quota-used-bytes")
}

// TestDAVQuotaProperties: a folder's quota-available-bytes is the room
// the tightest quota leaves, and quota-used-bytes that account's usage.
func TestDAVQuotaProperties(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	q := store.Limit{Bytes: 1 << 20}
	if _, err := tg.Store().UpdateUser(context.Background(), "juan", store.UserUpdate{Quota: &q}); err != nil {
		t.Fatal(err)
	}
	if err := tg.Store().SetClientQuota(context.Background(), "ACME", store.Limit{Bytes: 1000}); err != nil {
		t.Fatal(err)
	}
	testkit.Upload(t, tg, "juan", "/ACME/a.pdf", "%PDF-1.4 0123456789") // 19 bytes
	if avail, used := davQuota(t, tg, "juan", "/ACME"); avail != 1000-19 || used != 19 {
		t.Errorf("juan's /ACME: quota-available-bytes %d, quota-used-bytes %d; want ACME's %d and 19", avail, used, 1000-19)
	}
	if err := tg.Store().SetClientQuota(context.Background(), "ACME", store.Limit{}); err != nil {
		t.Fatal(err)
	}
	if avail, used := davQuota(t, tg, "juan", "/ACME"); avail != 1<<20-19 || used != 19 {
		t.Errorf("juan's /ACME with no client quota: quota-available-bytes %d, quota-used-bytes %d; want juan's %d and 19", avail, used, 1<<20-19)
	}
}

// TestDAVFolderCopyCountsItsOwnFiles: the files of a folder COPY are
// charged only once the copy is in place, so each one's quota check must
// count the files staged before it. ana may hold 100 bytes in 1 file:
// a copy of three 60-byte files is refused (507) whichever quota it meets
// first, and leaves nothing on disk, in .incoming or in her usage; a copy
// that fits is placed whole and charged whole.
func TestDAVFolderCopyCountsItsOwnFiles(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name  string
		quota store.Limit
	}{
		{"files", store.Limit{Bytes: 1000, Files: 1}},
		{"bytes", store.Limit{Bytes: 100}},
		{"both", store.Limit{Bytes: 100, Files: 1}},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			tg := testkit.Start(t)
			tg.Fixture()
			for _, n := range []string{"a", "b", "c"} {
				tg.Put("departments/operaciones/src/"+n+".docx", strings.Repeat(n, 60))
			}
			setQuota(t, tg, "ana", c.quota)
			d := tg.DAV("ana")
			r := d.Do("COPY", "/operaciones/src", "", "Destination", d.URL("/operaciones/dst"))
			if r.Code != http.StatusInsufficientStorage {
				t.Errorf("COPY of 180 bytes in 3 files past a quota of %+v: %d %q, want 507", c.quota, r.Code, r.Body)
			}
			if _, err := os.Lstat(filepath.Join(tg.DataDir, "files/departments/operaciones/dst")); !os.IsNotExist(err) {
				t.Errorf("the refused COPY left its destination on disk (lstat: %v)", err)
			}
			if left := incomingLeft(t, tg); len(left) > 0 {
				t.Errorf("the refused COPY left %q in .incoming", left)
			}
			if u := userUsage(t, tg, "ana"); u != (store.Usage{}) {
				t.Errorf("ana's usage after the refused COPY: %+v, want none", u)
			}
			setQuota(t, tg, "ana", store.Limit{Bytes: 180, Files: 3})
			if r := d.Do("COPY", "/operaciones/src", "", "Destination", d.URL("/operaciones/dst")); r.Code != http.StatusCreated {
				t.Fatalf("COPY that fits the quota exactly: %d %q, want 201", r.Code, r.Body)
			}
			if u := userUsage(t, tg, "ana"); u != (store.Usage{Bytes: 180, Files: 3}) {
				t.Errorf("ana's usage after the COPY: %+v, want 180 bytes in 3 files", u)
			}
			if r := d.Do("COPY", "/operaciones/src", "", "Destination", d.URL("/operaciones/dst2")); r.Code != http.StatusInsufficientStorage {
				t.Errorf("a second COPY past the quota: %d, want 507", r.Code)
			}
		})
	}
}

func setQuota(t *testing.T, tg *testkit.Gateway, user string, q store.Limit) {
	t.Helper()
	if _, err := tg.Store().UpdateUser(context.Background(), user, store.UserUpdate{Quota: &q}); err != nil {
		t.Fatal(err)
	}
}

func userUsage(t *testing.T, tg *testkit.Gateway, user string) store.Usage {
	t.Helper()
	u, err := tg.Store().UserByName(context.Background(), user)
	if err != nil {
		t.Fatal(err)
	}
	return u.Used
}

// TestDAVMoveIntoClientChecksItsQuota: a MOVE into another client
// account's folders is refused with 507 when that account has no room
// for what moves (a file, or all a folder holds); nothing moves.
func TestDAVMoveIntoClientChecksItsQuota(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	ctx := context.Background()
	d := tg.DAV("sys")
	for _, p := range []string{"/dossiers/ACME/r.pdf", "/dossiers/ACME/f/a.pdf", "/dossiers/ACME/f/b.pdf"} {
		if p == "/dossiers/ACME/f/a.pdf" {
			if r := d.Do("MKCOL", "/dossiers/ACME/f", ""); r.Code != http.StatusCreated {
				t.Fatalf("MKCOL: %d", r.Code)
			}
		}
		if r := d.Do("PUT", p, strings.Repeat("x", 30)); r.Code != http.StatusCreated {
			t.Fatalf("PUT %s: %d", p, r.Code)
		}
	}
	c, err := tg.Store().ClientByID(ctx, "BETA")
	if err != nil {
		t.Fatal(err)
	}
	if err := tg.Store().SetClientQuota(ctx, "BETA", store.Limit{Bytes: c.Used.Bytes + 50}); err != nil {
		t.Fatal(err)
	}
	if r := d.Do("MOVE", "/dossiers/ACME/f", "", "Destination", d.URL("/dossiers/BETA/f")); r.Code != http.StatusInsufficientStorage {
		t.Errorf("MOVE of a folder of 60 bytes into BETA with room for 50: %d, want 507", r.Code)
	}
	if _, err := os.Stat(filepath.Join(tg.DataDir, "files/dossiers/ACME/f/a.pdf")); err != nil {
		t.Errorf("the refused MOVE moved the folder: %v", err)
	}
	if r := d.Do("MOVE", "/dossiers/ACME/r.pdf", "", "Destination", d.URL("/dossiers/BETA/r.pdf")); r.Code != http.StatusCreated {
		t.Errorf("MOVE of 30 bytes into BETA with room for 50: %d, want 201", r.Code)
	}
	if r := d.Do("MOVE", "/dossiers/BETA/r.pdf", "", "Destination", d.URL("/dossiers/BETA/s.pdf")); r.Code != http.StatusCreated {
		t.Errorf("MOVE inside BETA, which charges nothing more: %d, want 201", r.Code)
	}
}

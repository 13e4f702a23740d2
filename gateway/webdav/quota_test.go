package webdav_test

import (
	"context"
	"regexp"
	"strconv"
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

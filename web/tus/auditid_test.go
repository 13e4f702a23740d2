package tus_test

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
	"github.com/oaq/custodia/web/tus"
)

// TestCompletedUploadNamesItsAuditRow: the answer to the PATCH that
// completes an upload carries the id of the audit row that records it (a
// receipt names the upload by it), and so does a HEAD afterwards, for a
// client that lost that answer; the answer to a PATCH that does not
// complete it carries none.
func TestCompletedUploadNamesItsAuditRow(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	p := startPortal(t, tg, tus.Options{})
	data := random(t, 100_000)
	loc := p.mustCreate("juan", "/ACME/2026", "acuse.pdf", len(data))
	if r := p.patch("juan", loc, 0, data[:1000]); r.code != http.StatusNoContent || r.hdr.Get(tus.AuditIDHeader) != "" {
		t.Fatalf("first PATCH: %d, %s %q", r.code, tus.AuditIDHeader, r.hdr.Get(tus.AuditIDHeader))
	}
	r := p.patch("juan", loc, 1000, data[1000:])
	if r.code != http.StatusNoContent {
		t.Fatalf("last PATCH: %d %s", r.code, r.body)
	}
	id, err := strconv.ParseInt(r.hdr.Get(tus.AuditIDHeader), 10, 64)
	if err != nil {
		t.Fatalf("the completing PATCH has %s %q: %v", tus.AuditIDHeader, r.hdr.Get(tus.AuditIDHeader), err)
	}
	rows, err := tg.Store().QueryAudit(context.Background(), store.AuditQuery{IDs: []int64{id}})
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].User != "juan" || rows[0].VPath != "/ACME/2026/acuse.pdf" || rows[0].Result != store.ResultOK ||
		rows[0].SHA256 != testkit.SHA256Hex(data) || rows[0].Protocol != "web" {
		t.Fatalf("audit id %d names %+v, want juan's ok web row of /ACME/2026/acuse.pdf", id, rows)
	}
	if h := p.do("juan", "HEAD", loc, nil); h.hdr.Get(tus.AuditIDHeader) != strconv.FormatInt(id, 10) {
		t.Errorf("a HEAD of the completed upload has %s %q, want %d", tus.AuditIDHeader, h.hdr.Get(tus.AuditIDHeader), id)
	}
}

// TestAuditIDWhenNotingTheCommitFails: when the record of a committed
// upload cannot be written (its temporary file's name is taken by a
// folder), the file is stored and audited all the same, and the answer
// that completes it still names its audit row (from the commit, not the
// record); without it the receipt would silently leave the file out.
func TestAuditIDWhenNotingTheCommitFails(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	p := startPortal(t, tg, tus.Options{})
	data := random(t, 10_000)
	loc := p.mustCreate("juan", "/ACME/2026", "factura.xml", len(data))
	if r := p.patch("juan", loc, 0, data[:1000]); r.code != http.StatusNoContent {
		t.Fatalf("first PATCH: %d %s", r.code, r.body)
	}
	id := strings.TrimPrefix(loc, base)
	if err := os.Mkdir(filepath.Join(tg.DataDir, "files", ".resumable", id+".info.tmp"), 0o700); err != nil {
		t.Fatal(err)
	}
	r := p.patch("juan", loc, 1000, data[1000:])
	if r.code != http.StatusNoContent {
		t.Fatalf("last PATCH: %d %s", r.code, r.body)
	}
	if _, err := strconv.ParseInt(r.hdr.Get(tus.AuditIDHeader), 10, 64); err != nil {
		t.Errorf("the completing PATCH has %s %q, want the audit row's id", tus.AuditIDHeader, r.hdr.Get(tus.AuditIDHeader))
	}
	wantCommitted(t, tg, "juan", "/ACME/2026/factura.xml", data)
}

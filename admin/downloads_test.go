package admin_test

import (
	"encoding/csv"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// downloadsFixture makes carla download ACME's factura.pdf over SFTP and
// sys BETA's b.pdf, and waits until both are audited.
func downloadsFixture(t *testing.T, tg *testkit.Gateway) {
	t.Helper()
	for _, d := range []struct{ user, vpath string }{{"carla", "/ACME/2026/factura.pdf"}, {"sys", "/clients/BETA/b.pdf"}} {
		f, err := tg.SFTP(d.user).Open(d.vpath)
		if err != nil {
			t.Fatalf("%s opens %s: %v", d.user, d.vpath, err)
		}
		if _, err := io.ReadAll(f); err != nil {
			t.Fatalf("%s downloads %s: %v", d.user, d.vpath, err)
		}
		f.Close()
	}
	testkit.WaitFor(t, 10*time.Second, "both downloads are audited", func() bool {
		rows, _ := tg.Store().QueryAudit(t.Context(), store.AuditQuery{Action: "read", Result: store.ResultOK})
		return len(rows) >= 2
	})
}

// The download report of a client through the API: carla's download of
// ACME's PDF over SFTP from 127.0.0.1, in JSON, CSV and PDF, and never
// another client's; an unknown client is 404, a bad time 400.
func TestAPIClientDownloads(t *testing.T) {
	t.Parallel()
	testkit.NeedPdftotext(t) // skip before the work, not at its end
	tg := testkit.Start(t, "CUSTODIA_ORGANIZATION=Agencia Aduanal Querétaro")
	tg.Fixture()
	downloadsFixture(t, tg)
	tok := tg.APILogin("sys")

	r := tg.API("GET", "/api/v1/clients/acme/downloads", tok, nil)
	if r.Code != 200 {
		t.Fatalf("ACME's downloads: %d %s", r.Code, r.Body)
	}
	rows, _ := r.JSON(t)["downloads"].([]any)
	if len(rows) != 1 {
		t.Fatalf("ACME's downloads are %d rows, want carla's one:\n%s", len(rows), r.Body)
	}
	row, _ := rows[0].(map[string]any)
	for k, want := range map[string]string{"user": "carla", "role": "client", "protocol": "sftp", "remote": "127.0.0.1",
		"path": "/ACME/2026/factura.pdf", "storage_path": "/clients/ACME/2026/factura.pdf", "result": "ok"} {
		if row[k] != want {
			t.Errorf("the download's %s is %v, want %q", k, row[k], want)
		}
	}

	r = tg.API("GET", "/api/v1/clients/ACME/downloads?format=csv", tok, nil)
	recs, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || r.Code != 200 || len(recs) != 2 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") {
		t.Fatalf("ACME's downloads as CSV: %d %s %v\n%s", r.Code, r.Header.Get("Content-Type"), err, r.Body)
	}
	if got := strings.Join(recs[1][2:8], ","); got != "carla,client,sftp,127.0.0.1,/ACME/2026/factura.pdf,/clients/ACME/2026/factura.pdf" {
		t.Errorf("the CSV row is %q", got)
	}

	r = tg.API("GET", "/api/v1/clients/ACME/downloads?format=pdf&since=2020-01-01T00:00:00Z", tok, nil)
	if r.Code != 200 || r.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("ACME's download report: %d %s %.300s", r.Code, r.Header.Get("Content-Type"), r.Body)
	}
	txt := testkit.PDFText(t, r.Body, true)
	for _, want := range []string{"Agencia Aduanal Querétaro", "Reporte de descargas", "ACME (Acme SA de CV)",
		"/clients/ACME/2026/factura.pdf", "carla (cliente)", "SFTP desde 127.0.0.1", "1 completas", "desde 2020-01-01T00:00:00Z"} {
		if !strings.Contains(txt, want) {
			t.Errorf("the PDF report lacks %q:\n%s", want, txt)
		}
	}
	if strings.Contains(txt, "BETA") || strings.Contains(txt, "b.pdf") {
		t.Errorf("ACME's report names BETA's download:\n%s", txt)
	}

	testkit.WantProblem(t, "an unknown client", tg.API("GET", "/api/v1/clients/NOPE/downloads", tok, nil), 404, "id")
	testkit.WantProblem(t, "a bad time", tg.API("GET", "/api/v1/clients/ACME/downloads?since=yesterday", tok, nil), 400, "since")
	testkit.WantProblem(t, "an empty range", tg.API("GET", "/api/v1/clients/ACME/downloads?since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", tok, nil), 400, "since")
	testkit.WantProblem(t, "a bad format", tg.API("GET", "/api/v1/clients/ACME/downloads?format=xls", tok, nil), 400, "format")
}

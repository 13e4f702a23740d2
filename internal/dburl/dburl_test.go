package dburl

import (
	"strings"
	"testing"
)

func TestRedactHidesEveryPassword(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ in, want string }{
		{"postgres://gw:hunter2@db:5432/custodia?sslmode=require", "postgres://gw:xxxxx@db:5432/custodia?sslmode=require"},
		{"postgres://gw:123/45@db/custodia", "postgres://gw:xxxxx@db/custodia"},
		{"postgres://gw:a?b#c@db/custodia", "postgres://gw:xxxxx@db/custodia"},
		{"postgres://db/custodia?user=gw&password=hunter2", "postgres://db/custodia?password=xxxxx&user=gw"},
		{"postgres://gw@db/custodia", "postgres://gw@db/custodia"},
		{"postgres://db/custodia?password=%zz", "postgres://db/custodia?xxxxx"},
		{"", ""},
	} {
		got := Redact(c.in)
		if got != c.want {
			t.Errorf("Redact(%q) = %q, want %q", c.in, got, c.want)
		}
		if strings.Contains(got, "hunter") || strings.Contains(got, "45@") {
			t.Errorf("Redact(%q) = %q still shows the password", c.in, got)
		}
	}
}

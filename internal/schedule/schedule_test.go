package schedule

import (
	"strings"
	"testing"
)

// TestParse: good schedules parse; a time zone prefix, a date that never
// comes and malformed input are errors, and "TZ=UTC" and "CRON_TZ="
// (which make robfig/cron panic) do not panic.
func TestParse(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"0 2 * * *", "30 1 1 * *", "@daily", "0 4 * * 0"} {
		if _, err := Parse(expr); err != nil {
			t.Errorf("Parse(%q): %v", expr, err)
		}
	}
	for expr, want := range map[string]string{
		"TZ=UTC":                                "time zone",
		"CRON_TZ=":                              "time zone",
		"TZ=UTC 0 3 * * *":                      "time zone",
		"CRON_TZ=America/Mexico_City 0 3 * * *": "time zone",
		"0 3 30 2 *":                            "never fires",
		"0 3 * *":                               "expected exactly 5 fields",
		"":                                      "empty spec string",
	} {
		_, err := Parse(expr)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Parse(%q) = %v, want an error saying %q", expr, err, want)
		}
	}
}

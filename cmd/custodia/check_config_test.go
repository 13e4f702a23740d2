package main

import (
	"strings"
	"testing"
)

// TestCheckConfigReportsTypeErrorsWithOtherMistakes: a duration written
// as a number no longer stops check-config at the first error: it is
// reported with its key, next to every other mistake in the file.
func TestCheckConfigReportsTypeErrorsWithOtherMistakes(t *testing.T) {
	t.Parallel()
	file := configFile(t, "log_level = \"loud\"\n[sftp]\nidle_timeout = 5\nlisten = \"x\"\n[defender]\nmax_failures = \"five\"\n")
	out, err := runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), file}, "check-config")
	if err == nil {
		t.Fatalf("check-config accepted a file with four mistakes:\n%s", out)
	}
	for _, want := range []string{
		`sftp.idle_timeout (CUSTODIA_SFTP_IDLE_TIMEOUT): want a duration in quotes`,
		`defender.max_failures (CUSTODIA_DEFENDER_MAX_FAILURES): want a whole number`,
		`log_level (CUSTODIA_LOG_LEVEL): "loud"`,
		`sftp.listen (CUSTODIA_SFTP_LISTEN): "x"`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("check-config does not report %q:\n%s", want, out)
		}
	}
}

// TestCheckConfigTimeZoneScheduleIsAProblem: a backup schedule with a
// time-zone prefix (which makes robfig/cron panic when nothing follows
// it) is a problem naming the key, with a non-zero exit; never a panic.
func TestCheckConfigTimeZoneScheduleIsAProblem(t *testing.T) {
	t.Parallel()
	for _, expr := range []string{"TZ=UTC 0 3 * * *", "TZ=UTC", "CRON_TZ=America/Mexico_City"} {
		t.Run(expr, func(t *testing.T) {
			t.Parallel()
			file := configFile(t, "[backup.jobs.clients]\nfull = \""+expr+"\"\n")
			out, err := runWith([]string{"CUSTODIA_DATA_DIR=" + t.TempDir(), file}, "check-config")
			want := `backup.jobs.clients.full: "` + expr + `": want a cron expression such as "0 2 * * *": a time zone`
			if err == nil || !strings.Contains(out, want) {
				t.Errorf("check-config (err %v) does not say %q:\n%s", err, want, out)
			}
		})
	}
}
